// µs spike times -> acquisition sample indices (docs/algorithms.md §0.2).

/** numpy.round: nearest integer, halves to even. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v)
  const frac = v - f
  if (frac > 0.5) return f + 1
  if (frac < 0.5) return f
  return f % 2 === 0 ? f : f + 1
}

/** load_recording: round(t_us · rate / 1e6) in float64, halves to even (numpy). */
export function usToSamples(timesUs: ArrayLike<number>, rate: number): Float64Array {
  const out = new Float64Array(timesUs.length)
  for (let i = 0; i < timesUs.length; i++) out[i] = roundHalfEven((timesUs[i] * rate) / 1e6)
  return out
}

/**
 * The eimage loaders' legacy form int64(t / 1e6 · rate): divide first, then multiply, then truncate.
 * About 6 % of 50-µs multiples land one sample earlier than with usToSamples; kept for exact legacy numbers.
 */
export function usToSamplesLegacyTrunc(timesUs: ArrayLike<number>, rate: number): Float64Array {
  const out = new Float64Array(timesUs.length)
  for (let i = 0; i < timesUs.length; i++) out[i] = Math.trunc((timesUs[i] / 1e6) * rate)
  return out
}
