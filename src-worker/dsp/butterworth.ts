// Digital Butterworth high-pass design in second-order sections, following the steps scipy's
// `butter(order, Wn, 'high', output='sos')` takes (docs/algorithms.md §4.3 step 4, §9.5): analog prototype
// poles, pre-warped low-to-high-pass transform, bilinear transform, then pairing into sections with
// the "nearest" rule and the overall gain on the first section.

/** Rows of [b0, b1, b2, a0 (= 1), a1, a2]. */
export type Sos = Float64Array[]

interface Complex {
  re: number
  im: number
}

const cx = (re: number, im = 0): Complex => ({ re, im })
const add = (a: Complex, b: Complex): Complex => cx(a.re + b.re, a.im + b.im)
const sub = (a: Complex, b: Complex): Complex => cx(a.re - b.re, a.im - b.im)
const mul = (a: Complex, b: Complex): Complex => cx(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
/** Smith's division, as numpy does it (keeps the coefficients within an ulp or two of scipy's). */
function div(a: Complex, b: Complex): Complex {
  if (Math.abs(b.re) >= Math.abs(b.im)) {
    const rat = b.im / b.re
    const scl = 1 / (b.re + b.im * rat)
    return cx((a.re + a.im * rat) * scl, (a.im - a.re * rat) * scl)
  }
  const rat = b.re / b.im
  const scl = 1 / (b.im + b.re * rat)
  return cx((a.re * rat + a.im) * scl, (a.im * rat - a.re) * scl)
}
const abs = (a: Complex): number => Math.hypot(a.re, a.im)
const conj = (a: Complex): Complex => cx(a.re, -a.im)

/** Imaginary parts this small (relative) count as real, as scipy's pairing does (100 x machine eps). */
function isReal(a: Complex): boolean {
  return Math.abs(a.im) <= 100 * Number.EPSILON * abs(a)
}

export function validateHighpass(cutoffHz: number, samplingRate: number, order: number): void {
  if (!Number.isInteger(order) || order < 1) throw new RangeError(`filter order must be a whole number >= 1 (got ${order})`)
  if (!(samplingRate > 0) || !Number.isFinite(samplingRate)) throw new RangeError(`sampling rate must be > 0 (got ${samplingRate})`)
  if (!(cutoffHz > 0) || !Number.isFinite(cutoffHz)) throw new RangeError(`cutoff must be > 0 Hz (got ${cutoffHz})`)
  if (cutoffHz >= samplingRate / 2) {
    throw new RangeError(`cutoff ${cutoffHz} Hz must be below the Nyquist frequency ${samplingRate / 2} Hz`)
  }
}

/** Butterworth high-pass, `order` poles, -3 dB at cutoffHz, as second-order sections. */
export function butterworthHighpassSos(order: number, cutoffHz: number, samplingRate: number): Sos {
  validateHighpass(cutoffHz, samplingRate, order)
  const wn = cutoffHz / (samplingRate / 2)
  const fs = 2
  const warped = 2 * fs * Math.tan((Math.PI * wn) / fs)

  // Analog low-pass prototype: poles on the unit circle's left half, no zeros, gain 1.
  const proto: Complex[] = []
  for (let m = -order + 1; m < order; m += 2) {
    const theta = (Math.PI * m) / (2 * order)
    proto.push(cx(-Math.cos(theta), -Math.sin(theta)))
  }
  // Low-pass to high-pass: p -> warped / p, `order` zeros at s = 0, k = 1 / real(prod(-p)).
  const hpPoles = proto.map((p) => div(cx(warped), p))
  let prodNegP = cx(1)
  for (const p of proto) prodNegP = mul(prodNegP, cx(-p.re, -p.im))
  let gain = div(cx(1), prodNegP).re
  // Bilinear transform with fs2 = 2 fs: zeros at s = 0 map to z = 1.
  const fs2 = 2 * fs
  const zPoles = hpPoles.map((p) => div(add(cx(fs2), p), sub(cx(fs2), p)))
  const zZeros = hpPoles.map(() => cx(1))
  let num = cx(1)
  let den = cx(1)
  for (let i = 0; i < order; i++) {
    num = mul(num, cx(fs2))
    den = mul(den, sub(cx(fs2), hpPoles[i]))
  }
  gain *= div(num, den).re
  return zpkToSos(zZeros, zPoles, gain)
}

/** Complex values with positive imaginary part (one of each conjugate pair), then the real ones. */
function conjugatePairsThenReals(values: Complex[]): Complex[] {
  const complex = values.filter((v) => !isReal(v) && v.im > 0).sort((a, b) => a.re - b.re)
  const reals = values.filter(isReal).map((v) => cx(v.re)).sort((a, b) => a.re - b.re)
  return [...complex, ...reals]
}

function takeAt(list: Complex[], idx: number): Complex {
  return list.splice(idx, 1)[0]
}

function argmin(list: Complex[], score: (v: Complex) => number, filter: (v: Complex) => boolean = () => true): number {
  let best = -1
  let bestScore = Infinity
  list.forEach((v, i) => {
    if (!filter(v)) return
    const s = score(v)
    if (s < bestScore) {
      bestScore = s
      best = i
    }
  })
  return best
}

/** Index of the real (or complex) value of `list` nearest to `to`. */
function nearestOfKind(list: Complex[], to: Complex, kind: 'real' | 'complex'): number {
  return argmin(list, (v) => abs(sub(v, to)), (v) => (kind === 'real' ? isReal(v) : !isReal(v)))
}

/** Pairs poles and zeros into sections: the pole nearest the unit circle first, each with its nearest zero. */
function zpkToSos(zerosIn: Complex[], polesIn: Complex[], gain: number): Sos {
  let zeros = [...zerosIn]
  let poles = [...polesIn]
  if (poles.length % 2 === 1) {
    poles.push(cx(0))
    zeros.push(cx(0))
  }
  while (zeros.length < poles.length) zeros.push(cx(0))
  const nSections = poles.length / 2
  zeros = conjugatePairsThenReals(zeros)
  poles = conjugatePairsThenReals(poles)

  const pairs: { p: [Complex, Complex]; z: [Complex, Complex] }[] = []
  for (let s = 0; s < nSections; s++) {
    const p1 = takeAt(poles, argmin(poles, (p) => Math.abs(1 - abs(p))))
    let p2: Complex
    let z1: Complex
    let z2: Complex
    if (isReal(p1) && poles.every((p) => !isReal(p))) {
      z1 = takeAt(zeros, nearestOfKind(zeros, p1, 'real'))
      p2 = cx(0)
      z2 = cx(0)
    } else {
      if (!isReal(p1) && zeros.filter(isReal).length === 1) {
        z1 = takeAt(zeros, nearestOfKind(zeros, p1, 'complex'))
      } else {
        z1 = takeAt(zeros, argmin(zeros, (z) => abs(sub(p1, z))))
      }
      if (!isReal(p1)) {
        p2 = conj(p1)
        z2 = isReal(z1) ? takeAt(zeros, nearestOfKind(zeros, p1, 'real')) : conj(z1)
      } else {
        p2 = takeAt(poles, argmin(poles, (p) => Math.abs(abs(p) - 1), isReal))
        z2 = takeAt(zeros, nearestOfKind(zeros, p2, 'real'))
      }
    }
    pairs.push({ p: [p1, p2], z: [z1, z2] })
  }
  pairs.reverse()
  return pairs.map(({ p, z }, i) => {
    const k = i === 0 ? gain : 1
    const b = quadratic(z[0], z[1])
    const a = quadratic(p[0], p[1])
    return Float64Array.of(k * b[0], k * b[1], k * b[2], a[0], a[1], a[2])
  })
}

/** Real coefficients of (x - r1)(x - r2) = x^2 - (r1 + r2) x + r1 r2. */
function quadratic(r1: Complex, r2: Complex): [number, number, number] {
  return [1, -add(r1, r2).re, mul(r1, r2).re]
}

/** Magnitude of the cascade's response at frequency f (Hz). */
export function sosMagnitude(sos: Sos, f: number, samplingRate: number): number {
  const w = (2 * Math.PI * f) / samplingRate
  const z1 = cx(Math.cos(-w), Math.sin(-w))
  const z2 = mul(z1, z1)
  let h = cx(1)
  for (const s of sos) {
    const num = add(add(cx(s[0]), mul(cx(s[1]), z1)), mul(cx(s[2]), z2))
    const den = add(add(cx(s[3]), mul(cx(s[4]), z1)), mul(cx(s[5]), z2))
    h = mul(h, div(num, den))
  }
  return abs(h)
}
