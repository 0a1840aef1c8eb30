import { describe, expect, it } from 'vitest'
import {
  computeSta,
  floorFrames,
  movieRelativeFrames,
  windowStartHistogram,
} from '../../src-worker/algo/visualSta'

/** movie[f, :, :] = f (uint8), the closed-form movie of docs/algorithms.md §9.4. */
function rampMovie(frames: number, h: number, w: number): Uint8Array {
  const m = new Uint8Array(frames * h * w)
  for (let f = 0; f < frames; f++) m.fill(f, f * h * w, (f + 1) * h * w)
  return m
}

/** Brute force: gather every valid window and average, as the Python does. */
function gatherSta(frames: number[], movie: Uint8Array, n: number, p: number, [a, b]: [number, number]) {
  const L = b - a
  const valid = frames.filter((f) => f + a >= 0 && f + b <= n)
  const out = new Float64Array(L * p)
  for (const f of valid) for (let k = 0; k < L; k++) for (let j = 0; j < p; j++) out[k * p + j] += movie[(f + a + k) * p + j]
  return { sta: Float32Array.from(out, (v) => v / valid.length), used: valid.length }
}

describe('floor frame mapping (algorithms 1.6, 9.4)', () => {
  it('maps a sample at a timestamp to that frame and between timestamps to the earlier one', () => {
    expect([...floorFrames([0, 1000, 2000, 3000], [0, 1000, 2000, 3000, 4000])]).toEqual([0, 1, 2, 3])
    expect([...floorFrames([500, 1500, 2999], [0, 1000, 2000, 3000])]).toEqual([0, 1, 2])
  })
  it('clips before the first and after the last timestamp', () => {
    expect([...floorFrames([-5, 99999], [10, 20, 30])]).toEqual([0, 2])
  })
  it('makes frames movie-relative to floor(section start) + 60', () => {
    const ts = Array.from({ length: 200 }, (_, i) => i * 100)
    // section starts inside frame 10 -> movie frame 0 is display frame 70
    expect([...movieRelativeFrames([7000, 7099, 6999, 8000], ts, 1050)]).toEqual([0, 0, -1, 10])
  })
})

describe('edge rules and counts (algorithms 9.4, from the Python unit tests)', () => {
  it('spikes [5, 9, 50, 60, 70], cover (-10, 0), 100 frames: used 3, excluded 2', () => {
    const r = computeSta([5, 9, 50, 60, 70], new Uint8Array(100 * 25), { frames: 100, height: 5, width: 5 }, [-10, 0])
    expect([r.nUsed, r.nExcluded]).toEqual([3, 2])
    expect(r.sta.length).toBe(10 * 5 * 5)
  })
  it('spikes [30, 40, 50, 96, 99], cover (-5, 5): used 3, excluded 2', () => {
    const r = computeSta([30, 40, 50, 96, 99], new Uint8Array(100), { frames: 100, height: 1, width: 1 }, [-5, 5])
    expect([r.nUsed, r.nExcluded]).toEqual([3, 2])
  })
  it('spikes [0, 1, 2, 55, 59], cover (-60, 0): nothing valid, all NaN float32 (60, 15, 15)', () => {
    const r = computeSta([0, 1, 2, 55, 59], new Uint8Array(100 * 225), { frames: 100, height: 15, width: 15 }, [-60, 0])
    expect([r.nUsed, r.nExcluded]).toEqual([0, 5])
    expect(r.sta).toBeInstanceOf(Float32Array)
    expect(r.sta.length).toBe(60 * 225)
    expect(r.sta.every((v) => Number.isNaN(v))).toBe(true)
  })
  it('rejects an empty or reversed cover range', () => {
    expect(() => windowStartHistogram([1], 10, [0, 0])).toThrow(/start < end/)
    expect(() => windowStartHistogram([1], 10, [3, -3])).toThrow(/start < end/)
  })
})

describe('exact STA values for movie[f] = f (algorithms 9.4)', () => {
  const movie = rampMovie(100, 2, 2)
  const shape = { frames: 100, height: 2, width: 2 }
  it('spikes [10, 50, 60, 3, 99, 100], cover (-5, 0): the spike one past the end is valid', () => {
    const r = computeSta([10, 50, 60, 3, 99, 100], movie, shape, [-5, 0])
    expect([r.nUsed, r.nExcluded]).toEqual([5, 1])
    const col = [0, 1, 2, 3, 4].map((k) => r.sta[k * 4])
    expect(col).toEqual([58.8, 59.8, 60.8, 61.8, 62.8].map(Math.fround))
    for (let k = 0; k < 5; k++) for (let j = 0; j < 4; j++) expect(r.sta[k * 4 + j]).toBe(r.sta[k * 4])
  })
  it('spikes [10, 95, 96], cover (-5, 5): used 2, STA 47.5 ... 56.5', () => {
    const r = computeSta([10, 95, 96], movie, shape, [-5, 5])
    expect([r.nUsed, r.nExcluded]).toEqual([2, 1])
    expect(Array.from({ length: 10 }, (_, k) => r.sta[k * 4])).toEqual(Array.from({ length: 10 }, (_, k) => 47.5 + k))
  })
})

describe('histogram form equals the gathered-windows mean', () => {
  it('on random binary noise and random spike frames, with repeats', () => {
    let seed = 12345
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
    const n = 300
    const p = 7 * 5
    const movie = Uint8Array.from({ length: n * p }, () => (rand() < 0.5 ? 0 : 255))
    const frames = Array.from({ length: 2000 }, () => Math.floor(rand() * (n + 40)) - 20)
    for (const cover of [[-60, 0], [-10, 10], [-1, 0], [3, 8]] as Array<[number, number]>) {
      const r = computeSta(frames, movie, { frames: n, height: 7, width: 5 }, cover)
      const g = gatherSta(frames, movie, n, p, cover)
      expect(r.nUsed).toBe(g.used)
      expect(r.nExcluded).toBe(frames.length - g.used)
      expect(r.sta).toEqual(g.sta)
      // the same through the float64 path for a movie that is not a Uint8Array
      expect(computeSta(frames, Array.from(movie), { frames: n, height: 7, width: 5 }, cover).sta).toEqual(g.sta)
    }
  })
})
