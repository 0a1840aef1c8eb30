// Conversions between display frames and acquisition samples through the frame timestamps
// (ts[k] = sample index of frame k, ascending). Both directions clip to the valid frame range.

/** The frame index clipped to [0, n-1] (fractions truncated toward zero first). */
export function clipFrame(frame: number, nFrames: number): number {
  if (nFrames <= 0) throw new RangeError('no frame timestamps to map frames onto')
  const f = Math.trunc(frame)
  return f < 0 ? 0 : f >= nFrames ? nFrames - 1 : f
}

/** Sample of one frame: ts[clip(frame, 0, n-1)]. */
export function frameToSample(frame: number, ts: ArrayLike<number>): number {
  return ts[clipFrame(frame, ts.length)]
}

/** Samples of many frames, each clipped to the valid range. */
export function framesToSamples(frames: ArrayLike<number>, ts: ArrayLike<number>): Float64Array {
  const out = new Float64Array(frames.length)
  for (let i = 0; i < frames.length; i++) out[i] = frameToSample(frames[i], ts)
  return out
}

/** Index of the first element > value (numpy searchsorted side="right"). */
export function upperBound(sorted: ArrayLike<number>, value: number, lo = 0, hi = sorted.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid] <= value) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Index of the first element >= value (numpy searchsorted side="left"). */
export function lowerBound(sorted: ArrayLike<number>, value: number, lo = 0, hi = sorted.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid] < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * The floor frame of a sample: the last frame whose timestamp is <= sample (searchsorted right - 1),
 * clipped to [0, n-1]. A sample exactly at ts[k] maps to k; before ts[0] to 0; after the last to n-1.
 */
export function sampleToFloorFrame(sample: number, ts: ArrayLike<number>): number {
  return clipFrame(upperBound(ts, sample) - 1, ts.length)
}

/** The nearest frame of a sample; a tie goes to the earlier frame. */
export function sampleToNearestFrame(sample: number, ts: ArrayLike<number>): number {
  const n = ts.length
  if (n === 0) throw new RangeError('no frame timestamps to map samples onto')
  const right = lowerBound(ts, sample)
  if (right <= 0) return 0
  if (right >= n) return n - 1
  const left = right - 1
  return sample - ts[left] <= ts[right] - sample ? left : right
}
