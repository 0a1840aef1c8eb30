// The chip map's pure computation on plain arrays: placement on the 1-based electrode grid, dot sizes,
// the electrical-image footprint, the STA peak and robust colour ranges.
import { describe, expect, it } from 'vitest'
import { eimageFootprint, placeUnits, robustRange, spikeDotSizes, staPeak } from '../../src-main/workbench/chipMap'

describe('placeUnits', () => {
  it('keeps 1-based rows and columns inside the array and says why the others are left out', () => {
    const units = [
      { id: 'a', row: 1, col: 1 },
      { id: 'b', row: 65, col: 65 },
      { id: 'c', row: 0, col: 4 },
      { id: 'd', row: 66, col: 1 },
      { id: 'e', row: null, col: 3 },
      { id: 'f', row: 2.5, col: 3 },
      { id: 'g', row: 12, col: 45 },
    ]
    const p = placeUnits(units)
    expect(p.placed.map((u) => u.id)).toEqual(['a', 'b', 'g'])
    expect(p.unplaced.map((u) => u.id)).toEqual(['c', 'd', 'e', 'f'])
    expect(p.unplaced[0].reason).toBe('row 0, column 4 is outside the 65 x 65 array')
    expect(p.unplaced[2].reason).toBe('no row/column in Unit Info')
    expect(placeUnits(units, 2, 2).placed.map((u) => u.id)).toEqual(['a'])
  })
})

describe('spikeDotSizes', () => {
  it('area grows with the spike count: min for none, max for the most, the middle diameter for a quarter', () => {
    expect(spikeDotSizes([0, 100, 400], 6, 20)).toEqual([6, 13, 20])
    expect(spikeDotSizes([0, 0], 6, 20)).toEqual([6, 6])
    expect(spikeDotSizes([])).toEqual([])
  })
})

describe('eimageFootprint', () => {
  it('electrodes whose peak |value| over the lags reaches the threshold, 1-based, strongest first', () => {
    // 2 frames of 3 rows x 4 cols. Peak -10 at frame 1, row 2 (0-based 1), col 3 (0-based 2).
    const frames = 2
    const rows = 3
    const cols = 4
    const data = new Float32Array(frames * rows * cols)
    const at = (f: number, r: number, c: number) => f * rows * cols + r * cols + c
    data[at(1, 1, 2)] = -10
    data[at(0, 1, 2)] = 4
    data[at(0, 0, 0)] = 5 // 0.5 of the peak
    data[at(1, 2, 3)] = 2.9 // below 0.3
    data[at(0, 2, 1)] = Number.NaN
    const fp = eimageFootprint(data, frames, rows, cols, 0.3)
    expect(fp.peakAmplitude).toBe(10)
    expect([fp.peakRow, fp.peakCol]).toEqual([2, 3])
    expect(fp.cells).toEqual([
      { row: 2, col: 3, rel: 1 },
      { row: 1, col: 1, rel: 0.5 },
    ])
    expect(eimageFootprint(data, frames, rows, cols, 0.25).cells.map((c) => [c.row, c.col])).toEqual([
      [2, 3],
      [1, 1],
      [3, 4],
    ])
  })

  it('an all-zero image has no footprint, and a wrong length is refused', () => {
    expect(eimageFootprint(new Float32Array(8), 2, 2, 2, 0.3)).toEqual({ cells: [], peakAmplitude: 0, peakRow: null, peakCol: null })
    expect(() => eimageFootprint(new Float32Array(7), 2, 2, 2, 0.3)).toThrow('eimage has 7 values, not 2 x 2 x 2')
  })
})

describe('staPeak', () => {
  it('the largest departure from the mean, ignoring non-finite values', () => {
    // mean of [1, 1, 1, 5] = 2; largest |v - 2| = 3
    expect(staPeak([1, 1, Number.NaN, 1, 5])).toBe(3)
    expect(staPeak([7, 7, 7])).toBe(0)
    expect(staPeak([Number.NaN])).toBeNull()
  })
})

describe('robustRange', () => {
  it('percentiles that one extreme value cannot stretch', () => {
    // 0..99 plus one outlier at 10000: 101 values, the 1st and 99th percentiles (numpy linear) are 1 and 99.
    const v = [...Array.from({ length: 100 }, (_, i) => i), 10000]
    const r = robustRange(v, 1)
    expect(r.lo).toBeCloseTo(1, 10)
    expect(r.hi).toBeCloseTo(99, 10)
    expect(r.abs).toBeCloseTo(99, 10)
    // Magnitudes: a symmetric range covers the negative side too.
    const s = robustRange([-50, ...Array.from({ length: 99 }, () => 1), Number.NaN], 1)
    expect(s.lo).toBeCloseTo(-50 + 0.99 * 51, 10) // between the 1st (-50) and 2nd (1) smallest
    // |values|: ninety-nine 1s and one 50; the 99th percentile sits 0.01 of the way from 1 to 50.
    expect(s.abs).toBeCloseTo(1.49, 10)
    expect(robustRange([Number.NaN], 1)).toEqual({ lo: 0, hi: 0, abs: 0 })
  })
})
