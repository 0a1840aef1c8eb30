import { describe, expect, it } from 'vitest'
import { FeatureRegistry, featureRegistry } from '../../src-main/features/registry'
import { UnitView, unitViews } from '../../src-main/features/unitView'
import type { FeatureExtractor } from '../../src-main/features/types'
import { extractFeaturesStep, makeExtractFeaturesStep } from '../../src-main/steps/extractFeatures'
import { runStep } from '../../src-main/steps/framework'
import { PipelineSession } from '../../src-main/session/session'
import { f64, getNode, group, i64, scalar, str, type GroupNode, type NumericNode } from '../../src-shared/tree'
import type { TaskPool } from '../../src-main/pool/taskPool'

const noPool: TaskPool = {
  threads: 1,
  run: async () => {
    throw new Error('extract_features does not use the pool')
  },
  destroy: async () => {},
}

const TS = [0, 333, 667, 1000, 1333]
const SPIKES = [0, 100, 400, 999, 1000, 1400]

function makeSession(units: Record<string, GroupNode>, withFrames = true): PipelineSession {
  const s = new PipelineSession({ datasetId: 'feat' })
  s.addUnits(units)
  // acquisition_rate stored as (1,) as some archives do; the view reads it either way
  if (withFrames) s.addMetadata({ frame_timestamps: i64(TS), acquisition_rate: f64([20000], [1]) })
  s.markStepComplete('load_recording')
  return s
}

const counting = (name: string, calls: string[]): FeatureExtractor => ({
  name,
  version: '0.1.0',
  requiredInputs: ['unit/spike_times'],
  description: 'spike count',
  extract(view) {
    calls.push(view.unitId)
    return { n: scalar('int64', view.getArray('unit/spike_times').length) }
  },
})

describe('FeatureRegistry', () => {
  it('lists the built-ins and names the available ones for an unknown feature', () => {
    expect(featureRegistry.list()).toContain('frif')
    expect(() => featureRegistry.get('fri')).toThrow("Unknown feature: 'fri'. Available features: frif")
    expect(() => new FeatureRegistry().get('x')).toThrow('Available features: (none)')
  })
  it('refuses duplicates and input paths outside unit/metadata/stimulus', () => {
    const r = new FeatureRegistry()
    r.register(counting('count', []))
    expect(() => r.register(counting('count', []))).toThrow(/already registered/)
    expect(() => r.register({ ...counting('bad', []), requiredInputs: ['spike_times'] })).toThrow(/must start with unit\/, metadata\/ or stimulus\//)
    expect(r.list()).toEqual(['count'])
  })
})

describe('UnitView', () => {
  const unit = group({ spike_times: i64([5, 6, 7]), features: group({ x: group({ data: str('a') }) }) }, { row: scalar('int64', 12) })
  const source = { units: group({ unit_1: unit }), metadata: group({ acquisition_rate: f64([20000], []) }), stimulus: group() }
  const view = new UnitView(source, 'unit_1')
  it('reads arrays as copies, scalars of any shape, attributes and keys', () => {
    const a = view.getArray('unit/spike_times')
    a[0] = 999
    expect([...view.getArray('unit/spike_times')]).toEqual([5, 6, 7])
    expect(view.shape('unit/spike_times')).toEqual([3])
    expect(view.getScalar('metadata/acquisition_rate')).toBe(20000)
    expect(view.getScalar('unit/@row')).toBe(12)
    expect(view.has('unit/@col')).toBe(false)
    expect(view.keys('unit/features')).toEqual(['x'])
    expect(view.getString('unit/features/x/data')).toBe('a')
  })
  it('names the unit and the path of a missing or unsuitable input', () => {
    expect(() => view.getArray('unit/waveform')).toThrow("unit_1: input 'unit/waveform' is missing")
    expect(() => view.getArray('unit/features')).toThrow("unit_1: input 'unit/features' is a group, not a dataset")
    expect(() => view.getScalar('unit/spike_times')).toThrow(/not a single number/)
    expect(() => view.has('spike_times')).toThrow(/must start with unit\//)
  })
  it('unitViews covers every unit', () => {
    expect(unitViews(source).map((v) => v.unitId)).toEqual(['unit_1'])
  })
})

describe('extract_features step', () => {
  it('stores FRIF (golden 9.6, in samples) with its metadata', async () => {
    const s = makeSession({ unit_1: group({ spike_times: i64(SPIKES) }) })
    const report = await runStep(extractFeaturesStep, s, {}, { pool: noPool })
    expect(report.warnings).toEqual([])
    const frif = getNode(s.unit('unit_1'), 'features/frif/data/FRIF') as NumericNode
    const x = getNode(s.unit('unit_1'), 'features/frif/data/FRIF_x_axis') as NumericNode
    expect(frif.dtype).toBe('float32')
    expect(x.dtype).toBe('float64')
    const expected = [2 / 0.01665, 1 / 0.0167, 1 / 0.01665, 1 / 0.01665]
    expected.forEach((v, i) => expect(frif.data[i]).toBeCloseTo(v, 3))
    expect(frif.data[0]).not.toBeCloseTo(360.36, 0)
    expect([...x.data]).toEqual([0, 0.01665, 0.03335, 0.05])
    const md = getNode(s.unit('unit_1'), 'features/frif/metadata') as GroupNode
    expect((md.children.get('extractor_version') as any).data).toEqual([featureRegistry.get('frif').version])
    expect((md.children.get('extracted_at') as any).data[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/)
    expect(s.completedSteps.has('extract_features')).toBe(true)
  })

  it('skips a feature every unit has unless forced, and reruns for all units when one lacks it', async () => {
    const calls: string[] = []
    const step = makeExtractFeaturesStep((() => {
      const r = new FeatureRegistry()
      r.register(counting('count', calls))
      return r
    })())
    const s = makeSession({ unit_1: group({ spike_times: i64([1, 2]) }), unit_2: group({ spike_times: i64([3]) }) })
    await runStep(step, s, { features: ['count'] }, { pool: noPool })
    expect(calls).toEqual(['unit_1', 'unit_2'])
    const r2 = await runStep(step, s, { features: 'count' }, { pool: noPool })
    expect(calls).toHaveLength(2)
    expect(r2.summary).toMatch(/skipped count/)
    await runStep(step, s, { features: ['count'], force: true }, { pool: noPool })
    expect(calls).toHaveLength(4)
    s.addUnits({ unit_3: group({ spike_times: i64([]) }) })
    await runStep(step, s, { features: ['count'] }, { pool: noPool })
    expect(calls.slice(4)).toEqual(['unit_1', 'unit_2', 'unit_3'])
    expect((getNode(s.unit('unit_1'), 'features/count/data/n') as NumericNode).data[0]).toBe(2)
  })

  it('rejects an unknown feature before running, listing the available ones', async () => {
    const s = makeSession({ unit_1: group({ spike_times: i64(SPIKES) }) })
    await expect(runStep(extractFeaturesStep, s, { features: ['frif', 'chirp'] }, { pool: noPool })).rejects.toThrow(
      "Unknown feature: 'chirp'. Available features: frif",
    )
    expect(s.completedSteps.has('extract_features')).toBe(false)
  })

  it('warns per unit lacking a unit input and fails the step when shared inputs are missing', async () => {
    const s = makeSession({ unit_1: group({ spike_times: i64(SPIKES) }), unit_2: group({}) })
    const report = await runStep(extractFeaturesStep, s, {}, { pool: noPool })
    expect(report.warnings).toEqual(["Failed frif for unit_2: missing unit/spike_times"])
    expect(s.unit('unit_2').children.has('features')).toBe(false)
    const bare = makeSession({ unit_1: group({ spike_times: i64(SPIKES) }) }, false)
    await expect(runStep(extractFeaturesStep, bare, {}, { pool: noPool })).rejects.toThrow(
      "extract_features: feature 'frif' needs metadata/frame_timestamps, metadata/acquisition_rate, which the session does not have",
    )
  })

  it('warns when there are no units and needs a loaded recording', async () => {
    const s = makeSession({})
    const r = await runStep(extractFeaturesStep, s, {}, { pool: noPool })
    expect(r.warnings).toEqual(['No units found in session'])
    const fresh = new PipelineSession({ datasetId: 'x' })
    await expect(runStep(extractFeaturesStep, fresh, {}, { pool: noPool })).rejects.toThrow(/needs load_recording or load_recording_with_eimage_sta/)
  })
})
