// load_recording_with_eimage_sta through runStep on a generated recording.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTaskPool, type TaskPool } from '../../src-main/pool/taskPool'
import { CancelledError, ConfigurationError } from '../../src-shared/errors'
import { createSession } from '../../src-main/session/session'
import { asNumber, asString, getNode, type NumericNode } from '../../src-shared/tree'
import { runStep } from '../../src-main/steps/framework'
import { getStep } from '../../src-main/steps/index'
import { loadRecordingWithEimageStaStep as step } from '../../src-main/steps/loadRecordingWithEimageSta'
import { generateRecording, type GeneratedRecording } from '../../src-worker/synthetic/generator'

const G = 65
let dir: string
let gen: GeneratedRecording
let pool: TaskPool

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eimage-step-'))
  gen = await generateRecording({ dir, stem: 'rec', seed: 5, analogDurationS: 1.5, sensorDurationS: 1.1, nUnits: 3, baseRateHz: 40 })
  pool = createTaskPool({ threads: 2 })
})

afterAll(async () => {
  await pool?.destroy()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const base = () => ({ cmcr_path: gen.cmcrPath, cmtr_path: gen.cmtrPath })
const sensorFrames = () => gen.truth.sensorFrames

function sta(session: ReturnType<typeof createSession>, id: string) {
  const data = getNode(session.units, `${id}/features/eimage_sta/data`) as NumericNode
  const meta = (name: string) => getNode(session.units, `${id}/features/eimage_sta/metadata/${name}`)
  return { data, meta }
}

describe('load_recording_with_eimage_sta', () => {
  it('is registered after load_recording', () => {
    expect(getStep('load_recording_with_eimage_sta')).toBe(step)
  })

  it('adds everything load_recording adds plus each unit image (default mode)', async () => {
    const session = createSession({ datasetId: 'rec' })
    const report = await runStep(step, session, { ...base(), duration_s: 1 }, { pool })
    expect([...session.completedSteps].sort()).toEqual(['add_cmtr_unit_info', 'add_sys_meta_info', 'load_recording_with_eimage_sta'])
    expect(session.unitIds()).toEqual(gen.truth.units.map((u) => u.id))
    expect(asNumber(getNode(session.metadata, 'acquisition_rate'))).toBe(20000)
    const N = 20000 // 1 s
    for (const u of gen.truth.units) {
      const { data, meta } = sta(session, u.id)
      expect(data.dtype).toBe('float32')
      expect(data.shape).toEqual([50, G, G])
      // Independent spike set: included peaks, round(t * rate / 1e6), first 10000, whole window in [0, N).
      const spikes = u.spikeTimesUs!.filter((_, i) => u.include![i] === 1).map((t) => Math.round((t * 20000) / 1e6))
      const used = spikes.filter((s) => s >= 10 && s + 40 <= N).length
      const inSpan = spikes.filter((s) => s < N).length
      expect(asNumber(meta('n_spikes_used'))).toBe(used)
      expect(asNumber(meta('n_spikes_excluded'))).toBe(inSpan - used)
      expect(asNumber(meta('pre_samples'))).toBe(10)
      expect(asNumber(meta('post_samples'))).toBe(40)
      expect(asNumber(meta('cutoff_hz'))).toBe(100)
      expect(asNumber(meta('filter_order'))).toBe(2)
      expect(asNumber(meta('duration_s'))).toBe(1)
      expect(asNumber(meta('spike_limit'))).toBe(10000)
      expect(asNumber(meta('sampling_rate'))).toBe(20000)
      expect(asString(meta('compat'))).toBe('none')
      expect(Array.from((meta('window_range') as NumericNode).data)).toEqual([-10, 40])
      // The trough (time index 10) is most negative on the unit's own electrode.
      let min = Infinity
      let at = -1
      for (let k = 0; k < G * G; k++) {
        const v = data.data[10 * G * G + k]
        if (v < min) {
          min = v
          at = k
        }
      }
      expect([Math.floor(at / G) + 1, (at % G) + 1]).toEqual([u.row, u.col])
    }
    expect(report.summary).toMatch(/electrical images of 3 of 3 units/)
  })

  it('hdmea mode: all peaks of Peaks[:spike_limit], truncating conversion, legacy divisor', async () => {
    const session = createSession({ datasetId: 'rec' })
    const limit = 30
    await runStep(step, session, { ...base(), duration_s: 1, spike_limit: limit, compat: 'hdmea' }, { pool })
    const N = 20000
    for (const u of gen.truth.units) {
      // All rows (IncludePeak 0 too), the first `limit`, int64(t / 1e6 * rate).
      const spikes = u.spikeTimesUs!.slice(0, limit).map((t) => Math.trunc((t / 1e6) * 20000))
      const inSpan = spikes.filter((s) => s < N)
      // One 10-s chunk [0, N): valid iff 10 <= s < N - 40.
      const used = inSpan.filter((s) => s >= 10 && s < N - 40).length
      const { meta } = sta(session, u.id)
      expect(asNumber(meta('n_spikes_used'))).toBe(used)
      expect(asNumber(meta('n_spikes_excluded'))).toBe(inSpan.length - used)
      expect(asString(meta('compat'))).toBe('hdmea')
    }
    // Some 50-µs multiples truncate one sample early (algorithms 0.2): the conversion is not a rounding.
    const all = gen.truth.units.flatMap((u) => u.spikeTimesUs!)
    expect(all.some((t) => Math.trunc((t / 1e6) * 20000) !== Math.round((t * 20000) / 1e6))).toBe(true)
  })

  it('uses what exists when duration_s is longer than the recording, with a warning', async () => {
    const session = createSession({ datasetId: 'rec' })
    const report = await runStep(step, session, { ...base(), duration_s: 50, spike_limit: 20 }, { pool })
    expect(report.warnings.some((w) => /longer than the sensor movie/.test(w) && w.includes(gen.cmcrPath))).toBe(true)
    expect(session.warnings.some((w) => w.step === 'load_recording_with_eimage_sta' && /longer than the sensor movie/.test(w.message))).toBe(true)
    const { data } = sta(session, gen.truth.units[0].id)
    expect(data.data.some(Number.isNaN)).toBe(false)
    expect(sensorFrames()).toBe(22000)
  })

  it('gives NaN images and a warning for units without a whole window in the span', async () => {
    const session = createSession({ datasetId: 'rec' })
    // 0.002 s = 40 samples: no 50-sample window fits.
    const report = await runStep(step, session, { ...base(), duration_s: 0.002 }, { pool })
    for (const u of gen.truth.units) {
      expect(sta(session, u.id).data.data.every(Number.isNaN)).toBe(true)
      expect(report.warnings.some((w) => w.startsWith(`${u.id}: no spike`) && /all NaN/.test(w))).toBe(true)
    }
  })

  it('rejects bad parameters with clear errors and leaves the session unchanged', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ spike_limit: 0 }, /spike_limit.*>= 1/],
      [{ spike_limit: -5 }, /spike_limit/],
      [{ window_range: [10, -5] }, /window_range/],
      [{ window_range: [0, 0] }, /window_range \[0, 0\] is empty/],
      [{ window_range: [5, 40] }, /window_range/],
      [{ cutoff_hz: 10000 }, /Nyquist/],
      [{ cutoff_hz: 15000 }, /Nyquist/],
      [{ duration_s: 0 }, /duration_s/],
      [{ compat: 'matlab' }, /compat/],
      [{ cmtr_path: gen.cmcrPath }, /\.cmtr/],
    ]
    for (const [over, re] of cases) {
      const session = createSession({ datasetId: 'rec' })
      const err = await runStep(step, session, { ...base(), ...over }, { pool }).catch((e) => e)
      expect(err).toBeInstanceOf(ConfigurationError)
      expect(String(err.message)).toMatch(re)
      expect(session.unitCount).toBe(0)
      expect(session.completedSteps.size).toBe(0)
    }
  })

  it('names the file when the raw file is missing', async () => {
    const session = createSession({ datasetId: 'rec' })
    const missing = join(dir, 'nope.cmcr')
    const err = await runStep(step, session, { ...base(), cmcr_path: missing }, { pool }).catch((e) => e)
    expect(String(err.message)).toContain(missing)
    expect(session.unitCount).toBe(0)
  })

  it('cancels within a second during the sensor stream; the session is unchanged', async () => {
    const session = createSession({ datasetId: 'rec' })
    const ac = new AbortController()
    let abortedAt = 0
    const run = runStep(step, session, { ...base(), duration_s: 1 }, {
      pool,
      signal: ac.signal,
      onProgress: (p) => {
        if (!abortedAt && p.bytesTotal && p.bytesDone) {
          abortedAt = performance.now()
          ac.abort()
        }
      },
    })
    await expect(run).rejects.toBeInstanceOf(CancelledError)
    expect(abortedAt).toBeGreaterThan(0)
    expect(performance.now() - abortedAt).toBeLessThan(1000)
    expect(session.unitCount).toBe(0)
    expect(session.completedSteps.size).toBe(0)
    expect(session.warnings.length).toBe(0)
  })
})
