// compat 'hdmea' must give the same bits as the engine gave before the issue-16 speed work. The
// checksums below were computed with that code (commit a9ba805, src-worker/eimage/streamingRange.ts)
// on the fixed movie made here: three 10-s hdmea chunks at 2 kHz, slabs of 3000 frames, two electrode
// ranges as the engine splits them, SIMD kernels and plain loops. A change of the filter arithmetic,
// of the backward warm-up or of the order in which windows are added into the float64 sums changes
// them.
import { describe, expect, it } from 'vitest'
import { butterworthHighpassSos } from '../../src-worker/dsp/butterworth'
import { electrodeRanges, planSegments, planSlabs } from '../../src-worker/eimage/plan'
import { filterSpec, layoutFor, processSlab, rangeBuffers, rangeBytes, spikeTable, unitSums } from '../../src-worker/eimage/streamingRange'
import { kernelsFor, sharedMemory } from '../../src-worker/eimage/wasmKernels'

const RATE = 2000
const T = 61_000 // three hdmea chunks of 20000 samples and a short fourth one
const FS = 40
const PRE = 5
const POST = 12
const SLAB = 3000

/** A deterministic int16 movie: offsets, slow waves, noise, and spike-like dips (LCG, no Math.random). */
function movie(): Int16Array {
  let s = 7
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5
  const x = new Int16Array(T * FS)
  for (let t = 0; t < T; t++) {
    for (let e = 0; e < FS; e++) {
      const v = 400 * (e - 20) + 250 * Math.sin(t / (30 + e)) + 80 * rnd() + (t % 331 === e ? -900 : 0)
      x[t * FS + e] = Math.round(v)
    }
  }
  return x
}

/** Spikes of three units: every 331 samples (matching the dips), every 97, and a few at chunk edges. */
const SPIKES = [
  Array.from({ length: 180 }, (_, k) => 20 + 331 * k),
  Array.from({ length: 600 }, (_, k) => 3 + 97 * k),
  [0, 4, 5, 19_987, 19_988, 19_995, 20_000, 20_004, 39_990, 40_005, 60_990, 60_999],
]

/** FNV-1a over the bytes of a typed array, as 8 hex digits. */
function fnv(a: Float64Array | Float32Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
  let h = 0x811c9dc5
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193)
  return (h >>> 0).toString(16).padStart(8, '0')
}

function run(simd: boolean, blockWidth?: number, ranges = 2, align = 1) {
  const sos = butterworthHighpassSos(2, 100, RATE)
  const x = movie()
  const segments = planSegments('hdmea', T, RATE, PRE, POST)
  const minFrames = layoutFor(sos, { e0: 0, e1: 1, frameSize: FS }, { pre: PRE, post: POST }, 1 << 30, 0).padlen + 1
  const slabs = planSlabs(segments, SLAB, minFrames)
  const table = spikeTable(SPIKES)
  const filter = filterSpec(sos)
  const sums: Float64Array[] = SPIKES.map(() => new Float64Array((PRE + POST) * FS))
  const filtered = new Float32Array(T * FS)
  let used: number[] = []
  for (const [e0, e1] of electrodeRanges(FS, ranges, align)) {
    const layout = layoutFor(sos, { e0, e1, frameSize: FS }, { pre: PRE, post: POST }, SLAB, SPIKES.length)
    if (blockWidth) layout.blockWidth = blockWidth
    const rb = rangeBytes(layout)
    const memory = simd ? sharedMemory(rb + 16 + SLAB * FS * 2) : null
    const kernels = memory ? kernelsFor(memory) : null
    if (simd) expect(kernels).not.toBeNull()
    const buf = memory ? rangeBuffers(layout, memory.buffer, 0) : rangeBuffers(layout)
    const slabView = memory ? new Int16Array(memory.buffer, Math.ceil(rb / 16) * 16, SLAB * FS) : null
    for (const s of slabs) {
      const seg = segments[s.segment]
      let data = x.slice(s.from * FS, s.to * FS)
      if (slabView) {
        slabView.set(data)
        data = slabView.subarray(0, data.length)
      }
      // Segments overlap (hdmea chunks): rows of the later segment win, as each is its own signal.
      const observe = (a: number, b: number, first: number, width: number, rows: Float32Array) => {
        for (let t = a; t < b; t++) filtered.set(rows.subarray((t - a) * width, (t - a + 1) * width), t * FS + e0 + first)
      }
      processSlab(layout, buf, filter, table, { start: seg.start, end: seg.end, rule: seg.rule }, { data, frame0: s.from, from: s.from, to: s.to }, observe, kernels)
    }
    const w = e1 - e0
    SPIKES.forEach((_, u) => {
      const part = unitSums(layout, buf, u)
      for (let t = 0; t < PRE + POST; t++) for (let e = 0; e < w; e++) sums[u][t * FS + e0 + e] = part[t * w + e]
    })
    used = Array.from(buf.used)
  }
  return { sums: sums.map(fnv), filtered: fnv(filtered), used }
}

// Computed with the code of commit a9ba805 (before the issue-16 changes).
const GOLDEN = {
  sums: ['160be0e2', '3f435ebf', 'ee4230d7'],
  filtered: '1e63db25',
  used: [180, 599, 3],
}

describe("compat 'hdmea' stays bit-identical to the engine before the speed work", () => {
  it('SIMD kernels, default blocks', () => {
    expect(run(true)).toEqual(GOLDEN)
  })
  it('plain loops, blocks of 6 electrodes', () => {
    expect(run(false, 6)).toEqual(GOLDEN)
  })
  it('SIMD kernels, blocks of 8 electrodes', () => {
    expect(run(true, 8)).toEqual(GOLDEN)
  })
  it('SIMD kernels, five ranges cut on whole blocks of 8 (the engine now runs several ranges per thread)', () => {
    expect(electrodeRanges(FS, 5, 8)).toEqual([[0, 8], [8, 16], [16, 24], [24, 32], [32, 40]])
    expect(run(true, undefined, 5, 8)).toEqual(GOLDEN)
  })
})
