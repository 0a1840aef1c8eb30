import { describe, expect, it } from 'vitest'
import { butterworthHighpassSos, type Sos } from '../../src-worker/dsp/butterworth'
import { sosfiltfilt } from '../../src-worker/dsp/sosfilt'
import {
  filterSpec,
  layoutFor,
  processSlab,
  rangeBuffers,
  spikeTable,
  rangeBytes,
  unitSums,
  type RowObserver,
  type SegmentSpec,
} from '../../src-worker/eimage/streamingRange'
import { kernelsFor, sharedMemory } from '../../src-worker/eimage/wasmKernels'
import { accumulateWindows, hdmeaChunkRule, wholeWindowRule } from '../../src-worker/eimage/windowAccumulator'

/** Deterministic int16 "recording": per-electrode offset and drift, a slow wave, noise, and spikes. */
function movie(T: number, frameSize: number, seed = 1): Int16Array {
  let s = seed
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5
  const x = new Int16Array(T * frameSize)
  for (let t = 0; t < T; t++) {
    for (let e = 0; e < frameSize; e++) {
      const v = 500 * (e - 5) + 300 * Math.sin(t / (40 + e)) + 60 * rnd() + (t % 997 === e ? -800 : 0)
      x[t * frameSize + e] = Math.round(v)
    }
  }
  return x
}

function column(x: Int16Array, T: number, frameSize: number, e: number, from = 0, to = T): Float64Array {
  const c = new Float64Array(to - from)
  for (let t = from; t < to; t++) c[t - from] = x[t * frameSize + e]
  return c
}

interface StreamResult {
  filtered: Float32Array // time-major, width = e1 - e0, rows [0, T)
  acc: Float64Array
  used: Float64Array
}

/** Runs the streaming range over segments split into slabs of at most `slabFrames`. */
function stream(
  sos: Sos,
  x: Int16Array,
  T: number,
  frameSize: number,
  e0: number,
  e1: number,
  segments: SegmentSpec[],
  slabFrames: number,
  spikes: number[][],
  pre: number,
  post: number,
  blockWidth?: number,
  simd = false,
): StreamResult {
  const w = e1 - e0
  const layout = layoutFor(sos, { e0, e1, frameSize }, { pre, post }, slabFrames, spikes.length)
  if (blockWidth) layout.blockWidth = blockWidth // several electrode blocks, the last narrower
  // SIMD: the range's buffers and the slab in one shared wasm memory, as the engine lays them out.
  const rb = rangeBytes(layout)
  const memory = simd ? sharedMemory(rb + slabFrames * frameSize * 2 + 64) : null
  const kernels = memory ? kernelsFor(memory) : null
  if (simd) expect(kernels).not.toBeNull()
  const buf = memory ? rangeBuffers(layout, memory.buffer, 0) : rangeBuffers(layout)
  const slabView = memory ? new Int16Array(memory.buffer, rb + (16 - (rb % 16)), slabFrames * frameSize) : null
  const table = spikeTable(spikes)
  const filter = filterSpec(sos)
  const filtered = new Float32Array(T * w)
  for (const seg of segments) {
    const n = seg.end - seg.start
    const nSlabs = Math.ceil(n / slabFrames)
    for (let k = 0; k < nSlabs; k++) {
      // Near-equal slabs so that none is shorter than padlen.
      const from = seg.start + Math.floor((k * n) / nSlabs)
      const to = seg.start + Math.floor(((k + 1) * n) / nSlabs)
      // The slab buffer holds exactly the slab's frames (as the shared slab does).
      let data = x.slice(from * frameSize, to * frameSize)
      if (slabView) {
        slabView.set(data)
        data = slabView.subarray(0, data.length)
      }
      const observe: RowObserver = (a, b, first, width, rows) => {
        expect(rows.length).toBe((b - a) * width)
        for (let t = a; t < b; t++) filtered.set(rows.subarray((t - a) * width, (t - a + 1) * width), t * w + first)
      }
      processSlab(layout, buf, filter, table, seg, { data, frame0: from, from, to }, observe, kernels)
    }
  }
  const L = pre + post
  const acc = new Float64Array(spikes.length * L * w)
  spikes.forEach((_, u) => acc.set(unitSums(layout, buf, u), u * L * w))
  return { filtered, acc, used: buf.used }
}

const sos = butterworthHighpassSos(2, 100, 20000)
const T = 6000
const FS = 12
const x = movie(T, FS)

describe('streamed zero-phase filter equals whole-signal sosfiltfilt', () => {
  const whole = Array.from({ length: FS }, (_, e) => Float32Array.from(sosfiltfilt(sos, column(x, T, FS, e))))

  for (const slab of [12, 100, 777, 1500, 6000]) {
    it(`slabs of ${slab} frames, electrodes 3..10 of 12`, () => {
      const r = stream(sos, x, T, FS, 3, 10, [{ start: 0, end: T, rule: wholeWindowRule(0, T, 10, 40) }], slab, [], 10, 40, 3)
      let maxDiff = 0
      let maxAbs = 0
      for (let e = 3; e < 10; e++) {
        for (let t = 0; t < T; t++) {
          const a = r.filtered[t * 7 + (e - 3)]
          maxDiff = Math.max(maxDiff, Math.abs(a - whole[e][t]))
          maxAbs = Math.max(maxAbs, Math.abs(whole[e][t]))
        }
      }
      expect(maxAbs).toBeGreaterThan(100)
      // float32 resolution at the signal's scale is maxAbs * 2^-24 (one ulp); allow two.
      expect(maxDiff).toBeLessThanOrEqual(maxAbs * 2 ** -23)
    })
  }

  it('other orders too (order 1 and 4: other padlen, several sections)', () => {
    for (const order of [1, 4]) {
      const s = butterworthHighpassSos(order, 100, 20000)
      const r = stream(s, x, T, FS, 0, 4, [{ start: 0, end: T, rule: wholeWindowRule(0, T, 1, 1) }], 1111, [], 1, 1)
      for (let e = 0; e < 4; e++) {
        const ref = Float32Array.from(sosfiltfilt(s, column(x, T, FS, e)))
        const scale = Math.max(...ref.map(Math.abs))
        for (let t = 0; t < T; t++) expect(Math.abs(r.filtered[t * 4 + e] - ref[t])).toBeLessThanOrEqual(scale * 2 ** -23)
      }
    }
  })

  it('segments are filtered each as a whole signal of their own (compat chunks with overlap)', () => {
    const segs: SegmentSpec[] = [
      { start: 0, end: 2050, rule: hdmeaChunkRule(0, 2000, 10, 40) },
      { start: 1950, end: 4050, rule: hdmeaChunkRule(2000, 4000, 10, 40) },
    ]
    const perSeg = segs.map((seg) => {
      const out = new Float32Array((seg.end - seg.start) * 2)
      const r = stream(sos, x, T, FS, 5, 7, [seg], 700, [], 10, 40, 1)
      out.set(r.filtered.subarray(seg.start * 2, seg.end * 2))
      return out
    })
    segs.forEach((seg, i) => {
      for (let e = 5; e < 7; e++) {
        const ref = Float32Array.from(sosfiltfilt(sos, column(x, T, FS, e, seg.start, seg.end)))
        const scale = Math.max(...ref.map(Math.abs))
        for (let t = 0; t < ref.length; t++) expect(Math.abs(perSeg[i][t * 2 + (e - 5)] - ref[t])).toBeLessThanOrEqual(scale * 2 ** -23)
      }
    })
  })
})

describe('streamed spike-window accumulation', () => {
  const pre = 10
  const post = 40
  const spikes = [
    [3, 10, 11, 500, 777, 778, 1499, 1500, 1501, 2999, 5959, 5960, 5961, 5999],
    [],
    [4000, 100, 2500, 2500], // unsorted with a duplicate
  ]
  const e0 = 2
  const e1 = 9
  const w = e1 - e0

  function reference(rulesAndSegments: { seg: [number, number]; rule: ReturnType<typeof wholeWindowRule> }[]) {
    return spikes.map((list) => {
      const acc = new Float64Array((pre + post) * w)
      let used = 0
      for (const { seg, rule } of rulesAndSegments) {
        const [a, b] = seg
        const filtered = new Float32Array((b - a) * w)
        for (let e = e0; e < e1; e++) {
          const y = sosfiltfilt(sos, column(x, T, FS, e, a, b))
          for (let t = 0; t < b - a; t++) filtered[t * w + (e - e0)] = y[t]
        }
        used += accumulateWindows(acc, filtered, a, b - a, w, list, pre, post, rule)
      }
      return { acc, used }
    })
  }

  it('default rule over the whole signal: the same windows and sums as gathering from the whole filtered signal', () => {
    const rule = wholeWindowRule(0, T, pre, post)
    const ref = reference([{ seg: [0, T], rule }])
    for (const slab of [60, 999]) {
      const r = stream(sos, x, T, FS, e0, e1, [{ start: 0, end: T, rule }], slab, spikes, pre, post, slab === 60 ? 2 : undefined)
      spikes.forEach((_, u) => {
        expect(r.used[u]).toBe(ref[u].used)
        const block = (pre + post) * w
        for (let k = 0; k < block; k++) expect(r.acc[u * block + k]).toBeCloseTo(ref[u].acc[k], 1)
      })
    }
    // Valid for unit 0: 10 <= s <= 5960 -> all but 3, 5961, 5999.
    expect(ref[0].used).toBe(11)
    expect(ref[2].used).toBe(4)
  })

  it('compat chunks: each spike counted in at most one chunk, by the chunk rule', () => {
    const chunks: [number, number][] = [[0, 1500], [1500, 3000], [3000, 4500], [4500, 6000]]
    const L = pre + post
    const segs = chunks.map(([c0, c1]) => ({ seg: [Math.max(0, c0 - L), Math.min(c1 + L, T)] as [number, number], rule: hdmeaChunkRule(c0, c1, pre, post) }))
    const ref = reference(segs)
    const r = stream(
      sos, x, T, FS, e0, e1,
      segs.map(({ seg, rule }) => ({ start: seg[0], end: seg[1], rule })),
      400, spikes, pre, post, 3,
    )
    // Unit 0, valid iff c0 + 10 <= s < c1 - 40 of its chunk: 10, 11, 500, 777, 778 in [0, 1500) and 5959 in
    // [4500, 6000); 1500 and 1501 fall before 1510, 2999 after 2960, 5960 on the excluded end.
    expect(ref[0].used).toBe(6)
    spikes.forEach((_, u) => {
      expect(r.used[u]).toBe(ref[u].used)
      const block = L * w
      for (let k = 0; k < block; k++) expect(r.acc[u * block + k]).toBeCloseTo(ref[u].acc[k], 1)
    })
  })
})

describe('SIMD kernels', () => {
  it('give bit-identical filtered rows and sums to the plain loops (odd and even blocks, several slabs)', () => {
    const spikes = [[100, 777, 1500, 2999, 4000], [60, 61, 5900]]
    const segs: SegmentSpec[] = [{ start: 0, end: T, rule: wholeWindowRule(0, T, 10, 40) }]
    for (const [blockWidth, slab] of [[4, 900], [6, 2000], [undefined, 6000]] as const) {
      const plain = stream(sos, x, T, FS, 1, 12, segs, slab, spikes, 10, 40, blockWidth)
      const fast = stream(sos, x, T, FS, 1, 12, segs, slab, spikes, 10, 40, blockWidth, true)
      expect(Array.from(fast.filtered)).toEqual(Array.from(plain.filtered))
      expect(Array.from(fast.acc)).toEqual(Array.from(plain.acc))
      expect(Array.from(fast.used)).toEqual([5, 3])
    }
  })
  it('bit-identical with all 12 electrodes in blocks of 10, 8 and 2, odd window lengths', () => {
    // Windows of 7 rows (odd pair counts in the sums, so the two-pairs-a-turn loop has a remainder);
    // slabs of several sizes; the regrouped input holds several blocks.
    const spikes = [[100, 777, 1500, 2999, 4000, 5990], [60, 61, 3003]]
    const segs: SegmentSpec[] = [{ start: 0, end: T, rule: wholeWindowRule(0, T, 3, 4) }]
    for (const [blockWidth, slab] of [[10, 700], [8, 3000], [2, 1200]] as const) {
      const plain = stream(sos, x, T, FS, 0, 12, segs, slab, spikes, 3, 4, blockWidth)
      const fast = stream(sos, x, T, FS, 0, 12, segs, slab, spikes, 3, 4, blockWidth, true)
      expect(Array.from(fast.filtered)).toEqual(Array.from(plain.filtered))
      expect(Array.from(fast.acc)).toEqual(Array.from(plain.acc))
      expect(Array.from(fast.used)).toEqual([6, 3])
    }
  })
  it('compat segments too', () => {
    const segs: SegmentSpec[] = [
      { start: 0, end: 3050, rule: hdmeaChunkRule(0, 3000, 10, 40) },
      { start: 2950, end: 6000, rule: hdmeaChunkRule(3000, 6000, 10, 40) },
    ]
    const spikes = [[100, 2990, 3000, 3010, 3055, 5000]]
    const plain = stream(sos, x, T, FS, 0, 12, segs, 1000, spikes, 10, 40, 4)
    const fast = stream(sos, x, T, FS, 0, 12, segs, 1000, spikes, 10, 40, 4, true)
    expect(Array.from(fast.acc)).toEqual(Array.from(plain.acc))
    expect(fast.used[0]).toBe(4) // 100 in [10, 2960); 3010, 3055, 5000 in [3010, 5960)
  })
})
