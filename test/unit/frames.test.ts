import { describe, expect, it } from 'vitest'
import { detectFrameTimestamps, normalisedDiff } from '../../src-worker/algo/frameTimestamps'
import { findPeaks } from '../../src-worker/dsp/findPeaks'
import { percentileLinear } from '../../src-worker/dsp/percentile'
import { computeFiringRate } from '../../src-worker/algo/firingRate'
import { roundHalfEven, usToSamples, usToSamplesLegacyTrunc } from '../../src-worker/algo/spikeConversion'

describe('detectFrameTimestamps (golden cases, docs/algorithms.md §9.2)', () => {
  it('drops the first four of ten pulses', () => {
    const x = new Float32Array(5000).fill(100)
    for (let k = 0; k < 10; k++) x.fill(5000, 1000 + 333 * k, 1000 + 333 * k + 100)
    expect(Array.from(detectFrameTimestamps(x))).toEqual([2331, 2664, 2997, 3330, 3663, 3996])
  })

  it('takes the steepest sample of 3-sample ramps and keeps all when there are only three', () => {
    const x = new Float32Array(3000).fill(100)
    for (const a of [500, 1500, 2500]) {
      x[a] = 1733
      x[a + 1] = 3366
      x.fill(5000, a + 2, a + 300)
    }
    expect(Array.from(detectFrameTimestamps(x))).toEqual([501, 1501, 2501])
  })

  it('matches the plain composition percentile -> diff -> find_peaks -> drop 4 on signals with plateaus', () => {
    let seed = 12345
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
    for (let trial = 0; trial < 5; trial++) {
      const x = new Float32Array(20000)
      let level = 100
      let i = 0
      while (i < x.length) {
        // rising edges as equal-step ramps of 1-4 samples (plateaus in the difference), then a hold
        const ramp = 1 + Math.floor(rand() * 4)
        for (let r = 1; r <= ramp && i < x.length; r++) x[i++] = 100 + (4900 * r) / ramp
        const hold = 60 + Math.floor(rand() * 60)
        for (let h = 0; h < hold && i < x.length; h++) x[i++] = 5000 + Math.floor(rand() * 4) * 100
        level = 100
        for (let h = 0; h < hold && i < x.length; h++) x[i++] = level + Math.floor(rand() * 2) * 100
      }
      const p = percentileLinear(Array.from(x), 99.9)
      const reference = findPeaks(normalisedDiff(x, p), { height: 0.1 })
      const expected = reference.length > 4 ? reference.slice(4) : reference
      expect(expected.length).toBeGreaterThan(100)
      expect(Array.from(detectFrameTimestamps(x))).toEqual(expected)
    }
  })

  it('returns nothing for a flat signal', () => {
    expect(detectFrameTimestamps(new Float32Array(100).fill(7)).length).toBe(0)
  })
})

describe('computeFiringRate (docs/algorithms.md §9.6)', () => {
  it('bins µs times into 100-ms bins with a closed last bin', () => {
    expect(Array.from(computeFiringRate([0, 50000, 99999, 100000, 250000, 300000], 300000))).toEqual([30, 10, 20])
    expect(Array.from(computeFiringRate([0, 50000, 99999, 100000, 250000, 300000], 250001))).toEqual([30, 10, 20])
  })

  it('drops times beyond the last edge and returns float32; empty input gives an empty array', () => {
    const r = computeFiringRate([10, 150000, 300001], 200000)
    expect(r).toBeInstanceOf(Float32Array)
    expect(Array.from(r)).toEqual([10, 10])
    expect(computeFiringRate([], 1e6).length).toBe(0)
    expect(computeFiringRate([5], 0).length).toBe(0)
  })
})

describe('spike time conversion (docs/algorithms.md §0.2)', () => {
  it('rounds halves to even like numpy', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4999, 2.5001, 7].map(roundHalfEven)).toEqual([0, 2, 2, 4, 2, 3, 7])
    // 25 µs at 20 kHz is exactly half a sample; 75 µs is 1.5 samples
    expect(Array.from(usToSamples([25, 75, 125, 50, 1e6], 20000))).toEqual([0, 2, 2, 1, 20000])
  })

  it('reproduces the legacy truncating form, one sample early for some multiples of 50 µs', () => {
    // numpy: int64(t / 1e6 * 20000) for t = 150, 300, 600, 1200, 1450 µs gives 2, 5, 11, 23, 28
    expect(Array.from(usToSamplesLegacyTrunc([150, 300, 600, 1200, 1450], 20000))).toEqual([2, 5, 11, 23, 28])
    expect(Array.from(usToSamples([150, 300, 600, 1200, 1450], 20000))).toEqual([3, 6, 12, 24, 29])
  })
})
