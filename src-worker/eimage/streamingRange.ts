// Streams one electrode range of a time-major int16 movie through a zero-phase SOS filter, slab by
// slab, and adds every unit's spike windows of the filtered signal into per-unit accumulators.
//
// Equivalence with filtering each segment at once (scipy sosfiltfilt, odd padding):
// * forward pass: at the segment start the state is zi x ext[0] and runs over the odd left pad; it is
//   then carried across slabs; at the segment end the odd right pad is filtered too;
// * backward pass: at the segment end it starts from zi x (last forward output of the pad) as scipy
//   does; inside the segment it starts `overlap` samples after the last row it finalises, from
//   zi x y (any start works), and the start's error has decayed below float32 resolution when it
//   reaches a finalised row (see `backwardOverlap`).
// Filtered rows are float32 (the Python casts sosfiltfilt's float64 result to float32 too); the
// last (pre + post) finalised rows are kept so windows that straddle two slabs are complete.
//
// All state lives in the typed arrays of RangeBuffers so that any worker thread can continue a range
// when they sit on SharedArrayBuffers; a range is only ever processed by one thread at a time.

import type { Sos } from '../dsp/butterworth'
import { decayLength, sosfiltfiltPadlen, sosfiltZi } from '../dsp/sosfilt'
import { isValid, type SpikeRule } from './windowAccumulator'

/** Relative error allowed where the backward pass starts: well below float32 resolution (2^-24). */
export const BACKWARD_TOLERANCE = 2 ** -28

/** Samples of forward output the backward pass runs through before its output is kept. */
export function backwardOverlap(sos: Sos): number {
  return decayLength(sos, BACKWARD_TOLERANCE)
}

export interface RangeLayout {
  /** First electrode (flat frame index) of the range, and one past the last. */
  e0: number
  e1: number
  /** Values per frame in the slab (all electrodes). */
  frameSize: number
  nSections: number
  padlen: number
  overlap: number
  pre: number
  post: number
  /** Most frames a slab holds. */
  maxSlabFrames: number
  nUnits: number
}

export interface RangeBuffers {
  /** [fwdStart, fwdEnd, finEnd, histStart, segStart, segEnd] (absolute samples). */
  meta: Float64Array
  fwdState: Float64Array
  bwdState: Float64Array
  /** Forward output, rows [fwdStart, fwdEnd). */
  fwd: Float64Array
  /** Forward output of the right pad. */
  pad: Float64Array
  /** Finalised filtered rows [histStart, finEnd), float32. */
  filt: Float32Array
  scratch: Float64Array
  /** Per unit (pre + post) x width sums. */
  acc: Float64Array
  /** Per unit: spikes added. */
  used: Float64Array
  /** Per unit: index of the next spike to consider. */
  cursor: Float64Array
}

const META = { fwdStart: 0, fwdEnd: 1, finEnd: 2, histStart: 3, segStart: 4, segEnd: 5 } as const

function sizes(l: RangeLayout) {
  const w = l.e1 - l.e0
  const L = l.pre + l.post
  return {
    meta: 8,
    fwdState: 2 * l.nSections * w,
    bwdState: 2 * l.nSections * w,
    fwd: (l.overlap + l.maxSlabFrames) * w,
    pad: l.padlen * w,
    filt: (L + l.overlap + l.maxSlabFrames) * w,
    scratch: w,
    acc: l.nUnits * L * w,
    used: l.nUnits,
    cursor: l.nUnits,
  }
}

/** Bytes of one range's buffers. */
export function rangeBytes(l: RangeLayout): number {
  const s = sizes(l)
  return 8 * (s.meta + s.fwdState + s.bwdState + s.fwd + s.pad + s.scratch + s.acc + s.used + s.cursor) + 4 * s.filt
}

/** Lays the buffers out over one (Shared)ArrayBuffer of rangeBytes(layout) bytes. */
export function rangeBuffers(l: RangeLayout, buffer: ArrayBufferLike = new ArrayBuffer(rangeBytes(l))): RangeBuffers {
  const s = sizes(l)
  let off = 0
  const f64 = (n: number) => {
    const a = new Float64Array(buffer, off, n)
    off += 8 * n
    return a
  }
  const meta = f64(s.meta)
  const fwdState = f64(s.fwdState)
  const bwdState = f64(s.bwdState)
  const fwd = f64(s.fwd)
  const pad = f64(s.pad)
  const scratch = f64(s.scratch)
  const acc = f64(s.acc)
  const used = f64(s.used)
  const cursor = f64(s.cursor)
  const filt = new Float32Array(buffer, off, s.filt)
  return { meta, fwdState, bwdState, fwd, pad, filt, scratch, acc, used, cursor }
}

export interface SpikeTable {
  /** Unit u's spikes are samples[offsets[u] .. offsets[u + 1]), ascending. */
  offsets: Int32Array
  samples: Float64Array
}

/** Builds a table from per-unit spike lists (sorted ascending on the way). */
export function spikeTable(perUnit: ArrayLike<number>[], buffer?: (bytes: number) => ArrayBufferLike): SpikeTable {
  const total = perUnit.reduce((n, s) => n + s.length, 0)
  const bytes = 4 * (perUnit.length + 1) + 8 * total
  const padded = bytes + 8
  const buf = buffer ? buffer(padded) : new ArrayBuffer(padded)
  const samples = new Float64Array(buf, 0, total)
  const offsets = new Int32Array(buf, 8 * total, perUnit.length + 1)
  let k = 0
  perUnit.forEach((list, u) => {
    offsets[u] = k
    const sorted = Float64Array.from(list).sort()
    samples.set(sorted, k)
    k += sorted.length
  })
  offsets[perUnit.length] = k
  return { offsets, samples }
}

export interface SegmentSpec {
  /** The signal being filtered as a whole: samples [start, end). */
  start: number
  end: number
  rule: SpikeRule
}

export interface SlabSpec {
  /** Time-major int16 frames; frame 0 is absolute sample `frame0`. */
  data: Int16Array
  frame0: number
  /** Absolute samples of this slab: [from, to), inside the segment, consecutive across calls. */
  from: number
  to: number
}

export interface FilterSpec {
  sos: Sos
  zi: Float64Array
}

export function filterSpec(sos: Sos): FilterSpec {
  return { sos, zi: sosfiltZi(sos) }
}

export function layoutFor(
  sos: Sos,
  range: { e0: number; e1: number; frameSize: number },
  window: { pre: number; post: number },
  maxSlabFrames: number,
  nUnits: number,
): RangeLayout {
  const padlen = sosfiltfiltPadlen(sos)
  if (maxSlabFrames <= padlen) throw new RangeError(`slabs must hold more than ${padlen} frames (got ${maxSlabFrames})`)
  return {
    ...range,
    nSections: sos.length,
    padlen,
    overlap: backwardOverlap(sos),
    pre: window.pre,
    post: window.post,
    maxSlabFrames,
    nUnits,
  }
}

function lowerBoundAbove(samples: Float64Array, from: number, to: number, value: number): number {
  let lo = from
  let hi = to
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (samples[mid] > value) hi = mid
    else lo = mid + 1
  }
  return lo
}

/**
 * Processes one slab of one segment for one electrode range. Slabs of a segment must come in order;
 * the first slab of a segment starts at segment.start and resets the filter; the last ends at
 * segment.end and flushes everything. Accumulators and counts carry over across segments.
 */
export function processSlab(
  layout: RangeLayout,
  buf: RangeBuffers,
  filter: FilterSpec,
  spikes: SpikeTable,
  segment: SegmentSpec,
  slab: SlabSpec,
  /** Sees each run of finalised rows [from, to) (time-major, float32) before the spike windows are added. */
  observe?: (from: number, to: number, rows: Float32Array) => void,
): void {
  const w = layout.e1 - layout.e0
  const { meta } = buf
  const rows = slab.to - slab.from
  if (rows > layout.maxSlabFrames) throw new RangeError(`slab of ${rows} frames exceeds the planned ${layout.maxSlabFrames}`)
  if (slab.from === segment.start) {
    if (rows <= layout.padlen) throw new RangeError(`the first slab of a segment needs more than ${layout.padlen} frames`)
    startSegment(layout, buf, filter, spikes, segment, slab)
  } else if (slab.from !== meta[META.fwdEnd] || segment.start !== meta[META.segStart]) {
    throw new RangeError(`slab [${slab.from}, ${slab.to}) does not continue the segment at ${meta[META.fwdEnd]}`)
  }
  const isLast = slab.to === segment.end
  if (isLast && rows <= layout.padlen) throw new RangeError(`the last slab of a segment needs more than ${layout.padlen} frames`)

  forwardRows(layout, buf, filter, slab)
  meta[META.fwdEnd] = slab.to

  const finEnd = meta[META.finEnd]
  let newFin: number
  if (isLast) {
    forwardRightPad(layout, buf, filter, slab)
    newFin = segment.end
    backward(layout, buf, filter, newFin, finEnd, true)
  } else {
    newFin = Math.max(finEnd, slab.to - layout.overlap)
    if (newFin > finEnd) backward(layout, buf, filter, newFin, finEnd, false)
  }
  if (newFin > finEnd) {
    const h = meta[META.histStart]
    observe?.(finEnd, newFin, buf.filt.subarray((finEnd - h) * w, (newFin - h) * w))
    accumulate(layout, buf, spikes, segment.rule, newFin)
  }

  // Keep the forward rows the next backward warm-up needs, and the last window of filtered rows.
  const fwdStart = meta[META.fwdStart]
  buf.fwd.copyWithin(0, (newFin - fwdStart) * w, (slab.to - fwdStart) * w)
  meta[META.fwdStart] = newFin
  const L = layout.pre + layout.post
  const histStart = meta[META.histStart]
  const newHist = Math.max(segment.start, newFin - L)
  buf.filt.copyWithin(0, (newHist - histStart) * w, (newFin - histStart) * w)
  meta[META.histStart] = newHist
  meta[META.finEnd] = newFin
}

function startSegment(layout: RangeLayout, buf: RangeBuffers, filter: FilterSpec, spikes: SpikeTable, segment: SegmentSpec, slab: SlabSpec): void {
  const { meta } = buf
  const w = layout.e1 - layout.e0
  const start = segment.start
  meta[META.segStart] = start
  meta[META.segEnd] = segment.end
  meta[META.fwdStart] = start
  meta[META.fwdEnd] = start
  meta[META.finEnd] = start
  meta[META.histStart] = start
  for (let u = 0; u < layout.nUnits; u++) {
    // First spike whose window can end inside this segment.
    buf.cursor[u] = lowerBoundAbove(spikes.samples, spikes.offsets[u], spikes.offsets[u + 1], start - layout.post)
  }
  // Odd left pad: ext[j] = 2 x[0] - x[padlen - j]; the state starts at zi x ext[0].
  const { sos, zi } = filter
  const x = slab.data
  const base = (start - slab.frame0) * layout.frameSize + layout.e0
  const padlen = layout.padlen
  const st = buf.fwdState
  const v = buf.scratch
  for (let e = 0; e < w; e++) {
    const first = 2 * x[base + e] - x[base + padlen * layout.frameSize + e]
    for (let s = 0; s < sos.length; s++) {
      st[2 * s * w + e] = zi[2 * s] * first
      st[(2 * s + 1) * w + e] = zi[2 * s + 1] * first
    }
  }
  for (let j = 0; j < padlen; j++) {
    for (let e = 0; e < w; e++) v[e] = 2 * x[base + e] - x[base + (padlen - j) * layout.frameSize + e]
    filterRowInPlace(sos, st, v, w)
  }
}

/** One time step of the cascade for all electrodes of the row, in place. */
function filterRowInPlace(sos: Sos, st: Float64Array, v: Float64Array, w: number): void {
  for (let s = 0; s < sos.length; s++) {
    const c = sos[s]
    const b0 = c[0], b1 = c[1], b2 = c[2], a1 = c[4], a2 = c[5]
    const o0 = 2 * s * w
    const o1 = o0 + w
    for (let e = 0; e < w; e++) {
      const xv = v[e]
      const y = b0 * xv + st[o0 + e]
      st[o0 + e] = b1 * xv - a1 * y + st[o1 + e]
      st[o1 + e] = b2 * xv - a2 * y
      v[e] = y
    }
  }
}

function forwardRows(layout: RangeLayout, buf: RangeBuffers, filter: FilterSpec, slab: SlabSpec): void {
  const w = layout.e1 - layout.e0
  const fs = layout.frameSize
  const x = slab.data
  const out = buf.fwd
  const st = buf.fwdState
  const { sos } = filter
  let outRow = (slab.from - buf.meta[META.fwdStart]) * w
  let inRow = (slab.from - slab.frame0) * fs + layout.e0
  const rows = slab.to - slab.from
  if (sos.length === 1) {
    const c = sos[0]
    const b0 = c[0], b1 = c[1], b2 = c[2], a1 = c[4], a2 = c[5]
    for (let t = 0; t < rows; t++, outRow += w, inRow += fs) {
      for (let e = 0; e < w; e++) {
        const xv = x[inRow + e]
        const y = b0 * xv + st[e]
        st[e] = b1 * xv - a1 * y + st[w + e]
        st[w + e] = b2 * xv - a2 * y
        out[outRow + e] = y
      }
    }
    return
  }
  const v = buf.scratch
  for (let t = 0; t < rows; t++, outRow += w, inRow += fs) {
    for (let e = 0; e < w; e++) v[e] = x[inRow + e]
    filterRowInPlace(sos, st, v, w)
    out.set(v, outRow)
  }
}

/** Odd right pad, ext = 2 x[-1] - x[-2 - j]; its forward outputs go to buf.pad. */
function forwardRightPad(layout: RangeLayout, buf: RangeBuffers, filter: FilterSpec, slab: SlabSpec): void {
  const w = layout.e1 - layout.e0
  const fs = layout.frameSize
  const x = slab.data
  const lastRow = (slab.to - 1 - slab.frame0) * fs + layout.e0
  const v = buf.scratch
  for (let j = 0; j < layout.padlen; j++) {
    const other = lastRow - (j + 1) * fs
    for (let e = 0; e < w; e++) v[e] = 2 * x[lastRow + e] - x[other + e]
    filterRowInPlace(filter.sos, buf.fwdState, v, w)
    buf.pad.set(v, j * w)
  }
}

/**
 * Backward pass from the end of the forward rows (or of the right pad when `fromPad`) down to
 * `finEnd`, writing rows [finEnd, newFin) into filt (float32).
 */
function backward(layout: RangeLayout, buf: RangeBuffers, filter: FilterSpec, newFin: number, finEnd: number, fromPad: boolean): void {
  const w = layout.e1 - layout.e0
  const { sos, zi } = filter
  const st = buf.bwdState
  const fwdStart = buf.meta[META.fwdStart]
  const fwdEnd = buf.meta[META.fwdEnd]
  const histStart = buf.meta[META.histStart]
  const fwd = buf.fwd
  const v = buf.scratch

  // Initial state: zi times the first sample the backward pass sees.
  const firstOff = fromPad ? (layout.padlen - 1) * w : (fwdEnd - 1 - fwdStart) * w
  const firstSrc = fromPad ? buf.pad : fwd
  for (let e = 0; e < w; e++) {
    const y0 = firstSrc[firstOff + e]
    for (let s = 0; s < sos.length; s++) {
      st[2 * s * w + e] = zi[2 * s] * y0
      st[(2 * s + 1) * w + e] = zi[2 * s + 1] * y0
    }
  }
  if (fromPad) {
    for (let j = layout.padlen - 1; j >= 0; j--) {
      v.set(buf.pad.subarray(j * w, (j + 1) * w))
      filterRowInPlace(sos, st, v, w)
    }
  }
  // Warm-up rows [newFin, fwdEnd): outputs discarded (empty when flushing at the segment end).
  for (let t = fwdEnd - 1; t >= newFin; t--) {
    v.set(fwd.subarray((t - fwdStart) * w, (t - fwdStart + 1) * w))
    filterRowInPlace(sos, st, v, w)
  }
  const out = buf.filt
  if (sos.length === 1) {
    const c = sos[0]
    const b0 = c[0], b1 = c[1], b2 = c[2], a1 = c[4], a2 = c[5]
    for (let t = newFin - 1; t >= finEnd; t--) {
      const inRow = (t - fwdStart) * w
      const outRow = (t - histStart) * w
      for (let e = 0; e < w; e++) {
        const xv = fwd[inRow + e]
        const y = b0 * xv + st[e]
        st[e] = b1 * xv - a1 * y + st[w + e]
        st[w + e] = b2 * xv - a2 * y
        out[outRow + e] = y
      }
    }
    return
  }
  for (let t = newFin - 1; t >= finEnd; t--) {
    v.set(fwd.subarray((t - fwdStart) * w, (t - fwdStart + 1) * w))
    filterRowInPlace(sos, st, v, w)
    out.set(v, (t - histStart) * w)
  }
}

/** Adds the windows of spikes whose window ends in (finEnd, newFin]. */
function accumulate(layout: RangeLayout, buf: RangeBuffers, spikes: SpikeTable, rule: SpikeRule, newFin: number): void {
  const w = layout.e1 - layout.e0
  const L = layout.pre + layout.post
  const block = L * w
  const histStart = buf.meta[META.histStart]
  const data = buf.filt
  const acc = buf.acc
  const samples = spikes.samples
  for (let u = 0; u < layout.nUnits; u++) {
    let i = buf.cursor[u]
    const end = spikes.offsets[u + 1]
    const accBase = u * block
    let used = 0
    for (; i < end; i++) {
      const s = samples[i]
      if (s + layout.post > newFin) break
      if (!isValid(rule, s)) continue
      const first = s - layout.pre - histStart
      if (first < 0) continue
      const src = first * w
      for (let k = 0; k < block; k++) acc[accBase + k] += data[src + k]
      used++
    }
    buf.cursor[u] = i
    buf.used[u] += used
  }
}
