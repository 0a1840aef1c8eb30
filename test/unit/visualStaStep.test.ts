import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { computeStaStep, chooseNoiseMovie, firstTrialSpikes } from '../../src-main/steps/computeSta'
import { runStep } from '../../src-main/steps/framework'
import { PipelineSession } from '../../src-main/session/session'
import { f64, getNode, group, i64, type GroupNode } from '../../src-shared/tree'
import { createTaskPool, type TaskPool } from '../../src-main/pool/taskPool'
import { encodeNpyUint8 } from '../../src-worker/npy'
import { CancelledError } from '../../src-shared/errors'

const MOVIE = 'dense_noise_test'
const FRAMES = 100
const H = 2
const W = 3
const dir = mkdtempSync(join(tmpdir(), 'sta-step-'))
let pool: TaskPool

// Display frame k starts at sample 1000 + 333k; the section starts inside frame 5, so movie frame 0 is frame 65.
const ts = Float64Array.from({ length: 400 }, (_, k) => 1000 + 333 * k)
const sampleOfMovieFrame = (f: number) => ts[65 + f] + 100

beforeAll(() => {
  pool = createTaskPool({ threads: 2 })
  // movie[f, y, x] = f + y*W + x: a closed form the expected STA follows from
  const movie = new Uint8Array(FRAMES * H * W)
  for (let f = 0; f < FRAMES; f++) for (let p = 0; p < H * W; p++) movie[f * H * W + p] = f + p
  writeFileSync(join(dir, `${MOVIE}.npy`), encodeNpyUint8([FRAMES, H, W], movie))
  writeFileSync(join(dir, 'flat.npy'), encodeNpyUint8([FRAMES, H * W], movie))
})
afterAll(async () => {
  await pool.destroy()
  rmSync(dir, { recursive: true, force: true })
})

function unitWith(frames: number[], trialKey = '0'): GroupNode {
  const spikes = i64(frames.map(sampleOfMovieFrame))
  return group({
    spike_times: spikes,
    spike_times_sectioned: group({
      [MOVIE]: group({ full_spike_times: spikes, trials_spike_times: group({ [trialKey]: spikes }) }),
    }),
  })
}

function makeSession(units: Record<string, GroupNode>, movies: string[] = [MOVIE, 'step_up_5s']): PipelineSession {
  const s = new PipelineSession({ datasetId: 'sta_test' })
  s.addUnits(units)
  s.addMetadata({ frame_timestamps: f64(ts), acquisition_rate: f64([20000], []) })
  const st: Record<string, ReturnType<typeof i64>> = {}
  for (const m of movies) st[m] = i64([ts[5] + 10, ts[300]], [1, 2])
  s.addStimulus({ section_time: group(st) })
  s.markStepComplete('load_recording')
  s.markStepComplete('section_spike_times')
  return s
}

describe('compute_sta step with the worker pool', () => {
  it('stores features/sta_<movie> with the exact STA and metadata for every unit', async () => {
    const units: Record<string, GroupNode> = {}
    const spikeSets: number[][] = []
    for (let u = 1; u <= 9; u++) {
      const frames = [10 + u, 50, 60 + u, 3, 99, 100, 101]
      spikeSets.push(frames)
      units[`unit_${u}`] = unitWith(frames)
    }
    const s = makeSession(units)
    const progress: number[] = []
    const report = await runStep(computeStaStep, s, { stimulus_dir: dir, cover_range: [-5, 0] }, { pool, onProgress: (p) => progress.push(p.fraction) })
    expect(report.warnings).toEqual([])
    expect(progress.filter((f) => f > 0 && f < 1).length).toBeGreaterThan(1)
    for (let u = 1; u <= 9; u++) {
      const feat = getNode(s.unit(`unit_${u}`), `features/sta_${MOVIE}`)!
      const data = getNode(feat as GroupNode, 'data')!
      expect(data.kind === 'numeric' && data.dtype).toBe('float32')
      expect(data.kind === 'numeric' && data.shape).toEqual([5, H, W])
      // valid: f - 5 >= 0 and f <= 100 -> all but 3 and 101
      const valid = spikeSets[u - 1].filter((f) => f >= 5 && f <= 100)
      const mean = valid.reduce((a, b) => a + b, 0) / valid.length
      const values = (data as { data: Float32Array }).data
      for (let k = 0; k < 5; k++) for (let p = 0; p < H * W; p++) expect(values[k * H * W + p]).toBe(Math.fround(mean - 5 + k + p))
      const md = getNode(feat as GroupNode, 'metadata') as GroupNode
      expect(Number((md.children.get('n_spikes_used') as any).data[0])).toBe(valid.length)
      expect(Number((md.children.get('n_spikes_excluded') as any).data[0])).toBe(2)
      expect([...(md.children.get('cover_range') as any).data]).toEqual([-5, 0])
      expect((md.children.get('cover_range') as any).dtype).toBe('int64')
      expect((md.children.get('movie_name') as any).data).toEqual([MOVIE])
    }
    expect(s.completedSteps.has('compute_sta')).toBe(true)
  })

  it('finds trial 0 by its numeric value and warns with NaN when no spike is valid', async () => {
    const s = makeSession({ unit_1: unitWith([0, 1, 2]), unit_2: unitWith([20, 70, 80], '00') })
    const report = await runStep(computeStaStep, s, { stimulus_dir: dir }, { pool })
    expect(report.warnings).toHaveLength(1)
    expect(report.warnings[0]).toMatch(/unit_1.*NaN/)
    const sta1 = getNode(s.unit('unit_1'), `features/sta_${MOVIE}/data`) as { data: Float32Array; shape: number[] }
    expect(sta1.shape).toEqual([60, H, W])
    expect(sta1.data.every(Number.isNaN)).toBe(true)
    const used2 = getNode(s.unit('unit_2'), `features/sta_${MOVIE}/metadata/n_spikes_used`) as { data: Float64Array }
    expect(used2.data[0]).toBe(2) // frame 20 has no 60 frames before it
    expect(firstTrialSpikes(s.unit('unit_2'), MOVIE)?.length).toBe(3)
  })

  it('runs on a session resumed from an archive (trial keys read back as strings)', async () => {
    const s = makeSession({ unit_1: unitWith([70, 80, 90]) })
    const path = await s.save(join(dir, 'resume.h5'))
    const resumed = await PipelineSession.load(path)
    const report = await runStep(computeStaStep, resumed, { stimulus_dir: dir, cover_range: [-5, 0] }, { pool })
    expect(report.warnings).toEqual([])
    const sta = getNode(resumed.unit('unit_1'), `features/sta_${MOVIE}/data`) as { data: Float32Array }
    // mean spike frame 80: STA[k, p] = 80 - 5 + k + p
    expect(sta.data[0]).toBe(75)
    expect(sta.data[4 * H * W + 5]).toBe(84)
  })

  it('rejects several noise movies, naming them, and leaves the session unchanged', async () => {
    expect(() => chooseNoiseMovie(['a_noise', 'b', 'C_NOISE'])).toThrow(/several noise movies.*a_noise, C_NOISE/)
    expect(() => chooseNoiseMovie(['step_up'])).toThrow(/no movie whose name contains "noise".*step_up/)
    const s = makeSession({ unit_1: unitWith([70]) }, [MOVIE, 'other_noise'])
    await expect(runStep(computeStaStep, s, { stimulus_dir: dir }, { pool })).rejects.toThrow(/several noise movies/)
    const r = await runStep(computeStaStep, s, { stimulus_dir: dir, movie_name: MOVIE }, { pool })
    expect(r.warnings).toEqual([])
  })

  it('names the file when the movie is missing or has the wrong shape', async () => {
    const s = makeSession({ unit_1: unitWith([70]) })
    await expect(runStep(computeStaStep, s, { stimulus_dir: join(dir, 'nowhere') }, { pool })).rejects.toThrow(
      new RegExp(`nowhere/${MOVIE}\\.npy: file not found`),
    )
    const s2 = makeSession({ unit_1: unitWith([70]) }, ['flat', 'noise_x'])
    await expect(runStep(computeStaStep, s2, { stimulus_dir: dir, movie_name: 'flat' }, { pool })).rejects.toThrow(
      /flat\.npy: the stimulus movie must be a non-empty \(frames, height, width\) array, got shape \(100, 6\)/,
    )
    expect(s.unit('unit_1').children.has('features')).toBe(false)
  })

  it('rejects a reversed cover range and stops on cancel without touching the session', async () => {
    const s = makeSession({ unit_1: unitWith([70]) })
    await expect(runStep(computeStaStep, s, { stimulus_dir: dir, cover_range: [0, -60] }, { pool })).rejects.toThrow(/start < end/)
    const ac = new AbortController()
    ac.abort()
    await expect(runStep(computeStaStep, s, { stimulus_dir: dir }, { pool, signal: ac.signal })).rejects.toBeInstanceOf(CancelledError)
    expect(s.completedSteps.has('compute_sta')).toBe(false)
  })
})
