import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readArchive } from '../../src-main/archive'
import { UnitView, unitViews } from '../../src-main/features/unitView'
import { frifExtractor } from '../../src-main/features/extractors/frif'
import { extractFeaturesStep } from '../../src-main/steps/extractFeatures'
import { runStep } from '../../src-main/steps/framework'
import { PipelineSession } from '../../src-main/session/session'
import { f64, getNode, group, i64, scalar, type NumericNode } from '../../src-shared/tree'
import type { TaskPool } from '../../src-main/pool/taskPool'

const dir = mkdtempSync(join(tmpdir(), 'features-archive-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const noPool: TaskPool = { threads: 1, run: async () => { throw new Error('unused') }, destroy: async () => {} }

describe('UnitView over an archive read from disk', () => {
  it('reads the same values as over the session that wrote it, and extracts FRIF from it', async () => {
    const s = new PipelineSession({ datasetId: 'view_archive' })
    s.addUnits({
      unit_1: group({ spike_times: i64([0, 100, 400, 999, 1000, 1400]) }, { row: scalar('int64', 3) }),
      unit_2: group({ spike_times: i64([]) }, { row: scalar('int64', 4) }),
    })
    s.addMetadata({ frame_timestamps: i64([0, 333, 667, 1000, 1333]), acquisition_rate: f64([20000], []) })
    s.markStepComplete('load_recording')
    const path = await s.save(join(dir, 'view_archive.h5'))

    const content = await readArchive(path)
    const views = unitViews(content)
    expect(views.map((v) => v.unitId).sort()).toEqual(['unit_1', 'unit_2'])
    const v = new UnitView(content, 'unit_1')
    expect([...v.getArray('unit/spike_times')]).toEqual([0, 100, 400, 999, 1000, 1400])
    expect(v.getScalar('unit/@row')).toBe(3)
    expect(v.getScalar('metadata/acquisition_rate')).toBe(20000)
    const fromArchive = frifExtractor.extract(v).FRIF as NumericNode
    const fromSession = frifExtractor.extract(new UnitView(s, 'unit_1')).FRIF as NumericNode
    expect(fromArchive.data).toEqual(fromSession.data)
    expect(fromArchive.data[1]).toBeCloseTo(1 / 0.0167, 3)

    // and a session resumed from that archive runs the step
    const resumed = await PipelineSession.load(path)
    await runStep(extractFeaturesStep, resumed, {}, { pool: noPool })
    const stored = getNode(resumed.unit('unit_2'), 'features/frif/data/FRIF') as NumericNode
    expect([...stored.data]).toEqual([0, 0, 0, 0])
  })
})
