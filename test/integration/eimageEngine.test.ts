// The streamed eimage engine on a generated .cmcr, through the real worker pool (out/main/task.js).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTaskPool, type TaskPool } from '../../src-main/pool/taskPool'
import { CancelledError } from '../../src-shared/errors'
import { butterworthHighpassSos } from '../../src-worker/dsp/butterworth'
import { sosfiltfilt } from '../../src-worker/dsp/sosfilt'
import { computeEimageSta, type EimageRequest } from '../../src-worker/eimage/engine'
import { openCmcr, type CmcrFile } from '../../src-worker/mcs/cmcrReader'
import { generateRecording, type RecordingTruth } from '../../src-worker/synthetic/generator'
import { spatialWeight, spikeTimeCourse, FOOTPRINT_RADIUS } from '../../src-worker/synthetic/syntheticModel'

const PRE = 10
const POST = 40
const L = PRE + POST
const G = 65

let dir: string
let truth: RecordingTruth
let cmcr: CmcrFile
let pool: TaskPool
let N: number
let spikesByUnit: number[][]

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eimage-engine-'))
  const gen = await generateRecording({ dir, stem: 'rec', seed: 11, analogDurationS: 1.2, sensorDurationS: 0.9, nUnits: 4, baseRateHz: 50 })
  truth = gen.truth
  cmcr = await openCmcr(gen.cmcrPath)
  pool = createTaskPool({ threads: 2 })
  N = cmcr.sensor!.frames
  spikesByUnit = truth.units.map((u) =>
    u.spikeTimesUs!.map((us) => Math.round((us * truth.samplingRate) / 1e6)).filter((_, i) => u.include![i] === 1),
  )
})

afterAll(async () => {
  cmcr?.close()
  await pool?.destroy()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function request(over: Partial<EimageRequest> = {}): EimageRequest {
  return {
    cmcr,
    totalSamples: N,
    samplingRate: truth.samplingRate,
    pre: PRE,
    post: POST,
    cutoffHz: 100,
    filterOrder: 2,
    mode: 'none',
    units: truth.units.map((u, i) => ({ id: u.id, spikes: spikesByUnit[i] })),
    slabBytes: 12 * 1024 * 1024, // ~1490 frames: a dozen slabs, so slab edges are crossed by windows
    ...over,
  }
}

/** One electrode's whole filtered signal, read straight from the file (time, col, row). */
function filteredElectrode(frames: Int16Array, row: number, col: number): Float32Array {
  const x = new Float64Array(N)
  const idx = (col - 1) * G + (row - 1)
  for (let t = 0; t < N; t++) x[t] = frames[t * G * G + idx]
  return Float32Array.from(sosfiltfilt(butterworthHighpassSos(2, 100, truth.samplingRate), x))
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length
  let ma = 0
  let mb = 0
  for (let i = 0; i < n; i++) {
    ma += a[i] / n
    mb += b[i] / n
  }
  let sab = 0
  let saa = 0
  let sbb = 0
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb)
    saa += (a[i] - ma) ** 2
    sbb += (b[i] - mb) ** 2
  }
  return sab / Math.sqrt(saa * sbb)
}

describe('streamed eimage STA on a generated recording', () => {
  it('recovers each unit footprint at its electrode, in (window, rows, cols) order', async () => {
    const res = await computeEimageSta(request(), { pool })
    expect(res.rows).toBe(G)
    expect(res.cols).toBe(G)
    const sos = butterworthHighpassSos(2, 100, truth.samplingRate)
    for (const [i, u] of truth.units.entries()) {
      const r = res.units[i]
      expect(Math.abs(u.row - u.col)).toBeGreaterThanOrEqual(4) // off-diagonal: a transposition would show
      expect(r.nUsed).toBeGreaterThan(20)
      expect(r.divisor).toBe(r.nUsed)
      // Peak |value| electrode.
      let best = 0
      let bestIdx = -1
      r.sta.forEach((v, k) => {
        if (Math.abs(v) > best) {
          best = Math.abs(v)
          bestIdx = k
        }
      })
      const cell = bestIdx % (G * G)
      expect([Math.floor(cell / G) + 1, (cell % G) + 1]).toEqual([u.row, u.col])
      // Template: amplitude x time course x spatial weight, filtered the same way in time.
      const course = new Float64Array(400)
      for (let k = -5; k < 15; k++) course[200 + k] = u.amplitude * spikeTimeCourse(k)
      const fcourse = sosfiltfilt(sos, course)
      const template: number[] = []
      const measured: number[] = []
      for (let dr = -FOOTPRINT_RADIUS; dr <= FOOTPRINT_RADIUS; dr++) {
        for (let dc = -FOOTPRINT_RADIUS; dc <= FOOTPRINT_RADIUS; dc++) {
          for (let w = 0; w < L; w++) {
            template.push(fcourse[200 - PRE + w] * spatialWeight(dr, dc))
            measured.push(r.sta[w * G * G + (u.row - 1 + dr) * G + (u.col - 1 + dc)])
          }
        }
      }
      expect(correlation(template, measured)).toBeGreaterThan(0.95)
    }
  })

  it('equals averaging windows of the whole-signal sosfiltfilt (workers, slabs, transposition)', async () => {
    const res = await computeEimageSta(request(), { pool })
    const u = truth.units[1]
    const spikes = spikesByUnit[1].filter((s) => s >= PRE && s + POST <= N)
    const frames = cmcr.readSensorFrames(0, N)
    for (const [row, col] of [[u.row, u.col], [u.row + 1, u.col - 2], [1, 65], [65, 1]]) {
      const y = filteredElectrode(frames, row, col)
      const mean = new Float64Array(L)
      for (const s of spikes) for (let w = 0; w < L; w++) mean[w] += y[s - PRE + w]
      for (let w = 0; w < L; w++) {
        const got = res.units[1].sta[w * G * G + (row - 1) * G + (col - 1)]
        expect(Math.abs(got - mean[w] / spikes.length)).toBeLessThan(1e-4 * (1 + Math.abs(mean[w] / spikes.length)))
      }
    }
    expect(res.units[1].nUsed).toBe(spikes.length)
  })

  it('hdmea mode: chunk rule and the legacy divisor (all spikes in the span)', async () => {
    const res = await computeEimageSta(request({ mode: 'hdmea', ranges: 3 }), { pool })
    const def = await computeEimageSta(request(), { pool })
    truth.units.forEach((_, i) => {
      const inSpan = spikesByUnit[i].filter((s) => s < N)
      // One 10-s chunk: valid iff pre <= s < N - post (the window ending on the last sample is dropped).
      const used = inSpan.filter((s) => s >= PRE && s < N - POST)
      expect(res.units[i].nUsed).toBe(used.length)
      expect(res.units[i].divisor).toBe(inSpan.length)
      // Same windows as the default here unless a spike sits exactly at N - post: scaled by used / all.
      if (used.length === def.units[i].nUsed) {
        const k = (PRE * G + 5) * G + 7
        expect(res.units[i].sta[k]).toBeCloseTo((def.units[i].sta[k] * used.length) / inSpan.length, 3)
      }
    })
  })

  it('runs the SIMD kernels in the workers, bit-identical to the plain loops', async () => {
    const short = { units: [{ id: 'u', spikes: spikesByUnit[0] }], totalSamples: 5000 }
    const fast = await computeEimageSta(request(short), { pool })
    const plain = await computeEimageSta(request({ ...short, plainLoops: true }), { pool })
    expect(fast.simd).toBe(true)
    expect(plain.simd).toBe(false)
    expect(Array.from(fast.units[0].sta)).toEqual(Array.from(plain.units[0].sta))
  })

  it('gives NaN images for a unit without spikes in the span', async () => {
    const res = await computeEimageSta(request({ units: [{ id: 'unit_099', spikes: [N + 5, N + 100] }] }), { pool })
    expect(res.units[0].nUsed).toBe(0)
    expect(res.units[0].nInSpan).toBe(0)
    expect(res.units[0].sta.every(Number.isNaN)).toBe(true)
  })

  it('reports progress in bytes and stops on cancel', async () => {
    const ac = new AbortController()
    const seen: number[] = []
    const started = performance.now()
    const run = computeEimageSta(request({ slabBytes: 1024 * 1024 }), {
      pool,
      signal: ac.signal,
      onProgress: (p) => {
        seen.push(p.bytesDone)
        expect(p.bytesTotal).toBe(N * G * G * 2)
        if (seen.length === 2) ac.abort()
      },
    })
    await expect(run).rejects.toBeInstanceOf(CancelledError)
    expect(performance.now() - started).toBeLessThan(5000)
    expect(seen.length).toBe(2)
    expect(seen[1]).toBeGreaterThan(seen[0])
  })
})

// The Python production algorithm, written out plainly (algorithms 4.3 step 5), for a few electrodes:
// chunks of int(rate * 10) samples, each loaded with (pre + post) samples of overlap on both sides and
// filtered on its own; spikes with c0 + pre <= s < c1 - post add the window of the chunk's valid part;
// the sum is divided by every spike in the span.
describe('hdmea mode against the production algorithm over several 10-s chunks', () => {
  let dir2: string
  let cmcr2: CmcrFile
  let truth2: RecordingTruth
  const RATE = 500 // a low rate keeps three 10-s chunks small (5000 samples each)

  beforeAll(async () => {
    dir2 = mkdtempSync(join(tmpdir(), 'eimage-compat-'))
    const gen = await generateRecording({ dir: dir2, stem: 'slow', seed: 3, samplingRate: RATE, analogDurationS: 24, sensorDurationS: 23, nUnits: 2, baseRateHz: 3 })
    truth2 = gen.truth
    cmcr2 = await openCmcr(gen.cmcrPath)
  })
  afterAll(() => {
    cmcr2?.close()
    if (dir2) rmSync(dir2, { recursive: true, force: true })
  })

  it('gives the same images (to float32 rounding) and counts', async () => {
    const N = cmcr2.sensor!.frames
    const pre = 3
    const post = 7
    const spikes = truth2.units.map((u) => u.spikeTimesUs!.map((t) => Math.trunc((t / 1e6) * RATE)))
    const res = await computeEimageSta(
      { cmcr: cmcr2, totalSamples: N, samplingRate: RATE, pre, post, cutoffHz: 40, filterOrder: 2, mode: 'hdmea', units: truth2.units.map((u, i) => ({ id: u.id, spikes: spikes[i] })), slabBytes: 8 * 1024 * 1024 },
      { pool },
    )
    const sos = butterworthHighpassSos(2, 40, RATE)
    const frames = cmcr2.readSensorFrames(0, N)
    const chunk = Math.trunc(RATE * 10)
    const electrodes = [[5, 9], [33, 12], [64, 65]]
    truth2.units.forEach((u, ui) => {
      const inSpan = spikes[ui].filter((s) => s < N)
      let used = 0
      const sums = electrodes.map(() => new Float64Array(pre + post))
      for (let c0 = 0; c0 < N; c0 += chunk) {
        const c1 = Math.min(c0 + chunk, N)
        const l0 = Math.max(0, c0 - pre - post)
        const l1 = Math.min(c1 + pre + post, N)
        const valid = inSpan.filter((s) => s >= c0 + pre && s < c1 - post)
        used += valid.length
        electrodes.forEach(([row, col], k) => {
          const x = new Float64Array(l1 - l0)
          for (let t = l0; t < l1; t++) x[t - l0] = frames[t * G * G + (col - 1) * G + (row - 1)]
          const y = Float32Array.from(sosfiltfilt(sos, x))
          for (const s of valid) for (let w = 0; w < pre + post; w++) sums[k][w] += y[s - pre + w - l0]
        })
      }
      expect(res.units[ui].nUsed).toBe(used)
      expect(res.units[ui].divisor).toBe(inSpan.length)
      expect(used).toBeLessThan(inSpan.length + 1)
      electrodes.forEach(([row, col], k) => {
        for (let w = 0; w < pre + post; w++) {
          const want = sums[k][w] / inSpan.length
          const got = res.units[ui].sta[w * G * G + (row - 1) * G + (col - 1)]
          expect(Math.abs(got - want)).toBeLessThan(1e-5 * (1 + Math.abs(want)))
        }
      })
    })
  })
})
