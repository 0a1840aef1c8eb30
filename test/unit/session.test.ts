import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PipelineSession, SaveState, createSession, deriveDatasetId, isoNow, sortUnitIds } from '../../src-main/session/session'
import { ConfigurationError, SessionError } from '../../src-shared/errors'
import { type GroupNode, f32, f64, group, i64, numeric, str, u64 } from '../../src-shared/tree'
import { readArchive } from '../../src-main/archive'
import { assertPrerequisites, type StepDefinition } from '../../src-main/steps/framework'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'session-test-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const nextStep: StepDefinition = {
  id: 'section_spike_times',
  title: 'Section spike times',
  description: 'test double with the real prerequisites of step 3',
  params: [],
  prerequisites: [['load_recording', 'load_recording_with_eimage_sta'], ['add_section_time']],
  async run() {
    throw new Error('not run in this test')
  },
}

function unit(spikes: number[], extra: Record<string, GroupNode | ReturnType<typeof f64>> = {}): GroupNode {
  return group({ spike_times: u64(spikes), ...extra }, { row: i64([3], []), original_name: str('Unit_3') })
}

describe('dataset ids', () => {
  it('derives the id from the .cmtr stem, dropping trailing dashes, keeping copy suffixes', () => {
    expect(deriveDatasetId('/d/2025.04.10-11.12.57-Rec.cmcr', '/d/2025.04.10-11.12.57-Rec-.cmtr')).toBe('2025.04.10-11.12.57-Rec')
    expect(deriveDatasetId(null, '/d/2025.05.23-17.19.25-Rec- (2).cmtr')).toBe('2025.05.23-17.19.25-Rec- (2)')
    expect(deriveDatasetId('O:\\20250410\\set6\\2025.04.10-11.12.57-Rec.cmcr')).toBe('2025.04.10-11.12.57-Rec')
    expect(deriveDatasetId(undefined, 'O:\\20250410\\set6\\2025.04.10-11.12.57-Rec--.cmtr')).toBe('2025.04.10-11.12.57-Rec')
    expect(() => deriveDatasetId()).toThrow(new ConfigurationError('Cannot derive dataset_id: no file path provided'))
  })

  it('createSession accepts plain string paths and records them as source files', () => {
    const s = createSession({ cmcrPath: 'O:\\x\\rec.cmcr', cmtrPath: 'O:\\x\\rec-.cmtr', outputDir: dir })
    expect(s.datasetId).toBe('rec')
    expect([...s.sourceFiles]).toEqual([
      ['cmcr_path', 'O:\\x\\rec.cmcr'],
      ['cmtr_path', 'O:\\x\\rec-.cmtr'],
    ])
    expect(s.isDeferred).toBe(true)
    expect(createSession({ datasetId: '  given  ' }).datasetId).toBe('given')
    expect(() => new PipelineSession({ datasetId: '   ' })).toThrow(SessionError)
  })

  it('writes timestamps in the Python isoformat shape', () => {
    expect(isoNow(new Date(Date.UTC(2025, 11, 28, 19, 52, 58, 123)))).toBe('2025-12-28T19:52:58.123000+00:00')
  })

  it('sorts unit ids by their number', () => {
    expect(sortUnitIds(['unit_100', 'unit_2', 'unit_1000', 'unit_010', 'other'])).toEqual(['unit_2', 'unit_010', 'unit_100', 'unit_1000', 'other'])
  })
})

describe('session properties and accumulation', () => {
  it('counts every typed array and string in every tree, exactly', () => {
    const s = new PipelineSession({ datasetId: 'mem' })
    s.addUnits({
      unit_001: group(
        {
          spike_times: u64(new Float64Array(100)), // 100 x 8 (held as float64) = 800
          features: group({ eimage_sta: group({ data: f32(new Float32Array(50 * 65 * 65), [50, 65, 65]) }) }), // 845000
        },
        { row: i64([1], []), original_name: str('Unit_1') }, // 8 + 2*6
      ),
    })
    s.addMetadata({ acquisition_rate: f64([20000], []), frame_timestamps: u64(new Float64Array(7)) }) // 8 + 56
    s.addStimulus({ light_reference: group({ raw_ch1: f32(new Float32Array(1000)), flags: { kind: 'bool', shape: [3], data: new Uint8Array(3) } }) }) // 4000 + 3
    s.setSourceFiles('a.cmcr') // 2*6
    const expected = 800 + 845000 + 8 + 12 + 8 + 56 + 4000 + 3 + 12
    expect(s.memoryEstimateBytes).toBe(expected)
    expect(s.memoryEstimateGb).toBe(expected / 1024 ** 3)
    expect(s.unitCount).toBe(1)
  })

  it('add_units updates existing units key by key and stores new ones as a shallow copy', () => {
    const s = new PipelineSession({ datasetId: 'u' })
    const incoming = unit([1, 2], { features: group({ a: group() }) })
    s.addUnits({ unit_001: incoming })
    incoming.children.set('late', f64([1]))
    expect(s.unit('unit_001').children.has('late')).toBe(false)
    s.addUnits(new Map([['unit_001', group({ features: group({ b: group() }) }, { row: i64([9], []) })]]))
    const u = s.unit('unit_001')
    expect([...(u.children.get('features') as GroupNode).children.keys()]).toEqual(['b'])
    expect(Array.from((u.children.get('spike_times') as { data: Float64Array }).data)).toEqual([1, 2])
    expect((u.attrs.get('row') as { data: Float64Array }).data[0]).toBe(9)
    expect((u.attrs.get('original_name') as { data: string[] }).data).toEqual(['Unit_3'])
    expect(() => s.unit('unit_404')).toThrow('Unit unit_404 not found in session')
  })

  it('add_metadata replaces nested groups; add_stimulus merges one level', () => {
    const s = new PipelineSession({ datasetId: 'm' })
    s.addMetadata({ cmcr_meta: group({ a: f64([1]), b: f64([2]) }), rate: f64([1], []) })
    s.addMetadata({ cmcr_meta: group({ c: f64([3]) }) })
    expect([...(s.metadata.children.get('cmcr_meta') as GroupNode).children.keys()]).toEqual(['c'])
    expect(s.metadata.children.has('rate')).toBe(true)
    s.addStimulus({ section_time: group({ movie_a: i64([0, 10], [1, 2]) }), light_template: f32([1]) })
    s.addStimulus({ section_time: group({ movie_b: i64([5, 15], [1, 2]) }), light_template: f32([2, 3]) })
    expect([...(s.stimulus.children.get('section_time') as GroupNode).children.keys()]).toEqual(['movie_a', 'movie_b'])
    expect(Array.from((s.stimulus.children.get('light_template') as { data: Float32Array }).data)).toEqual([2, 3])
  })

  it('add_feature replaces the whole feature and refuses unknown units', () => {
    const s = new PipelineSession({ datasetId: 'f' })
    s.addUnits({ unit_001: unit([1]) })
    s.addFeature('unit_001', 'eimage_sta', f32([1, 2]), { n_spikes_used: i64([2], []) })
    const f = (s.unit('unit_001').children.get('features') as GroupNode).children.get('eimage_sta') as GroupNode
    f.children.set('geometry', group({ area: f64([4], []) }))
    s.addFeature('unit_001', 'eimage_sta', f32([3]))
    const again = (s.unit('unit_001').children.get('features') as GroupNode).children.get('eimage_sta') as GroupNode
    expect([...again.children.keys()]).toEqual(['data', 'metadata'])
    expect((again.children.get('metadata') as GroupNode).children.size).toBe(0)
    const err = (() => {
      try {
        s.addFeature('unit_999', 'x', f32([1]))
      } catch (e) {
        return e as SessionError
      }
    })()
    expect(err).toBeInstanceOf(SessionError)
    expect(err?.message).toBe('Unit unit_999 not found in session')
  })

  it('mark_step_complete is idempotent and set_source_files never clears', () => {
    const s = new PipelineSession({ datasetId: 's' })
    s.markStepComplete('load_recording')
    s.markStepComplete('load_recording')
    expect([...s.completedSteps]).toEqual(['load_recording'])
    s.setSourceFiles('a.cmcr', 'a.cmtr')
    s.setSourceFiles(null, undefined)
    expect(s.sourceFiles.get('cmcr_path')).toBe('a.cmcr')
    expect(s.sourceFiles.get('cmtr_path')).toBe('a.cmtr')
  })
})

describe('save, checkpoint and load', () => {
  function populated(outputDir: string): PipelineSession {
    const s = createSession({ cmtrPath: 'O:\\rec\\2025.04.10-11.12.57-Rec-.cmtr', outputDir })
    s.addUnits({ unit_001: unit([10, 20, 30]), unit_002: unit([]) })
    s.addMetadata({ acquisition_rate: f64([20000], []), frame_timestamps: u64([100, 200, 300]) })
    s.addStimulus({ section_time: group({ movie: i64([100, 300], [1, 2]) }) })
    s.markStepComplete('load_recording_with_eimage_sta')
    s.markStepComplete('add_section_time')
    s.addWarning('add_section_time', 'movie "x" has no template: skipped')
    s.addWarning('section_spike_times_analog:iprgc_test', 'no analog section')
    s.addWarning(null, 'session-level note: with colon')
    return s
  }

  it('saves to <outputDir>/<dataset_id>.h5 by default and becomes SAVED and unmodified', async () => {
    const out = join(dir, 'out-default')
    const s = populated(out)
    expect(s.isDeferred).toBe(true)
    expect(s.isModifiedSinceSave).toBe(true)
    const path = await s.save()
    expect(path).toBe(join(out, '2025.04.10-11.12.57-Rec.h5'))
    expect(existsSync(path)).toBe(true)
    expect(s.saveState).toBe(SaveState.SAVED)
    expect(s.isSaved).toBe(true)
    expect(s.hdf5Path).toBe(path)
    expect(s.savedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/)
    expect(s.isModifiedSinceSave).toBe(false)
    s.addMetadata({ note: str('changed') })
    expect(s.isModifiedSinceSave).toBe(true)
    expect(s.isSaved).toBe(true)
  })

  it('refuses to overwrite without overwrite=true and leaves the file and the session untouched', async () => {
    const out = join(dir, 'out-refuse')
    const s = populated(out)
    const path = await s.save()
    const bytes = readFileSync(path)
    const savedAt = s.savedAt
    s.addMetadata({ note: str('newer') })
    const err = (await s.save().catch((e) => e)) as SessionError
    expect(err.code).toBe('FILE_EXISTS')
    expect(err.message).toBe(`File already exists: ${path}. Use overwrite=True to replace.`)
    expect(readFileSync(path).equals(bytes)).toBe(true)
    expect(s.savedAt).toBe(savedAt)
    expect(s.isModifiedSinceSave).toBe(true)
    await s.save(undefined, { overwrite: true })
    expect(((await readArchive(path)).metadata.children.get('note') as { data: string[] }).data).toEqual(['newer'])
  })

  it('checkpoints overwrite by default, record their own time and name, and leave the session state alone', async () => {
    const out = join(dir, 'out-cp')
    const s = populated(out)
    const cpPath = join(out, 'checkpoints', 'after_step2.h5')
    await s.checkpoint(cpPath, { checkpointName: 'after_step2' })
    expect(s.isDeferred).toBe(true)
    expect(s.hdf5Path).toBeNull()
    expect(s.savedAt).toBeNull()
    expect(s.isModifiedSinceSave).toBe(true)
    await s.save()
    const savedAt = s.savedAt!
    await new Promise((r) => setTimeout(r, 5))
    await s.checkpoint(cpPath, { checkpointName: 'again' })
    const cp = await readArchive(cpPath)
    expect(cp.checkpointName).toBe('again')
    expect(cp.savedAt > savedAt).toBe(true)
    expect(s.savedAt).toBe(savedAt)
    const refused = (await s.checkpoint(cpPath, { overwrite: false }).catch((e) => e)) as SessionError
    expect(refused.message).toBe(`Checkpoint file already exists: ${cpPath}. Use overwrite=True to replace.`)
    expect(statSync(cpPath).isFile()).toBe(true)
  })

  it('loads a saved session that the next step can continue, with warnings still tied to their step', async () => {
    const out = join(dir, 'out-load')
    const s = populated(out)
    const path = await s.save()
    const loaded = await PipelineSession.load(path, { outputDir: out })
    expect(loaded.datasetId).toBe('2025.04.10-11.12.57-Rec')
    expect(loaded.isSaved).toBe(true)
    expect(loaded.isModifiedSinceSave).toBe(false)
    expect(loaded.hdf5Path).toBe(path)
    expect(loaded.createdAt).toBe(s.createdAt)
    expect(loaded.savedAt).toBe(s.savedAt)
    expect([...loaded.completedSteps].sort()).toEqual(['add_section_time', 'load_recording_with_eimage_sta'])
    expect(() => assertPrerequisites(nextStep, loaded)).not.toThrow()
    expect(loaded.warnings).toEqual([
      { step: 'add_section_time', message: 'movie "x" has no template: skipped' },
      { step: 'section_spike_times_analog:iprgc_test', message: 'no analog section' },
      { step: null, message: 'session-level note: with colon' },
    ])
    expect(loaded.unitIds()).toEqual(['unit_001', 'unit_002'])
    expect(Array.from((loaded.unit('unit_001').children.get('spike_times') as { data: Float64Array }).data)).toEqual([10, 20, 30])
    expect((loaded.unit('unit_002').children.get('spike_times') as { shape: number[] }).shape).toEqual([0])
    expect([...loaded.sourceFiles]).toEqual([['cmtr_path', 'O:\\rec\\2025.04.10-11.12.57-Rec-.cmtr']])
    expect(loaded.loadInfo).toEqual({ flavour: 'session', derivedSteps: false, skipped: [] })
    expect(loaded.memoryEstimateBytes).toBe(s.memoryEstimateBytes)
  })

  it('a session without the prerequisite is refused by the next step', () => {
    const s = new PipelineSession({ datasetId: 'x' })
    s.markStepComplete('load_recording')
    expect(() => assertPrerequisites(nextStep, s)).toThrow('section_spike_times needs add_section_time to have run first')
  })

  it('keeps int8 booleans and (1,) arrays through save and load', async () => {
    const s = new PipelineSession({ datasetId: 'bools', outputDir: join(dir, 'out-bools') })
    s.addMetadata({ skip_highpass: { kind: 'bool', shape: [], data: Uint8Array.of(1) }, row: numeric('int64', [5], [1]) })
    const loaded = await PipelineSession.load(await s.save())
    const flag = loaded.metadata.children.get('skip_highpass')
    expect(flag).toMatchObject({ kind: 'numeric', dtype: 'int8', shape: [] })
    expect(loaded.metadata.children.get('row')).toMatchObject({ kind: 'numeric', dtype: 'int64', shape: [1] })
  })
})
