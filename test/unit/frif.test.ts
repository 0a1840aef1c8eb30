import { describe, expect, it } from 'vitest'
import { computeFrif } from '../../src-worker/algo/frif'

const TS = [0, 333, 667, 1000, 1333]
const SPIKES = [0, 100, 400, 999, 1000, 1400]

describe('computeFrif (algorithms 5, golden 9.6)', () => {
  it('counts spikes per inter-frame interval in samples', () => {
    const { frif, xAxis } = computeFrif(SPIKES, TS, 20000)
    expect(frif).toBeInstanceOf(Float32Array)
    expect(xAxis).toBeInstanceOf(Float64Array)
    const expected = [2 / 0.01665, 1 / 0.0167, 1 / 0.01665, 1 / 0.01665]
    expect(frif.length).toBe(4)
    for (let i = 0; i < 4; i++) expect(frif[i]).toBeCloseTo(expected[i], 3)
    expect(frif[0]).toBeCloseTo(120.12, 2)
    expect(frif[1]).toBeCloseTo(59.88, 2)
    expect(frif[2]).toBeCloseTo(60.06, 2)
    expect(frif[3]).toBeCloseTo(60.06, 2)
    expect([...xAxis]).toEqual([0, 0.01665, 0.03335, 0.05])
  })

  it('does not reproduce the Python unit-mismatch numbers [360.36, 0, 0, 0]', () => {
    const { frif } = computeFrif(SPIKES, TS, 20000)
    expect(frif[0]).not.toBeCloseTo(360.36035, 1)
    expect(frif.slice(1).every((v) => v > 0)).toBe(true)
  })

  it('gives empty outputs for fewer than two frames or a non-positive rate, zeros without spikes', () => {
    expect(computeFrif(SPIKES, [5], 20000).frif.length).toBe(0)
    expect(computeFrif(SPIKES, TS, 0).xAxis.length).toBe(0)
    expect([...computeFrif([], TS, 20000).frif]).toEqual([0, 0, 0, 0])
  })

  it('gives 0 for a zero-length interval and handles unsorted spikes', () => {
    const { frif } = computeFrif([150, 50, 250], [0, 100, 100, 200, 300], 1000)
    // intervals [0,100) [100,100) [100,200) [200,300): 1, 0 (empty), 1, 1 spikes of 0.1 s
    expect([...frif].map((v) => Math.round(v * 1000) / 1000)).toEqual([10, 0, 10, 10])
  })

  it('equals a direct per-interval count on random data', () => {
    let seed = 7
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
    const ts: number[] = [1000]
    for (let i = 0; i < 500; i++) ts.push(ts[ts.length - 1] + 320 + Math.floor(rand() * 20))
    const spikes = Array.from({ length: 3000 }, () => Math.floor(rand() * 180000)).sort((a, b) => a - b)
    const { frif } = computeFrif(spikes, ts, 20000)
    for (let i = 0; i < ts.length - 1; i++) {
      const count = spikes.filter((s) => ts[i] <= s && s < ts[i + 1]).length
      expect(frif[i]).toBe(Math.fround(count / ((ts[i + 1] - ts[i]) / 20000)))
    }
  })
})
