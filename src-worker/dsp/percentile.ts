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

/** float32 bits -> an unsigned key whose integer order is the numeric order (NaN excluded). */
function sortableKey(bits: number): number {
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0
}

function keyToFloat(key: number): number {
  const bits = key & 0x80000000 ? key & 0x7fffffff : ~key
  const u = new Uint32Array([bits >>> 0])
  return new Float32Array(u.buffer)[0]
}

/**
 * The k-th and (k+1)-th smallest values of a float32 array by a two-pass radix selection on the
 * order-preserving bit keys (high 16 bits, then low 16 bits within the chosen bucket): exact, O(n).
 * Returns null if a NaN is present.
 */
function selectPairFloat32(values: Float32Array, k: number): [number, number] | null {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length)
  const n = values.length
  const hiCount = new Float64Array(65536)
  for (let i = 0; i < n; i++) {
    const b = bits[i]
    if ((b & 0x7f800000) === 0x7f800000 && (b & 0x007fffff) !== 0) return null
    hiCount[sortableKey(b) >>> 16]++
  }
  // bucket (high 16 bits) holding a rank, and the count of values in lower buckets
  const bucketOf = (rank: number): [number, number] => {
    let acc = 0
    for (let hi = 0; hi < 65536; hi++) {
      if (acc + hiCount[hi] > rank) return [hi, acc]
      acc += hiCount[hi]
    }
    return [65535, acc - hiCount[65535]]
  }
  const kB = Math.min(k + 1, n - 1)
  const [hiA, accA] = bucketOf(k)
  const [hiB, accB] = bucketOf(kB)
  const loA = new Float64Array(65536)
  const loB = hiB === hiA ? loA : new Float64Array(65536)
  for (let i = 0; i < n; i++) {
    const key = sortableKey(bits[i])
    const hi = key >>> 16
    if (hi === hiA) loA[key & 0xffff]++
    else if (hi === hiB) loB[key & 0xffff]++
  }
  const pick = (hi: number, lo: Float64Array, accStart: number, rank: number): number => {
    let acc = accStart
    let l = 0
    for (; l < 65535; l++) {
      if (acc + lo[l] > rank) break
      acc += lo[l]
    }
    return keyToFloat(((hi << 16) | l) >>> 0)
  }
  return [pick(hiA, loA, accA, k), pick(hiB, loB, accB, kB)]
}

/** The q-th percentile (0..100) of `values`, numpy 'linear' semantics. `values` is not modified. */
export function percentileLinear(values: ArrayLike<number>, q: number): number {
  const n = values.length
  if (n === 0) throw new RangeError('percentile of an empty array')
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile q must be in [0, 100] (got ${q})`)
  if (values instanceof Float32Array && n > 4096) {
    const v = (q / 100) * (n - 1)
    const i = Math.floor(v)
    const g = v - i
    const pair = selectPairFloat32(values, i)
    if (!pair) return Number.NaN
    const [a, b] = pair
    const diff = b - a
    return g >= 0.5 ? b - diff * (1 - g) : a + diff * g
  }
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
