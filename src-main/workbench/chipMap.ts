// Pure computation behind the chip map and the heatmaps' colour scales, on plain arrays: where each unit
// sits on the electrode array, how big its dot is, the footprint of its electrical image, its STA peak
// and robust value ranges. Rows and columns are 1-based, as Unit Info stores them (docs/DIFFERENCES.md).

import { percentileLinear } from '../../src-worker/dsp/percentile'

/** A CMOS-MEA sensor array is 65 x 65 electrodes. */
export const CHIP_ROWS = 65
export const CHIP_COLS = 65

export interface Positioned {
  id: string
  row: number | null
  col: number | null
}

export interface Placement<T extends Positioned> {
  placed: T[]
  unplaced: Array<{ id: string; reason: string }>
}

/** Units with an integer 1-based row and column inside the array; the others with the reason they are not drawn. */
export function placeUnits<T extends Positioned>(units: readonly T[], rows = CHIP_ROWS, cols = CHIP_COLS): Placement<T> {
  const placed: T[] = []
  const unplaced: Array<{ id: string; reason: string }> = []
  for (const u of units) {
    if (u.row === null || u.col === null) unplaced.push({ id: u.id, reason: 'no row/column in Unit Info' })
    else if (!Number.isInteger(u.row) || !Number.isInteger(u.col) || u.row < 1 || u.row > rows || u.col < 1 || u.col > cols) {
      unplaced.push({ id: u.id, reason: `row ${u.row}, column ${u.col} is outside the ${rows} x ${cols} array` })
    } else placed.push(u)
  }
  return { placed, unplaced }
}

/**
 * Dot diameters in pixels whose area grows with the spike count: minPx for 0 spikes, maxPx for the
 * most spikes, sqrt in between (a unit with a quarter of the spikes gets the middle diameter).
 */
export function spikeDotSizes(counts: readonly number[], minPx = 6, maxPx = 20): number[] {
  const most = counts.reduce((m, c) => (c > m ? c : m), 0)
  return counts.map((c) => (most > 0 ? minPx + (maxPx - minPx) * Math.sqrt(Math.max(0, c) / most) : minPx))
}

export interface FootprintCell {
  /** 1-based electrode row and column. */
  row: number
  col: number
  /** Peak |value| over the lags at this electrode, relative to the largest of the image (0..1]. */
  rel: number
}

export interface Footprint {
  cells: FootprintCell[]
  peakAmplitude: number
  peakRow: number | null
  peakCol: number | null
}

/**
 * The electrodes an electrical image `(frames, rows, cols)` reaches: every electrode whose peak |value|
 * over the lags is at least `threshold` times the image's largest, strongest first. Non-finite values
 * are ignored.
 */
export function eimageFootprint(data: ArrayLike<number>, frames: number, rows: number, cols: number, threshold: number): Footprint {
  if (data.length !== frames * rows * cols) throw new RangeError(`eimage has ${data.length} values, not ${frames} x ${rows} x ${cols}`)
  const per = rows * cols
  const amp = new Float64Array(per)
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < per; i++) {
      const a = Math.abs(data[f * per + i])
      if (a > amp[i]) amp[i] = a // NaN compares false and is skipped
    }
  }
  let peak = 0
  let at = -1
  for (let i = 0; i < per; i++) {
    if (amp[i] > peak) {
      peak = amp[i]
      at = i
    }
  }
  if (at < 0) return { cells: [], peakAmplitude: 0, peakRow: null, peakCol: null }
  const cells: FootprintCell[] = []
  for (let i = 0; i < per; i++) {
    const rel = amp[i] / peak
    if (rel >= threshold) cells.push({ row: Math.floor(i / cols) + 1, col: (i % cols) + 1, rel })
  }
  cells.sort((a, b) => b.rel - a.rel || a.row - b.row || a.col - b.col)
  return { cells, peakAmplitude: peak, peakRow: Math.floor(at / cols) + 1, peakCol: (at % cols) + 1 }
}

/** The largest |value − mean| of an STA (how far it departs from the mean stimulus); null without finite values. */
export function staPeak(data: ArrayLike<number>): number | null {
  let sum = 0
  let n = 0
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (Number.isFinite(v)) {
      sum += v
      n++
    }
  }
  if (n === 0) return null
  const mean = sum / n
  let peak = 0
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (Number.isFinite(v)) peak = Math.max(peak, Math.abs(v - mean))
  }
  return peak
}

export interface RobustRange {
  /** The `tail`-th and (100 − tail)-th percentiles of the finite values. */
  lo: number
  hi: number
  /** The (100 − tail)-th percentile of |value|, for scales symmetric around 0. */
  abs: number
}

/**
 * A colour range that a few extreme values cannot stretch: the `tail`-th and (100 − tail)-th
 * percentiles of the finite values, and the (100 − tail)-th percentile of their magnitudes.
 * Zeros when there is no finite value.
 */
export function robustRange(values: ArrayLike<number>, tail: number): RobustRange {
  const finite: number[] = []
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite.push(values[i])
  if (finite.length === 0) return { lo: 0, hi: 0, abs: 0 }
  const v = Float64Array.from(finite)
  const mag = v.map(Math.abs)
  return { lo: percentileLinear(v, tail), hi: percentileLinear(v, 100 - tail), abs: percentileLinear(mag, 100 - tail) }
}
