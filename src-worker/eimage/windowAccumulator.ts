// Spike-window accumulation, the arithmetic core of the electrical-image STA (docs/algorithms.md §4.3, §9.4).
//
// Data is time-major: row t holds `width` values (electrodes). A spike at sample s is valid iff
// validFrom <= s < validTo; its window is rows [s - pre, s + post), which in time-major layout is one
// contiguous block of (pre + post) x width values, added as a whole into the unit's accumulator.

export interface SpikeRule {
  /** Smallest valid spike sample. */
  validFrom: number
  /** One past the largest valid spike sample. */
  validTo: number
}

/**
 * The rule of the default mode: the whole window lies inside [start, end) of the signal.
 * (The vectorised Python rule, s >= pre and s + post <= T, for start = 0 and end = T.)
 */
export function wholeWindowRule(start: number, end: number, pre: number, post: number): SpikeRule {
  return { validFrom: start + pre, validTo: end - post + 1 }
}

/**
 * The production Python chunk rule: chunk_start + pre <= s < chunk_end - post, i.e. a window that
 * ends on the chunk's last sample is dropped too (docs/algorithms.md §4.3 step 5).
 */
export function hdmeaChunkRule(chunkStart: number, chunkEnd: number, pre: number, post: number): SpikeRule {
  return { validFrom: chunkStart + pre, validTo: chunkEnd - post }
}

export function isValid(rule: SpikeRule, s: number): boolean {
  return s >= rule.validFrom && s < rule.validTo
}

/** acc[0 .. L*width) += data[(row0) * width .. (row0 + L) * width). */
export function addWindow(acc: Float64Array, accOffset: number, data: ArrayLike<number>, dataOffset: number, length: number): void {
  for (let k = 0; k < length; k++) acc[accOffset + k] += data[dataOffset + k]
}

/**
 * Adds every valid spike's window of `data` (rows [dataStart, dataStart + rows), time-major,
 * `width` values per row) into `acc` (L x width). Returns how many spikes were added.
 * Spikes whose window is not inside the data are skipped whatever the rule says.
 */
export function accumulateWindows(
  acc: Float64Array,
  data: ArrayLike<number>,
  dataStart: number,
  rows: number,
  width: number,
  spikes: ArrayLike<number>,
  pre: number,
  post: number,
  rule: SpikeRule,
): number {
  const length = (pre + post) * width
  let used = 0
  for (let i = 0; i < spikes.length; i++) {
    const s = spikes[i]
    if (!isValid(rule, s)) continue
    const first = s - pre - dataStart
    if (first < 0 || s + post - dataStart > rows) continue
    addWindow(acc, 0, data, first * width, length)
    used++
  }
  return used
}

/** sta = acc / divisor as float32; all NaN when the divisor is 0. */
export function finishAverage(acc: Float64Array, divisor: number): Float32Array {
  const out = new Float32Array(acc.length)
  if (divisor <= 0) {
    out.fill(NaN)
    return out
  }
  for (let i = 0; i < acc.length; i++) out[i] = acc[i] / divisor
  return out
}
