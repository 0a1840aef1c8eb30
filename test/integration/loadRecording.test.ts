import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GeneratedRecording } from '../../src-worker/synthetic/generator'
import { DROPPED_PULSES, PAD_FRAMES } from '../../src-worker/synthetic/syntheticModel'
import { createTaskPool, type TaskPool } from '../../src-main/pool/taskPool'
import { createSession, type PipelineSession } from '../../src-main/session/session'
import { type GroupNode, type NumericNode, getNode } from '../../src-shared/tree'
import { runStep } from '../../src-main/steps/framework'
import { loadRecordingStep } from '../../src-main/steps/loadRecording'
import { findPeaks } from '../../src-worker/dsp/findPeaks'
import { SMALL_PLAYLIST, smallRecording, tempDir } from '../unit/mcsFixtures'

let tmp: ReturnType<typeof tempDir>
let rec: GeneratedRecording
let pool: TaskPool

beforeAll(async () => {
  if (!existsSync('out/main/task.js')) execFileSync('npx', ['electron-vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' })
  tmp = tempDir('load-recording-')
  rec = await smallRecording(join(tmp.dir, 'good'), { silentUnits: [5] })
  pool = createTaskPool({ threads: 2 })
})
afterAll(async () => {
  await pool?.destroy()
  tmp?.cleanup()
})

function load(session: PipelineSession, params: Record<string, unknown>, signal?: AbortSignal) {
  return runStep(loadRecordingStep, session, params, { pool, signal })
}

const num = (root: GroupNode, path: string) => getNode(root, path) as NumericNode

describe('load_recording on a generated pair', () => {
  let session: PipelineSession
  let warnings: string[]
  beforeAll(async () => {
    session = createSession({ datasetId: 'small_rec' })
    warnings = (await load(session, { cmcr_path: rec.cmcrPath, cmtr_path: rec.cmtrPath })).warnings
  })

  it('creates every unit with exactly the included spikes, in samples', () => {
    const t = rec.truth
    expect(session.unitIds()).toEqual(t.units.map((u) => u.id))
    for (const u of t.units) {
      const node = session.unit(u.id)
      const st = num(node, 'spike_times')
      expect(st.dtype).toBe('uint64')
      const expected = u.spikeTimesUs!.filter((_, i) => u.include![i] === 1).map((us) => us / t.tickUs)
      expect(Array.from(st.data)).toEqual(expected)
      expect(st.data.length).toBe(u.nIncluded)
      if (u.nPeaks > 0) expect(u.nIncluded).toBeLessThan(u.nPeaks) // IncludePeak = 0 rows were present and dropped
    }
  })

  it('takes row/col/global_id from Unit Info and keeps unit_num and original_name', () => {
    for (const u of rec.truth.units) {
      const node = session.unit(u.id)
      const a = (k: string) => (node.attrs.get(k) as NumericNode).data[0]
      expect([a('row'), a('col'), a('global_id'), a('unit_num')]).toEqual([u.row, u.col, u.sensorId, u.unitNum])
      expect(node.attrs.get('row')!.kind === 'numeric' && (node.attrs.get('row') as NumericNode).dtype).toBe('int64')
      expect((node.attrs.get('original_name') as { data: string[] }).data[0]).toBe(`Unit_${u.unitNum}`)
    }
  })

  it('computes the 10-Hz firing rate over the CMCR duration and the mean waveform', () => {
    for (const u of rec.truth.units) {
      const node = session.unit(u.id)
      if (u.nIncluded === 0) {
        expect(node.children.has('firing_rate_10hz')).toBe(false)
        expect(node.children.has('waveform')).toBe(false)
        continue
      }
      const fr = num(node, 'firing_rate_10hz')
      expect(fr.dtype).toBe('float32')
      expect(fr.data.length).toBe(Math.ceil(rec.truth.recordingDurationUs / 1e5))
      const included = u.spikeTimesUs!.filter((_, i) => u.include![i] === 1)
      expect(Array.from(fr.data).reduce((a, b) => a + b, 0) / 10).toBe(included.length)
      const bin3 = included.filter((us) => us >= 3e5 && us < 4e5).length
      expect(fr.data[3]).toBe(bin3 * 10)
      const wf = num(node, 'waveform')
      expect(wf.dtype).toBe('float32')
      wf.data.forEach((v, k) => expect(v).toBeCloseTo(u.meanWaveform[k], 3))
    }
  })

  it('fills unit_meta from Unit Info (lower-cased), attributes and all peaks', () => {
    for (const u of rec.truth.units) {
      const meta = session.unit(u.id).children.get('unit_meta') as GroupNode
      expect((meta.children.get('row') as NumericNode).data[0]).toBe(u.row)
      expect((meta.children.get('column') as NumericNode).dtype).toBe('int64')
      expect((meta.children.get('snr') as NumericNode).dtype).toBe('float64')
      expect((meta.children.get('attr_sensorid') as NumericNode).data[0]).toBe(u.sensorId)
      expect(num(meta, 'peaks_data/includepeak').data.length).toBe(u.nPeaks)
      expect(num(meta, 'peaks_data/timestamp').dtype).toBe('int64')
      expect(num(meta, 'peak_amplitudes').data.length).toBe(u.nIncluded)
      expect(num(meta, 'roi_stas').shape).toEqual([9, 16])
    }
  })

  it('detects the frame timestamps of the playlist layout', () => {
    const t = rec.truth
    const ts = num(session.metadata, 'frame_timestamps')
    expect(ts.dtype).toBe('uint64')
    expect(Array.from(ts.data)).toEqual(t.frameTimestamps)
    // 180 pad + content + 1 extra + 180 pad frames per movie, the 4 leading pulses dropped
    const expectedFrames = SMALL_PLAYLIST.reduce((a, m) => a + 2 * PAD_FRAMES + m.frames + 1, 0)
    expect(ts.data.length).toBe(expectedFrames)
    expect(t.droppedPulseEdges).toHaveLength(DROPPED_PULSES)
    expect(t.droppedPulseEdges[DROPPED_PULSES - 1]).toBeLessThan(ts.data[0])
    // consecutive frames are 20000/60.5 = 330.6 samples apart
    for (let k = 1; k < ts.data.length; k++) expect(Math.abs(ts.data[k] - ts.data[k - 1] - 20000 / 60.5)).toBeLessThanOrEqual(1)
    const ft = num(session.metadata, 'frame_time')
    expect(ft.dtype).toBe('float64')
    expect(ft.data[10]).toBe(ts.data[10] / 20000)
    expect(Array.from(num(session.stimulus, 'frame_times/default').data)).toEqual(t.frameTimestamps)
    // the light channel is bright (255) during the first half of each step trial, dark in the pads
    const raw1 = num(session.stimulus, 'light_reference/raw_ch1').data
    const stepStart = t.sections[1].contentStartFrame
    expect(raw1[ts.data[stepStart] + 5]).toBeGreaterThan(2000 + 255 * 150 - 25)
    expect(raw1[ts.data[stepStart - 10] + 5]).toBeLessThan(2000 + 25)
  })

  it('lays the playlist out by docs/algorithms.md §1.3 and puts analog steps after the video where production detection finds them', () => {
    // movie_gray (20 frames): content starts at 180 -> [120, 321]; movie_step (60 frames) starts at 361 + 20 + 180 = 561 -> [501, 742]
    expect(rec.truth.sections.map((x) => [x.movie, x.startFrame, x.endFrame, x.contentStartFrame])).toEqual([
      ['movie_gray', 120, 321, 180],
      ['movie_step', 501, 742, 561],
    ])
    const raw1 = num(session.stimulus, 'light_reference/raw_ch1').data
    const ts = num(session.metadata, 'frame_timestamps').data
    const d = new Float64Array(raw1.length - 1)
    for (let i = 0; i < d.length; i++) d[i] = raw1[i + 1] - raw1[i]
    const onsets = findPeaks(d, { height: 1e5, start: ts[ts.length - 1], distance: 0.8 * 1 * 20000 })
    expect(onsets).toEqual(rec.truth.analogOnsets)
    expect(onsets).toHaveLength(1)
    // no light change inside the video comes near the threshold
    expect(findPeaks(d, { height: 1e5, end: ts[ts.length - 1] })).toEqual([])
  })

  it('stores metadata, sys_meta and the light reference', () => {
    expect(num(session.metadata, 'acquisition_rate')).toMatchObject({ dtype: 'float64', shape: [] })
    expect(num(session.metadata, 'acquisition_rate').data[0]).toBe(20000)
    expect(num(session.metadata, 'sample_interval').data[0]).toBe(1 / 20000)
    expect((getNode(session.metadata, 'dataset_id') as { data: string[] }).data[0]).toBe('small_rec')
    expect((getNode(session.metadata, 'sys_meta/ID.Type') as { data: string[] }).data[0]).toBe('McsData')
    expect((getNode(session.metadata, 'sys_meta/ProgramName') as { data: string[] }).data[0]).toBe('CMOS-MEA-Control')
    expect(num(session.metadata, 'sys_meta/recording_duration_s').data[0]).toBe(16)
    const light = getNode(session.stimulus, 'light_reference') as GroupNode
    expect([...light.children.keys()].sort()).toEqual(['10hz_ch1', '10hz_ch2', '1khz_ch1', '1khz_ch2', 'raw_ch1', 'raw_ch2'])
    const raw2 = num(session.stimulus, 'light_reference/raw_ch2').data
    expect(raw2.length).toBe(rec.truth.nSamples)
    const k1 = num(session.stimulus, 'light_reference/1khz_ch2').data
    expect(k1.length).toBe(rec.truth.nSamples / 20)
    let s = 0
    for (let i = 20 * 77; i < 20 * 78; i++) s += raw2[i]
    expect(k1[77]).toBeCloseTo(s / 20, 3)
    expect(num(session.stimulus, 'light_reference/10hz_ch1').data.length).toBe(rec.truth.nSamples / 2000)
    expect(session.sourceFiles.get('cmcr_path')).toBe(rec.cmcrPath)
    expect(session.hasCompleted('load_recording')).toBe(true)
    expect(session.hasCompleted('add_cmtr_unit_info')).toBe(true)
  })

  it('warns about the unit without peaks and nothing else', () => {
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/'\/Spike Sorter\/Unit 5' has no included peaks \(IncludePeak = 1 in 0 rows\)/)
  })
})

describe('load_recording without peaks_data', () => {
  it('keeps spikes, rates and waveforms but not the per-peak table', async () => {
    const session = createSession({ datasetId: 'lean' })
    await load(session, { cmcr_path: rec.cmcrPath, cmtr_path: rec.cmtrPath, peaks_data: false })
    for (const u of rec.truth.units) {
      const node = session.unit(u.id)
      expect(num(node, 'spike_times').data.length).toBe(u.nIncluded)
      const meta = node.children.get('unit_meta') as GroupNode
      expect(meta.children.has('peaks_data')).toBe(false)
      expect(num(meta, 'peak_amplitudes').data.length).toBe(u.nIncluded)
      if (u.nIncluded > 0) num(node, 'waveform').data.forEach((v, k) => expect(v).toBeCloseTo(u.meanWaveform[k], 3))
    }
  })
})

describe('load_recording warnings and bad input', () => {
  it('warns when the pair disagrees on the recording duration, and on zero units', async () => {
    const mismatch = await smallRecording(join(tmp.dir, 'mismatch'), { cmtrRecordingDurationUs: 20e6, nUnits: 2 })
    const s1 = createSession({ datasetId: 'm' })
    const r1 = await load(s1, { cmcr_path: mismatch.cmcrPath, cmtr_path: mismatch.cmtrPath })
    expect(r1.warnings.some((w) => /durations disagree/.test(w) && w.includes(mismatch.cmtrPath))).toBe(true)
    // the CMCR duration is used for the rate arrays
    expect(num(s1.unit('unit_001'), 'firing_rate_10hz').data.length).toBe(160)

    const empty = await smallRecording(join(tmp.dir, 'empty'), { nUnits: 0 })
    const s2 = createSession({ datasetId: 'e' })
    const r2 = await load(s2, { cmcr_path: empty.cmcrPath, cmtr_path: empty.cmtrPath })
    expect(s2.unitCount).toBe(0)
    expect(r2.warnings.some((w) => /zero units/.test(w))).toBe(true)
  })

  it('raises a FileAccessError naming the file, and leaves the session untouched', async () => {
    const bad = join(tmp.dir, 'bad')
    mkdirSync(join(bad, 'folder.cmcr'), { recursive: true })
    writeFileSync(join(bad, 'text.cmcr'), 'plain text')
    writeFileSync(join(bad, 'truncated.cmtr'), readFileSync(rec.cmtrPath).subarray(0, 50_000))
    copyFileSync(rec.cmtrPath, join(bad, 'swapped.cmcr'))
    copyFileSync(rec.cmcrPath, join(bad, 'swapped.cmtr'))
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ cmcr_path: join(bad, 'missing.cmcr'), cmtr_path: rec.cmtrPath }, 'FILE_NOT_FOUND', /CMCR file not found: .*missing\.cmcr/],
      [{ cmcr_path: join(bad, 'folder.cmcr') }, 'FILE_KIND', /folder/],
      [{ cmcr_path: join(bad, 'text.cmcr') }, 'FILE_KIND', /not an HDF5 file.*text\.cmcr/],
      [{ cmtr_path: join(bad, 'truncated.cmtr') }, 'FILE_CORRUPT', /truncated\.cmtr/],
      [{ cmcr_path: join(bad, 'swapped.cmcr') }, 'FILE_KIND', /swapped\.cmcr is a CMOS-MEA-Tools result file/],
      [{ cmtr_path: join(bad, 'swapped.cmtr') }, 'FILE_KIND', /swapped\.cmtr is a CMOS-MEA-Control raw file/],
    ]
    for (const [params, code, message] of cases) {
      const session = createSession({ datasetId: 'bad' })
      const err = await load(session, params).then(
        () => null,
        (e) => e,
      )
      expect(err, JSON.stringify(params)).not.toBeNull()
      expect(err.name).toBe('FileAccessError')
      expect(err.code).toBe(code)
      expect(err.message).toMatch(message)
      expect(err.path).toBeTruthy()
      expect(session.unitCount).toBe(0)
      expect(session.metadata.children.size).toBe(0)
      expect(session.completedSteps.size).toBe(0)
      expect(session.warnings).toHaveLength(0)
    }
    await expect(load(createSession({ datasetId: 'x' }), {})).rejects.toThrow(/at least one of cmcr_path or cmtr_path/)
    await expect(load(createSession({ datasetId: 'x' }), { cmcr_path: rec.cmtrPath })).rejects.toThrow(/expected a \.cmcr file/)
  })

  it('cancels cleanly', async () => {
    const session = createSession({ datasetId: 'c' })
    const ac = new AbortController()
    const p = load(session, { cmcr_path: rec.cmcrPath, cmtr_path: rec.cmtrPath }, ac.signal)
    setTimeout(() => ac.abort(), 5)
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(session.unitCount).toBe(0)
    expect(session.completedSteps.size).toBe(0)
  })
})

describe('h5py check of the generated layout (test/python/mcs_check.py)', () => {
  it('passes on a generated pair and fails on a wrong one', () => {
    const python = '/usr/bin/python3'
    const probe = spawnSync(python, ['-c', 'import h5py, numpy'], { encoding: 'utf8' })
    if (probe.status !== 0) throw new Error(`${python} cannot import h5py/numpy (install python3-h5py): ${probe.stderr}`)
    const good = spawnSync(python, ['test/python/mcs_check.py', rec.cmcrPath, rec.cmtrPath], { encoding: 'utf8' })
    expect(good.stdout + good.stderr).toContain('ok')
    expect(good.status).toBe(0)
    const wrong = spawnSync(python, ['test/python/mcs_check.py', rec.cmtrPath, rec.cmcrPath], { encoding: 'utf8' })
    expect(wrong.status).not.toBe(0)
  })
})
