import { describe, expect, it } from 'vitest'
import { percentileLinear } from '../../src-worker/dsp/percentile'

// Expected values follow from numpy's 'linear' definition: v = q/100·(n−1), lerp between the
// floor(v)-th and next order statistics.
describe('percentileLinear (numpy linear semantics)', () => {
  it('interpolates between order statistics', () => {
    expect(percentileLinear([1, 2, 3, 4], 50)).toBe(2.5)
    expect(percentileLinear([0, 10], 75)).toBe(7.5)
    expect(percentileLinear([5, 1, 9, 3, 7, 2, 8], 0)).toBe(1)
    expect(percentileLinear([5, 1, 9, 3, 7, 2, 8], 100)).toBe(9)
    expect(percentileLinear([5, 1, 9, 3, 7, 2, 8], 50)).toBe(5)
    // v = 0.1·6 = 0.6 between 1 and 2
    expect(percentileLinear([5, 1, 9, 3, 7, 2, 8], 10)).toBeCloseTo(1.6, 12)
    // v = 0.9·6 = 5.4 between 8 and 9
    expect(percentileLinear([5, 1, 9, 3, 7, 2, 8], 90)).toBeCloseTo(8.4, 12)
  })

  it('gives the 99.9th percentile of a shuffled ramp in closed form', () => {
    const n = 100_001
    const values = new Float32Array(n)
    for (let i = 0; i < n; i++) values[i] = (i * 7919) % n // a permutation of 0..n-1 (7919 is prime)
    // v = 0.999 · 100000 = 99900 exactly: the value 99900
    expect(percentileLinear(values, 99.9)).toBeCloseTo(99900, 6)
    expect(percentileLinear(values, 25)).toBeCloseTo(25000, 6)
    const small = Float32Array.from({ length: 1000 }, (_, i) => 999 - i)
    // v = 0.999 · 999 = 998.001
    expect(percentileLinear(small, 99.9)).toBeCloseTo(998.001, 9)
  })

  it('handles constant, repeated and single values, and does not modify its input', () => {
    const x = new Float64Array([3, 3, 3, 3])
    expect(percentileLinear(x, 99.9)).toBe(3)
    expect(percentileLinear([7], 40)).toBe(7)
    const y = [4, 1, 3, 2]
    percentileLinear(y, 50)
    expect(y).toEqual([4, 1, 3, 2])
    expect(percentileLinear([1, 1, 1, 5, 5, 5], 50)).toBe(3)
  })

  it('gives the same value by radix selection (large float32) and by quickselect (float64)', () => {
    let seed = 7
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
    const x = new Float32Array(50_000)
    for (let i = 0; i < x.length; i++) x[i] = Math.fround(Math.floor(rand() * 2000) - 1000 + (rand() < 0.1 ? 0.5 : 0))
    for (const q of [0, 0.1, 12.5, 50, 77.7, 99.9, 100]) {
      expect(percentileLinear(x, q)).toBe(percentileLinear(Float64Array.from(x), q))
    }
    const y = new Float32Array(10_000).fill(3)
    y[5] = Number.NaN
    expect(percentileLinear(y, 50)).toBeNaN()
  })

  it('returns NaN when a value is NaN and rejects bad input', () => {
    expect(percentileLinear([1, Number.NaN, 3], 50)).toBeNaN()
    expect(() => percentileLinear([], 50)).toThrow(/empty/)
    expect(() => percentileLinear([1, 2], 101)).toThrow(/q must be/)
  })
})
