// Second-order-section filtering as scipy.signal does it (docs/algorithms.md §7.5): the transposed direct
// form II recurrence, steady-state initial conditions (sosfilt_zi), and the zero-phase sosfiltfilt
// with odd extension of padlen samples at both ends and zi scaled by the first sample of each pass.
// All arithmetic is float64 in the same operation order as scipy.

import type { Sos } from './butterworth'

/** Filter state: two values per section, [s0z0, s0z1, s1z0, s1z1, ...]. */
export type SosState = Float64Array

/**
 * Filters x in place of `out` (may be x itself) through the cascade, starting from and updating `state`.
 * Per section: y = b0 x + z0; z0 = b1 x - a1 y + z1; z1 = b2 x - a2 y.
 */
export function sosfilt(sos: Sos, x: ArrayLike<number>, state: SosState, out: Float64Array = new Float64Array(x.length)): Float64Array {
  const n = x.length
  const nSec = sos.length
  for (let i = 0; i < n; i++) {
    let v = x[i]
    for (let s = 0; s < nSec; s++) {
      const c = sos[s]
      const y = c[0] * v + state[2 * s]
      state[2 * s] = c[1] * v - c[4] * y + state[2 * s + 1]
      state[2 * s + 1] = c[2] * v - c[5] * y
      v = y
    }
    out[i] = v
  }
  return out
}

/**
 * Steady-state state of the cascade for a unit step input (scipy sosfilt_zi): each section's
 * lfilter_zi scaled by the DC gain of the sections before it.
 */
export function sosfiltZi(sos: Sos): SosState {
  const zi = new Float64Array(2 * sos.length)
  let scale = 1
  sos.forEach((c, s) => {
    const a0 = c[3]
    const [b0, b1, b2] = [c[0] / a0, c[1] / a0, c[2] / a0]
    const [a1, a2] = [c[4] / a0, c[5] / a0]
    // Solve (I - A) zi = B, A the transposed companion matrix of a, B = b[1:] - a[1:] b0, by LU with
    // partial pivoting like LAPACK, so zi agrees with scipy's to the last bits.
    const [z0, z1] = solve2x2(1 + a1, -1, a2, 1, b1 - a1 * b0, b2 - a2 * b0)
    zi[2 * s] = z0 * scale
    zi[2 * s + 1] = z1 * scale
    scale *= (b0 + b1 + b2) / (1 + a1 + a2)
  })
  return zi
}

/** [[m00, m01], [m10, m11]] x = [r0, r1] by Gaussian elimination with partial pivoting. */
function solve2x2(m00: number, m01: number, m10: number, m11: number, r0: number, r1: number): [number, number] {
  if (Math.abs(m10) > Math.abs(m00)) {
    ;[m00, m01, m10, m11, r0, r1] = [m10, m11, m00, m01, r1, r0]
  }
  if (m00 === 0) throw new RangeError('sosfilt_zi: singular system (a pole at z = 1)')
  const l = m10 * (1 / m00)
  const u11 = m11 - l * m01
  const y1 = r1 - l * r0
  const x1 = y1 / u11
  const x0 = (r0 - m01 * x1) / m00
  return [x0, x1]
}

/** scipy's default pad length for sosfiltfilt: 3 (2 n_sections + 1 - min(trailing zero b2s, trailing zero a2s)). */
export function sosfiltfiltPadlen(sos: Sos): number {
  let zb = 0
  let za = 0
  for (const c of sos) {
    if (c[2] === 0) zb++
    if (c[5] === 0) za++
  }
  return 3 * (2 * sos.length + 1 - Math.min(zb, za))
}

/** Odd extension by `padlen` at both ends: 2 x[0] - x[padlen..1], x, 2 x[-1] - x[-2..-padlen-1]. */
export function oddExtend(x: ArrayLike<number>, padlen: number): Float64Array {
  const n = x.length
  const ext = new Float64Array(n + 2 * padlen)
  for (let j = 0; j < padlen; j++) ext[j] = 2 * x[0] - x[padlen - j]
  for (let i = 0; i < n; i++) ext[padlen + i] = x[i]
  for (let j = 0; j < padlen; j++) ext[padlen + n + j] = 2 * x[n - 1] - x[n - 2 - j]
  return ext
}

export function scaledState(zi: SosState, v: number): SosState {
  const s = new Float64Array(zi.length)
  for (let i = 0; i < zi.length; i++) s[i] = zi[i] * v
  return s
}

/** Zero-phase forward-backward filtering of a whole signal, exactly as scipy's sosfiltfilt (padtype 'odd'). */
export function sosfiltfilt(sos: Sos, x: ArrayLike<number>): Float64Array {
  const padlen = sosfiltfiltPadlen(sos)
  if (x.length <= padlen) {
    throw new RangeError(`sosfiltfilt needs more than ${padlen} samples (got ${x.length})`)
  }
  const zi = sosfiltZi(sos)
  const ext = oddExtend(x, padlen)
  const fwd = sosfilt(sos, ext, scaledState(zi, ext[0]))
  fwd.reverse()
  const bwd = sosfilt(sos, fwd, scaledState(zi, fwd[0]), fwd)
  bwd.reverse()
  return bwd.slice(padlen, padlen + x.length)
}

/**
 * Samples after which the cascade's impulse response has shed all but `tolerance` of its absolute
 * sum: a wrong state at some sample affects the output this many samples later by less than
 * `tolerance` relative. Used to size the overlap of the streamed backward pass.
 */
export function decayLength(sos: Sos, tolerance: number, maxSamples = 1 << 22): number {
  const state = new Float64Array(2 * sos.length)
  const h: number[] = []
  let total = 0
  const one = new Float64Array(1)
  const out = new Float64Array(1)
  for (let i = 0; i < maxSamples; i++) {
    one[0] = i === 0 ? 1 : 0
    sosfilt(sos, one, state, out)
    const a = Math.abs(out[0])
    h.push(a)
    total += a
    if (i > 16 && state.every((z) => Math.abs(z) < 1e-30)) break
  }
  let tail = 0
  for (let i = h.length - 1; i >= 0; i--) {
    tail += h[i]
    if (tail > tolerance * total) return i + 1
  }
  return 0
}
