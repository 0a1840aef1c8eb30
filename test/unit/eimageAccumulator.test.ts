import { describe, expect, it } from 'vitest'
import {
  accumulateWindows,
  finishAverage,
  hdmeaChunkRule,
  wholeWindowRule,
  type SpikeRule,
} from '../../src-worker/eimage/windowAccumulator'

// docs/algorithms.md §9.4: data[t, r, c] = t + 100 r + 1000 c, T = 200, shape (200, 2, 3),
// spikes [10, 11, 100, 159, 160, 161, 5, 199], pre 10, post 40.
const T = 200
const R = 2
const C = 3
const PRE = 10
const POST = 40
const SPIKES = [10, 11, 100, 159, 160, 161, 5, 199]

function rampData(): Float64Array {
  const d = new Float64Array(T * R * C)
  for (let t = 0; t < T; t++) for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) d[(t * R + r) * C + c] = t + 100 * r + 1000 * c
  return d
}

const at = (sta: Float32Array, w: number, r: number, c: number) => sta[(w * R + r) * C + c]

function run(rule: SpikeRule, data = rampData(), dataStart = 0, rows = T) {
  const acc = new Float64Array((PRE + POST) * R * C)
  const used = accumulateWindows(acc, data, dataStart, rows, R * C, SPIKES, PRE, POST, rule)
  return { acc, used }
}

describe('eimage window accumulation against the golden values of algorithms 9.4', () => {
  it('vectorised rule (s >= pre, s + post <= T), divided by the used spikes: used 5, STA[0,0,0] 78, STA[49,1,2] 2227', () => {
    const { acc, used } = run(wholeWindowRule(0, T, PRE, POST))
    expect(used).toBe(5)
    expect(SPIKES.length - used).toBe(3)
    const sta = finishAverage(acc, used)
    expect(at(sta, 0, 0, 0)).toBe(78)
    expect(at(sta, 49, 1, 2)).toBe(2227)
  })

  it('legacy strict rule (s - pre > 0, s + post < T), divided by all 8: used 3, STA[0,0,0] 30, STA[49,1,2] 835.875', () => {
    const { acc, used } = run({ validFrom: PRE + 1, validTo: T - POST })
    expect(used).toBe(3)
    const sta = finishAverage(acc, SPIKES.length)
    expect(at(sta, 0, 0, 0)).toBe(30)
    expect(at(sta, 49, 1, 2)).toBe(835.875)
  })

  it('production chunk rule on chunk [100, 200): used 1 (159), excluded 4 of the chunk', () => {
    const rule = hdmeaChunkRule(100, 200, PRE, POST)
    const inChunk = SPIKES.filter((s) => s >= 100 && s < 200)
    const { acc, used } = run(rule)
    expect(used).toBe(1)
    expect(inChunk.length - used).toBe(4)
    // The single window is spike 159's: row w is t = 149 + w.
    const sta = finishAverage(acc, 1)
    expect(at(sta, 0, 0, 0)).toBe(149)
    expect(at(sta, 49, 1, 2)).toBe(149 + 49 + 100 + 2000)
  })

  it('production rule over one chunk [0, 200) with the legacy divisor (all 8 below the duration)', () => {
    // Valid: 10 <= s < 160 -> {10, 11, 100, 159}; sums of t at w = 0: 0 + 1 + 90 + 149 = 240.
    const { acc, used } = run(hdmeaChunkRule(0, 200, PRE, POST))
    expect(used).toBe(4)
    const sta = finishAverage(acc, 8)
    expect(at(sta, 0, 0, 0)).toBe(240 / 8)
    // w = 49, r = 1, c = 2: sum over used of (s + 39 + 2100).
    expect(at(sta, 49, 1, 2)).toBe((10 + 11 + 100 + 159 + 4 * (39 + 2100)) / 8)
  })

  it('uses only windows inside the given rows when the data is a piece of the signal', () => {
    // Rows [100, 200) only: spike 159's window [149, 199) is inside; 100's starts at 90, outside.
    const data = rampData().subarray(100 * R * C)
    const { acc, used } = run(wholeWindowRule(0, T, PRE, POST), data, 100, 100)
    expect(used).toBe(2) // 159 and 160 ([150, 200))
    expect(acc[0]).toBe(149 + 150)
  })

  it('gives all NaN when no spike was used', () => {
    const sta = finishAverage(new Float64Array(6), 0)
    expect(sta.every(Number.isNaN)).toBe(true)
  })
})
