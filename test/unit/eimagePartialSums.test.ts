// The default mode's float32 partial window sums (streamingRange.ts, PARTIAL_SUM_WINDOWS): each
// float32 partial sum holds at most N windows before it goes into the float64 sums, so every sum is
// within gamma(N - 1) = (N - 1) u / (1 - (N - 1) u), u = 2^-24, of the sum of the magnitudes of its
// values (the standard bound of recursive summation). Checked against float64 sums of the same
// float32 filtered rows, with data whose large values make float32 rounding show.
import { describe, expect, it } from 'vitest'
import { butterworthHighpassSos } from '../../src-worker/dsp/butterworth'
import { filterSpec, layoutFor, processSlab, rangeBuffers, rangeBytes, spikeTable, unitSums, writeRangeImages } from '../../src-worker/eimage/streamingRange'
import { kernelsFor, sharedMemory } from '../../src-worker/eimage/wasmKernels'
import { wholeWindowRule } from '../../src-worker/eimage/windowAccumulator'

const T = 4000
const FS = 8
const PRE = 3
const POST = 9
const L = PRE + POST
const SLAB = 700
const sos = butterworthHighpassSos(2, 100, 20000)

/** Alternating +-12000 (the high-pass keeps it) with a slow ramp and per-electrode offsets. */
function movie(): Int16Array {
  const x = new Int16Array(T * FS)
  for (let t = 0; t < T; t++) for (let e = 0; e < FS; e++) x[t * FS + e] = (t % 2 ? 12000 : -12000) + ((t * (e + 1)) % 97) - 50 * e
  return x
}

// Unit 0: 300 overlapping windows; unit 1: 7 (fewer than one partial sum); unit 2: none.
const SPIKES = [Array.from({ length: 300 }, (_, k) => 60 + 12 * k), [100, 700, 701, 1500, 2222, 3000, 3900], []]

const gamma = (n: number) => (n * 2 ** -24) / (1 - n * 2 ** -24)

function run(partialSums: number, simd: boolean, blockWidth?: number) {
  const x = movie()
  const layout = { ...layoutFor(sos, { e0: 0, e1: FS, frameSize: FS }, { pre: PRE, post: POST }, SLAB, SPIKES.length), partialSums }
  if (blockWidth) layout.blockWidth = blockWidth
  const rb = rangeBytes(layout)
  const memory = simd ? sharedMemory(rb + 16 + SLAB * FS * 2) : null
  const kernels = memory ? kernelsFor(memory) : null
  if (simd) expect(kernels).not.toBeNull()
  const buf = memory ? rangeBuffers(layout, memory.buffer, 0) : rangeBuffers(layout)
  const slabView = memory ? new Int16Array(memory.buffer, Math.ceil(rb / 16) * 16, SLAB * FS) : null
  const filtered = new Float32Array(T * FS)
  const seg = { start: 0, end: T, rule: wholeWindowRule(0, T, PRE, POST) }
  const n = Math.ceil(T / SLAB)
  for (let k = 0; k < n; k++) {
    const from = Math.floor((k * T) / n)
    const to = Math.floor(((k + 1) * T) / n)
    let data = x.slice(from * FS, to * FS)
    if (slabView) {
      slabView.set(data)
      data = slabView.subarray(0, data.length)
    }
    const observe = (a: number, b: number, first: number, width: number, rows: Float32Array) => {
      for (let t = a; t < b; t++) filtered.set(rows.subarray((t - a) * width, (t - a + 1) * width), t * FS + first)
    }
    processSlab(layout, buf, filterSpec(sos), spikeTable(SPIKES), seg, { data, frame0: from, from, to }, observe, kernels)
  }
  return { layout, buf, filtered }
}

/** float64 sums and sums of magnitudes of the windows of the streamed (float32) filtered rows. */
function reference(filtered: Float32Array, spikes: number[]) {
  const sum = new Float64Array(L * FS)
  const mag = new Float64Array(L * FS)
  for (const s of spikes) {
    for (let i = 0; i < L * FS; i++) {
      const v = filtered[(s - PRE) * FS + i]
      sum[i] += v
      mag[i] += Math.abs(v)
    }
  }
  return { sum, mag }
}

/** Largest |got - want| / (sum of magnitudes) over the unit's sums. */
function worst(got: Float64Array, ref: { sum: Float64Array; mag: Float64Array }): number {
  let w = 0
  for (let i = 0; i < got.length; i++) w = Math.max(w, Math.abs(got[i] - ref.sum[i]) / ref.mag[i])
  return w
}

describe('float32 partial window sums', () => {
  it('stay within gamma(N - 1) of the float64 sums, SIMD and plain loops alike', () => {
    for (const [N, simd, bw] of [[32, true, undefined], [4, true, undefined], [4, false, 3]] as const) {
      const { layout, buf, filtered } = run(N, simd, bw)
      SPIKES.forEach((spikes, u) => {
        const got = unitSums(layout, buf, u)
        if (spikes.length === 0) {
          expect(got.every((v) => v === 0)).toBe(true)
          return
        }
        const ref = reference(filtered, spikes)
        // gamma(N - 1) for the float32 partial sums, plus float64 rounding of both sides.
        expect(worst(got, ref)).toBeLessThanOrEqual(gamma(N - 1) + gamma(spikes.length) * 2 ** -29)
      })
      expect(Array.from(buf.used)).toEqual([300, 7, 0])
    }
  })

  it('the bound needs the flushes: 300 windows in one float32 sum break it', () => {
    const { layout, buf, filtered } = run(1000, true)
    const err = worst(unitSums(layout, buf, 0), reference(filtered, SPIKES[0]))
    expect(err).toBeGreaterThan(gamma(3))
  })

  it('SIMD and plain loops give the same bits; the images take what the partial sums still hold', () => {
    const a = run(4, true)
    const b = run(4, false)
    for (let u = 0; u < SPIKES.length; u++) expect(Array.from(unitSums(a.layout, a.buf, u))).toEqual(Array.from(unitSums(b.layout, b.buf, u)))
    // Unit 1 never filled a partial sum (7 < 32): its sums live only in the float32 part until the images are made.
    const c = run(32, true)
    const before = unitSums(c.layout, c.buf, 1)
    expect(c.buf.pending[1]).toBe(7)
    const out = new Float32Array(SPIKES.length * L * FS)
    writeRangeImages(c.layout, c.buf, out, { rows: 1, cols: FS, colMajor: false }, [300, 7, 0])
    for (let i = 0; i < L * FS; i++) expect(out[L * FS + i]).toBe(Math.fround(before[i] / 7))
    expect(c.buf.part.every((v) => v === 0)).toBe(true)
  })
})
