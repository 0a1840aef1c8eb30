// Reducing long signals to what a chart can draw without losing what the eye must see: min/max
// decimation keeps, per bucket, the smallest and the largest sample in their original order, so every
// peak and every flash edge of a 24-million-sample light reference survives at 4000 points.

export interface Decimated {
  /** Sample indices (into the original array) of the kept points, increasing. */
  index: number[]
  value: number[]
}

/**
 * Keeps at most `maxPoints` samples of values[start..end): everything when it fits, otherwise the min and
 * max of each of floor(maxPoints/2) equal buckets. Non-finite samples are skipped.
 */
export function minMaxDecimate(values: ArrayLike<number>, start: number, end: number, maxPoints: number): Decimated {
  const lo = Math.max(0, Math.floor(start))
  const hi = Math.min(values.length, Math.ceil(end))
  const n = hi - lo
  const index: number[] = []
  const value: number[] = []
  if (n <= 0) return { index, value }
  if (n <= maxPoints) {
    for (let i = lo; i < hi; i++) {
      const v = values[i]
      if (Number.isFinite(v)) {
        index.push(i)
        value.push(v)
      }
    }
    return { index, value }
  }
  const buckets = Math.max(1, Math.floor(maxPoints / 2))
  for (let b = 0; b < buckets; b++) {
    const from = lo + Math.floor((b * n) / buckets)
    const to = lo + Math.floor(((b + 1) * n) / buckets)
    let minI = -1
    let maxI = -1
    let minV = Infinity
    let maxV = -Infinity
    for (let i = from; i < to; i++) {
      const v = values[i]
      if (v < minV) {
        minV = v
        minI = i
      }
      if (v > maxV) {
        maxV = v
        maxI = i
      }
    }
    if (minI < 0) continue // bucket of NaNs only
    if (minI === maxI) {
      index.push(minI)
      value.push(minV)
    } else if (minI < maxI) {
      index.push(minI, maxI)
      value.push(minV, maxV)
    } else {
      index.push(maxI, minI)
      value.push(maxV, minV)
    }
  }
  return { index, value }
}

/** First index i with sorted[i] >= x (sorted ascending). */
export function lowerBound(sorted: ArrayLike<number>, x: number): number {
  let a = 0
  let b = sorted.length
  while (a < b) {
    const m = (a + b) >>> 1
    if (sorted[m] < x) a = m + 1
    else b = m
  }
  return a
}
