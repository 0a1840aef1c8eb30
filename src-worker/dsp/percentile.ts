// numpy.percentile with the default 'linear' method, computed by selection instead of a full sort.
// numpy: virtual index v = (q / 100) * (n − 1), i = floor(v), g = v − i, and the lerp
// a + (b − a)·g, evaluated as b − (b − a)·(1 − g) when g >= 0.5 (numpy's _lerp), where a and b
// are the i-th and (i+1)-th smallest values. Any NaN makes the result NaN, as in numpy.

/** Rearranges `a` so that a[k] is the k-th smallest value, smaller values before it, larger after. */
function quickselect(a: Float64Array | Float32Array, k: number): void {
  let lo = 0
  let hi = a.length - 1
  while (hi > lo) {
    // median of three as pivot keeps sorted and constant inputs fast
    const mid = (lo + hi) >>> 1
    const x = a[lo]
    const y = a[mid]
    const z = a[hi]
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y
    let i = lo
    let j = hi
    while (i <= j) {
      while (a[i] < pivot) i++
      while (a[j] > pivot) j--
      if (i <= j) {
        const t = a[i]
        a[i] = a[j]
        a[j] = t
        i++
        j--
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else return
  }
}

/** The q-th percentile (0..100) of `values`, numpy 'linear' semantics. `values` is not modified. */
export function percentileLinear(values: ArrayLike<number>, q: number): number {
  const n = values.length
  if (n === 0) throw new RangeError('percentile of an empty array')
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile q must be in [0, 100] (got ${q})`)
  const work = values instanceof Float32Array ? Float32Array.from(values) : Float64Array.from(values)
  for (let i = 0; i < n; i++) if (Number.isNaN(work[i])) return Number.NaN
  const v = (q / 100) * (n - 1)
  const i = Math.floor(v)
  const g = v - i
  quickselect(work, i)
  const a = work[i]
  if (i + 1 >= n) return a
  // the (i+1)-th smallest is the minimum of everything after position i
  let b = Infinity
  for (let j = i + 1; j < n; j++) if (work[j] < b) b = work[j]
  const diff = b - a
  return g >= 0.5 ? b - diff * (1 - g) : a + diff * g
}
