import { describe, expect, it } from 'vitest'
import { findPeaks, localMaxima, selectByDistance } from '../../src-worker/dsp/findPeaks'

function diff(x: number[]): number[] {
  return x.slice(1).map((v, i) => v - x[i])
}

describe('findPeaks (scipy semantics, docs/algorithms.md §7.6)', () => {
  it('finds strict maxima and never the end points', () => {
    expect(localMaxima([0, 2, 1, 3, 0])).toEqual([1, 3])
    expect(localMaxima([5, 1, 5])).toEqual([])
    expect(localMaxima([1, 2, 3])).toEqual([])
  })

  it('takes the middle (rounded down) of a plateau with lower neighbours', () => {
    expect(localMaxima([0, 1, 1, 0])).toEqual([1])
    expect(localMaxima([0, 1, 1, 1, 0])).toEqual([2])
    expect(localMaxima([0, 2, 2, 2, 2, 0])).toEqual([2])
    // plateau rising again or running into the end is not a peak
    expect(localMaxima([0, 1, 1, 2, 0])).toEqual([3])
    expect(localMaxima([0, 1, 1, 1])).toEqual([])
    expect(localMaxima([1, 1, 0, 0])).toEqual([])
  })

  it('filters by height (>=)', () => {
    expect(findPeaks([0, 0.1, 0, 0.05, 0, 0.2, 0], { height: 0.1 })).toEqual([1, 5])
  })

  it('detects analog steps as in the hdmea tests (docs/algorithms.md §9.1)', () => {
    const step = (at: number[], h: number[]) => {
      const x = new Array(1000).fill(0)
      at.forEach((a, k) => {
        for (let i = a; i < 1000; i++) x[i] += h[k]
      })
      return x
    }
    expect(findPeaks(diff(step([500], [1e7])), { height: 1e6 })).toEqual([499])
    expect(findPeaks(diff(step([200, 400, 600], [1e7, 1e7, 1e7])), { height: 1e6 })).toHaveLength(3)
    expect(findPeaks(diff(step([200, 400, 600], [1e7, 1e4, 1e7])), { height: 1e6 })).toEqual([199, 599])
    expect(findPeaks(diff(new Array(1000).fill(0)), { height: 1e6 })).toEqual([])
    expect(findPeaks(diff(step([500], [1e6])), { height: 1e9 })).toEqual([])
  })

  it('keeps the higher peak within the minimum distance', () => {
    const x = [0, 5, 0, 9, 0, 4, 0, 0, 0, 7, 0]
    expect(findPeaks(x, { distance: 3 })).toEqual([3, 9])
    expect(findPeaks(x, { distance: 1 })).toEqual([1, 3, 5, 9])
    // distance is rounded up: 2.5 -> 3
    expect(selectByDistance([1, 3, 5, 9], x, 2.5)).toEqual([3, 9])
  })

  it('honours a search window', () => {
    const x = [0, 3, 0, 3, 0, 3, 0]
    expect(findPeaks(x, { start: 2 })).toEqual([3, 5])
    // the window's first sample cannot be a peak
    expect(findPeaks(x, { start: 1 })).toEqual([3, 5])
  })
})
