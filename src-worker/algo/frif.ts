// FRIF: the firing rate in each interval between consecutive display-frame timestamps (docs/algorithms.md §5),
// computed in acquisition samples (the Python extractor mixes samples and µs; see docs/DIFFERENCES.md).

export interface FrifResult {
  /** Hz per inter-frame interval, length n_frames - 1. */
  frif: Float32Array
  /** Start of each interval in seconds (frame_timestamps[:-1] / rate). */
  xAxis: Float64Array
}

function isSorted(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] < values[i - 1]) return false
  return true
}

/**
 * FRIF[i] = #{spikes s : ft[i] <= s < ft[i+1]} / ((ft[i+1] - ft[i]) / rate); a zero-length interval gives 0.
 * Fewer than two frames or a non-positive rate give empty outputs. One merge pass over both sorted arrays.
 */
export function computeFrif(
  spikeSamples: ArrayLike<number>,
  frameTimestamps: ArrayLike<number>,
  acquisitionRate: number,
): FrifResult {
  const n = frameTimestamps.length
  if (n < 2 || !(acquisitionRate > 0)) return { frif: new Float32Array(0), xAxis: new Float64Array(0) }
  const spikes = isSorted(spikeSamples) ? spikeSamples : Float64Array.from(spikeSamples).sort()
  const frif = new Float32Array(n - 1)
  const xAxis = new Float64Array(n - 1)
  let j = 0
  for (let i = 0; i < n - 1; i++) {
    const lo = frameTimestamps[i]
    const hi = frameTimestamps[i + 1]
    xAxis[i] = lo / acquisitionRate
    while (j < spikes.length && spikes[j] < lo) j++
    let count = 0
    let k = j
    while (k < spikes.length && spikes[k] < hi) {
      count++
      k++
    }
    // timestamps are increasing in practice, so j only moves forward; a non-increasing pair counts nothing
    if (hi > lo) j = k
    const seconds = (hi - lo) / acquisitionRate
    frif[i] = seconds > 0 ? count / seconds : 0
  }
  return { frif, xAxis }
}
