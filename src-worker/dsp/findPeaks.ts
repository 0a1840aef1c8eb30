// scipy.signal.find_peaks for the options the pipeline uses (height, distance), docs/algorithms.md §7.6.
// A peak is a strict local maximum or the middle (floor((left + right) / 2)) of a flat plateau whose
// neighbours on both sides are lower; the first and last samples are never peaks.

export interface FindPeaksOptions {
  /** Keep peaks with value >= height. */
  height?: number
  /** Minimum index distance between kept peaks (higher peaks win; scipy rounds it up). */
  distance?: number
  /** Only consider indices in [start, end) of the signal (both ends still never peaks). */
  start?: number
  end?: number
}

/**
 * Indices of the local maxima of x (plateaus by their middle), in increasing order. With `minHeight`
 * only maxima >= minHeight are returned; filtering during the scan gives the same set as scipy's
 * filter afterwards (a skipped index can never start a plateau that is a peak of sufficient height).
 */
export function localMaxima(x: ArrayLike<number>, start = 0, end = x.length, minHeight = -Infinity): number[] {
  const peaks: number[] = []
  const last = end - 1
  let i = start + 1
  while (i < last) {
    if (x[i] >= minHeight && x[i - 1] < x[i]) {
      let ahead = i + 1
      while (ahead < last && x[ahead] === x[i]) ahead++
      if (x[ahead] < x[i]) {
        peaks.push((i + ahead - 1) >> 1)
        i = ahead
      }
    }
    i++
  }
  return peaks
}

/**
 * Peaks kept by the distance rule: visit peaks from highest to lowest and drop every not yet dropped
 * peak closer than `distance` to a kept one. Equal heights are visited right to left (a stable sort;
 * scipy's argsort order for ties is unspecified).
 */
export function selectByDistance(peaks: number[], x: ArrayLike<number>, distance: number): number[] {
  const d = Math.ceil(distance)
  if (d <= 1 || peaks.length < 2) return peaks
  const n = peaks.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[peaks[a]] - x[peaks[b]] || a - b)
  const keep = new Uint8Array(n).fill(1)
  for (let r = n - 1; r >= 0; r--) {
    const j = order[r]
    if (!keep[j]) continue
    for (let k = j - 1; k >= 0 && peaks[j] - peaks[k] < d; k--) keep[k] = 0
    for (let k = j + 1; k < n && peaks[k] - peaks[j] < d; k++) keep[k] = 0
  }
  return peaks.filter((_, i) => keep[i] === 1)
}

export function findPeaks(x: ArrayLike<number>, options: FindPeaksOptions = {}): number[] {
  let peaks = localMaxima(x, options.start ?? 0, options.end ?? x.length, options.height ?? -Infinity)
  if (options.distance !== undefined) peaks = selectByDistance(peaks, x, options.distance)
  return peaks
}
