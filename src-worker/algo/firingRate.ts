// compute_firing_rate (docs/algorithms.md §6.1 / §7.7): counts of µs spike times in bins of 1e6 / binRate µs
// over [0, n_bins · bin], n_bins = ceil(duration / bin), numpy histogram semantics (half-open bins,
// the last one closed; values outside are dropped), times binRate, float32.

export function computeFiringRate(spikeTimesUs: ArrayLike<number>, durationUs: number, binRateHz = 10): Float32Array {
  const bin = 1e6 / binRateHz
  const nBins = Math.ceil(durationUs / bin)
  if (spikeTimesUs.length === 0 || !(nBins > 0)) return new Float32Array(0)
  const lastEdge = nBins * bin
  const counts = new Float64Array(nBins)
  for (let i = 0; i < spikeTimesUs.length; i++) {
    const t = spikeTimesUs[i]
    if (!(t >= 0 && t <= lastEdge)) continue
    let k = Math.floor(t / bin)
    // the quotient may round across an edge; settle against the exact edge values
    while (k > 0 && t < k * bin) k--
    while (k < nBins && t >= (k + 1) * bin) k++
    if (k >= nBins) k = nBins - 1
    counts[k]++
  }
  const out = new Float32Array(nBins)
  for (let k = 0; k < nBins; k++) out[k] = counts[k] * binRateHz
  return out
}
