import { describe, expect, it } from 'vitest'
import { butterworthHighpassSos, sosMagnitude, validateHighpass } from '../../src-worker/dsp/butterworth'
import { decayLength, oddExtend, sosfilt, sosfiltfilt, sosfiltfiltPadlen, sosfiltZi } from '../../src-worker/dsp/sosfilt'

// Golden numbers: docs/algorithms.md §9.5 (scipy 1.17 on the Python reference's filter call).
const GOLDEN_SOS = [0.9780304792065599, -1.9560609584131199, 0.9780304792065599, 1, -1.9555782403150352, 0.9565436765112031]
const GOLDEN_ZI = [-0.9780304792065749, 0.9780304792065743]
const GOLDEN_Y: Record<number, number> = {
  0: -2.802519083722056, 1: -1.865783720663068, 2: -0.926985469082473, 3: 0.014030432981153,
  4: 0.957419649673981, 5: 1.903337830314473, 6: 2.851939690068358, 7: -3.196621485535209,
  16: -1.480501465456519, 17: -0.492166432803642, 18: 0.500720442826183, 19: 1.498319060842676,
  20: 102.50078274038118, 21: -3.491760595752292, 22: -2.479219872877195, 23: -1.461527108188484,
  60: 5.401863391412569, 61: 6.661459525799508, 62: 7.928351189265505, 63: 2.202549397525623,
}

function testVector(): number[] {
  const x = Array.from({ length: 64 }, (_, n) => (n % 7) - 3)
  x[20] += 100
  return x
}

describe('Butterworth high-pass design (algorithms 9.5)', () => {
  const sos = butterworthHighpassSos(2, 100, 20000)
  it('gives the scipy coefficients for order 2, 100 Hz, 20 kHz', () => {
    expect(sos.length).toBe(1)
    sos[0].forEach((c, i) => expect(c).toBeCloseTo(GOLDEN_SOS[i], 14))
  })
  it('has the single-pass magnitudes of the golden table', () => {
    const mags = [50, 100, 200, 300, 1000].map((f) => sosMagnitude(sos, f, 20000))
    ;[0.24251, 0.70711, 0.97017, 0.9939, 0.99995].forEach((m, i) => expect(mags[i]).toBeCloseTo(m, 5))
  })
  it('is -3 dB at the cutoff and 0 at DC for other orders too', () => {
    for (const order of [1, 3, 4, 5]) {
      const s = butterworthHighpassSos(order, 300, 20000)
      expect(s.length).toBe(Math.ceil(order / 2))
      expect(sosMagnitude(s, 300, 20000)).toBeCloseTo(Math.SQRT1_2, 10)
      expect(sosMagnitude(s, 0, 20000)).toBeLessThan(1e-12)
      expect(sosMagnitude(s, 9999, 20000)).toBeCloseTo(1, 10)
      // Butterworth: |H(f)|^2 = 1 / (1 + (fc' / f')^(2n)) with pre-warped frequencies.
      const warp = (f: number) => Math.tan((Math.PI * f) / 20000)
      const expected = 1 / Math.sqrt(1 + (warp(300) / warp(1000)) ** (2 * order))
      expect(sosMagnitude(s, 1000, 20000)).toBeCloseTo(expected, 10)
    }
  })
  it('rejects a cutoff at or above Nyquist, a zero cutoff and a bad order', () => {
    expect(() => validateHighpass(10000, 20000, 2)).toThrow(/Nyquist/)
    expect(() => validateHighpass(12000, 20000, 2)).toThrow(/Nyquist/)
    expect(() => validateHighpass(0, 20000, 2)).toThrow(/cutoff/)
    expect(() => validateHighpass(100, 20000, 0)).toThrow(/order/)
    expect(() => validateHighpass(100, 20000, 1.5)).toThrow(/order/)
  })
})

describe('sosfilt_zi, padlen, odd extension', () => {
  const sos = butterworthHighpassSos(2, 100, 20000)
  it('gives the golden zi', () => {
    const zi = sosfiltZi(sos)
    expect(zi[0]).toBeCloseTo(GOLDEN_ZI[0], 13)
    expect(zi[1]).toBeCloseTo(GOLDEN_ZI[1], 13)
  })
  it('zi is the steady state of a unit step (filter of ones from zi stays at its steady output)', () => {
    for (const order of [2, 3, 4]) {
      const s = butterworthHighpassSos(order, 150, 20000)
      const y = sosfilt(s, new Float64Array(50).fill(1), sosfiltZi(s))
      for (const v of y) expect(Math.abs(v)).toBeLessThan(1e-12) // high-pass: DC gain 0
    }
  })
  it('padlen is 9 for order 2 and 6 for order 1 (one trailing zero in b and a)', () => {
    expect(sosfiltfiltPadlen(sos)).toBe(9)
    expect(sosfiltfiltPadlen(butterworthHighpassSos(1, 100, 20000))).toBe(6)
    expect(sosfiltfiltPadlen(butterworthHighpassSos(4, 100, 20000))).toBe(15)
  })
  it('odd extension reflects through the end points', () => {
    expect([...oddExtend([1, 2, 4, 8], 2)]).toEqual([2 - 4, 2 - 2, 1, 2, 4, 8, 16 - 4, 16 - 2])
  })
})

describe('sosfiltfilt (algorithms 7.5, 9.5)', () => {
  const sos = butterworthHighpassSos(2, 100, 20000)
  it('matches the golden test vector, including the edge transient', () => {
    const y = sosfiltfilt(sos, testVector())
    expect(y.length).toBe(64)
    for (const [i, v] of Object.entries(GOLDEN_Y)) expect(Math.abs(y[Number(i)] - v)).toBeLessThan(1e-11)
  })
  it('maps a constant to (almost) zero', () => {
    const y = sosfiltfilt(sos, new Float64Array(500).fill(1234))
    for (const v of y) expect(Math.abs(v)).toBeLessThan(1e-9)
  })
  it('is zero-phase: away from the edges a time-reversed input gives the time-reversed output', () => {
    const x = Array.from({ length: 4000 }, (_, i) => Math.sin(i / 3) * 50 + ((i * 7919) % 13))
    const a = sosfiltfilt(sos, x)
    const b = sosfiltfilt(sos, [...x].reverse()).reverse()
    for (let i = 1500; i < 2500; i++) expect(a[i]).toBeCloseTo(b[i], 8)
  })
  it('passes a 2 kHz sine with gain |H|^2 and no phase shift (middle of a long signal)', () => {
    const f = 2000
    const x = Array.from({ length: 6000 }, (_, i) => Math.sin((2 * Math.PI * f * i) / 20000))
    const y = sosfiltfilt(sos, x)
    const g = sosMagnitude(sos, f, 20000) ** 2
    for (let i = 2500; i < 3500; i++) expect(y[i]).toBeCloseTo(g * x[i], 8)
  })
  it('refuses signals not longer than padlen, like scipy', () => {
    expect(() => sosfiltfilt(sos, new Float64Array(9))).toThrow(/more than 9/)
  })
})

describe('decay length (overlap of the streamed backward pass)', () => {
  it('bounds the impulse-response tail: the pole radius^n is below the tolerance there', () => {
    const sos = butterworthHighpassSos(2, 100, 20000)
    const n = decayLength(sos, 2 ** -28)
    const radius = Math.sqrt(sos[0][5]) // complex pole pair: |p|^2 = a2
    expect(radius ** n).toBeLessThan(2 ** -24)
    expect(n).toBeGreaterThan(500)
    expect(n).toBeLessThan(2000)
  })
  it('grows when the cutoff falls (slower decay)', () => {
    expect(decayLength(butterworthHighpassSos(2, 50, 20000), 2 ** -28)).toBeGreaterThan(
      decayLength(butterworthHighpassSos(2, 100, 20000), 2 ** -28),
    )
  })
})
