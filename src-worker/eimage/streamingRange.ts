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
// Cache blocking: the range is worked in blocks of `blockWidth` electrodes (BLOCK_ELECTRODES = 8).
// For one block the forward pass, the backward pass and the spike-window sums run back to back on a
// working set (forward rows, filtered rows) that stays in a core's L2 cache; between slabs only the
// block's carried rows (overlap forward rows, pre + post filtered rows) are kept. The block's
// accumulators of all units are read and written once per slab. Without blocking, the accumulators
// of 100 units over 2000 electrodes (80 MB) would stream from memory for every spike.
//
// All state lives in the typed arrays of RangeBuffers so that any worker thread can continue a range
// when they sit on SharedArrayBuffers; a range is only ever processed by one thread at a time.

import type { Sos } from '../dsp/butterworth'
import { decayLength, sosfiltfiltPadlen, sosfiltZi } from '../dsp/sosfilt'
import type { SpikeRule } from './windowAccumulator'
import type { EimageKernels } from './wasmKernels'

/** Relative error allowed where the backward pass starts: well below float32 resolution (2^-24). */
export const BACKWARD_TOLERANCE = 2 ** -28

/** Samples of forward output the backward pass runs through before its output is kept. */
export function backwardOverlap(sos: Sos): number {
  return decayLength(sos, BACKWARD_TOLERANCE)
}

/**
 * Electrodes worked together. Eight make a float64 row one cache line (64 bytes), so one block's
 * rows are contiguous and its forward rows (8 x 8.8k rows = 0.56 MB at 64-MiB slabs), input and
 * filtered rows stay in a core's L2 cache through the forward pass, the backward pass and the window
 * sums; the SIMD kernels keep the 4 pairs' filter state in registers. (Blocks of 48, sized to an
 * 8-MB working set, ran from the shared L3 cache and measured more memory traffic per sample; see
 * docs/eimage.md.)
 */
export const BLOCK_ELECTRODES = 8

/**
 * Windows per float32 partial sum in the default mode. A float32 sum of n float32 values is off by
 * at most (n - 1) 2^-24 / (1 - (n - 1) 2^-24) times the sum of their magnitudes; each partial sum is
 * then added exactly enough into float64. So every average is within 31 x 2^-24 (1.9e-6, about 31
 * float32 steps) of the mean magnitude of its windows' values; the filtered values themselves are
 * float32 (6e-8 relative). Adding 4 float32 values per instruction into half as many bytes as
 * float64 takes fewer instructions and half the memory traffic of the sums; the float64 sums are
 * touched once per 32 windows of a unit. (Test: test/unit/eimagePartialSums.test.ts.)
 */
export const PARTIAL_SUM_WINDOWS = 32

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
  /** Electrodes worked together (the last block may be narrower). */
  blockWidth: number
  /**
   * Windows a float32 partial sum takes before it is added into the float64 sums (PARTIAL_SUM_WINDOWS);
   * 0 or absent: every window goes straight into the float64 sums (compat 'hdmea', bit-exact).
   */
  partialSums?: number
}

export interface RangeBuffers {
  /** [fwdStart, fwdEnd, finEnd, histStart, segStart, segEnd] (absolute samples; int32 keeps indexing integral). */
  meta: Int32Array
  /** Per electrode and section: [z0 of all electrodes, z1 of all electrodes] per section. */
  fwdState: Float64Array
  /** Carried filtered rows [histStart, finEnd), block after block, each block time-major. */
  filtHist: Float32Array
  /**
   * Carried forward rows [fwdStart, fwdEnd) (at most `overlap`) of every block, block after block
   * (block at b0 x overlap, time-major): what the next slab's backward pass warms up on.
   */
  fwd: Float64Array
  /**
   * One block's forward rows [fwdStart, slab end) + right pad, time-major; reused by every block
   * of every slab, so it stays in cache instead of streaming through memory.
   */
  work: Float64Array
  /** Working rows of one block: filtered rows [histStart, newFin). */
  filt: Float32Array
  bwdState: Float64Array
  scratch: Float64Array
  /** Block bi (electrodes b0 ..): nUnits x (pre + post) x width values from offset b0 x nUnits x (pre + post). */
  acc: Float64Array
  /** Per unit: spikes added. */
  used: Float64Array
  /** With layout.partialSums: float32 partial sums, laid out as acc; and per unit the windows in them. */
  part: Float32Array
  pending: Int32Array
  /** Per unit: index of the next spike to consider. */
  cursor: Int32Array
  /**
   * The slab's frames of one group of blocks regrouped block after block (each time-major), for the
   * SIMD path: a block then reads its input contiguously instead of a few dozen bytes per frame,
   * which crosses a memory page every other frame. A group's input (INPUT_GROUP_BYTES) stays in
   * cache until its blocks have filtered it.
   */
  input: Int16Array
}

const META = { fwdStart: 0, fwdEnd: 1, finEnd: 2, histStart: 3, segStart: 4, segEnd: 5, written: 6 } as const

/** Bytes of regrouped input worked at a time: a few blocks, sized to stay in the last-level cache. */
const INPUT_GROUP_BYTES = 4 * 1024 * 1024

function inputGroupBlocks(l: RangeLayout): number {
  return Math.max(1, Math.floor(INPUT_GROUP_BYTES / (2 * l.maxSlabFrames * l.blockWidth)))
}

function sizes(l: RangeLayout) {
  const w = l.e1 - l.e0
  const L = l.pre + l.post
  const bw = Math.min(l.blockWidth, w)
  return {
    meta: 8,
    fwdState: 2 * l.nSections * w,
    filtHist: L * w,
    fwd: l.overlap * w,
    work: (l.overlap + l.maxSlabFrames + l.padlen) * bw,
    filt: (L + l.overlap + l.maxSlabFrames) * bw,
    bwdState: 2 * l.nSections * bw,
    scratch: bw,
    acc: l.nUnits * L * w,
    used: l.nUnits,
    part: l.partialSums ? l.nUnits * L * w : 0,
    pending: l.partialSums ? l.nUnits : 0,
    cursor: l.nUnits,
    input: Math.min(w, inputGroupBlocks(l) * bw) * l.maxSlabFrames,
  }
}

/** Bytes of one range's buffers. */
export function rangeBytes(l: RangeLayout): number {
  const s = sizes(l)
  return 8 * (s.fwdState + s.fwd + s.work + s.bwdState + s.scratch + s.acc + s.used) + 4 * (s.filtHist + s.filt + s.part + s.meta + s.cursor + s.pending) + 2 * s.input
}

/** Lays the buffers out over rangeBytes(layout) bytes of a (Shared)ArrayBuffer from byteOffset (a multiple of 8). */
export function rangeBuffers(l: RangeLayout, buffer: ArrayBufferLike = new ArrayBuffer(rangeBytes(l)), byteOffset = 0): RangeBuffers {
  const s = sizes(l)
  let off = byteOffset
  const f64 = (n: number) => {
    const a = new Float64Array(buffer, off, n)
    off += 8 * n
    return a
  }
  const f32 = (n: number) => {
    const a = new Float32Array(buffer, off, n)
    off += 4 * n
    return a
  }
  const i32 = (n: number) => {
    const a = new Int32Array(buffer, off, n)
    off += 4 * n
    return a
  }
  const fwdState = f64(s.fwdState)
  const fwd = f64(s.fwd)
  const work = f64(s.work)
  const bwdState = f64(s.bwdState)
  const scratch = f64(s.scratch)
  const acc = f64(s.acc)
  const used = f64(s.used)
  const filtHist = f32(s.filtHist)
  const filt = f32(s.filt)
  const part = f32(s.part)
  const meta = i32(s.meta)
  const cursor = i32(s.cursor)
  const pending = i32(s.pending)
  const input = new Int16Array(buffer, off, s.input)
  return { meta, fwdState, filtHist, fwd, work, filt, bwdState, scratch, acc, used, cursor, input, part, pending }
}

/** Electrode blocks of a range: [first, width] with first relative to e0. */
export function rangeBlocks(l: RangeLayout): [number, number][] {
  const w = l.e1 - l.e0
  const out: [number, number][] = []
  for (let b = 0; b < w; b += l.blockWidth) out.push([b, Math.min(l.blockWidth, w - b)])
  return out
}

/** Unit u's accumulated sums as (pre + post) x (e1 - e0), time-major. */
export function unitSums(l: RangeLayout, buf: RangeBuffers, u: number): Float64Array {
  const w = l.e1 - l.e0
  const L = l.pre + l.post
  const out = new Float64Array(L * w)
  for (const [b0, bw] of rangeBlocks(l)) {
    const base = b0 * l.nUnits * L + u * L * bw
    const part = l.partialSums ? buf.part : null
    for (let t = 0; t < L; t++) for (let e = 0; e < bw; e++) out[t * w + b0 + e] = buf.acc[base + t * bw + e] + (part ? part[base + t * bw + e] : 0)
  }
  return out
}

/**
 * Writes sums / divisor of every unit for this range's electrodes into `out`, laid out
 * (unit, window, row, col); a unit with divisor 0 gets NaN. Frames are (col, row) when colMajor
 * (the vendor order: flat i = col * rows + row), else (row, col).
 */
export function writeRangeImages(
  l: RangeLayout,
  buf: RangeBuffers,
  out: Float32Array,
  grid: { rows: number; cols: number; colMajor: boolean },
  divisors: ArrayLike<number>,
): void {
  const { rows, cols, colMajor } = grid
  const L = l.pre + l.post
  const frame = rows * cols
  const image = L * frame
  const w = l.e1 - l.e0
  // Output cell of each electrode of the range.
  const cells = new Int32Array(w)
  for (let e = 0; e < w; e++) {
    const i = l.e0 + e
    const row = colMajor ? i % rows : Math.floor(i / cols)
    const col = colMajor ? Math.floor(i / rows) : i % cols
    cells[e] = row * cols + col
  }
  const acc = buf.acc
  // Whatever the float32 partial sums still hold goes into the float64 sums on the way (the same
  // float64 addition as a flush), so the accumulators are read once.
  const part = l.partialSums ? buf.part : null
  // Cleared before the loops, not after: code after a long loop has never run when the JIT compiles
  // the loop on the first call, and reaching it would throw that code away.
  if (part) buf.pending.fill(0)
  const nUnits = l.nUnits
  // Unit by unit (one unit's image, L x rows x cols float32, stays in cache for its scattered
  // writes), block by block: a block's sums of a unit are L x bw contiguous values.
  const blocks = rangeBlocks(l)
  for (let u = 0; u < nUnits; u++) {
    const d = divisors[u]
    const o = u * image
    for (const [b0, bw] of blocks) {
      const base = b0 * nUnits * L + u * L * bw
      for (let t = 0; t < L; t++) {
        const a = base + t * bw
        const ot = o + t * frame
        if (part) {
          for (let e = 0; e < bw; e++) {
            const sum = acc[a + e] + part[a + e]
            acc[a + e] = sum
            part[a + e] = 0
            out[ot + cells[b0 + e]] = d > 0 ? sum / d : NaN
          }
        } else {
          for (let e = 0; e < bw; e++) out[ot + cells[b0 + e]] = d > 0 ? acc[a + e] / d : NaN
        }
      }
    }
  }
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
  blockElectrodes = BLOCK_ELECTRODES,
): RangeLayout {
  const padlen = sosfiltfiltPadlen(sos)
  if (maxSlabFrames <= padlen) throw new RangeError(`slabs must hold more than ${padlen} frames (got ${maxSlabFrames})`)
  const overlap = backwardOverlap(sos)
  const w = range.e1 - range.e0
  const blockWidth = Math.max(1, Math.min(w, blockElectrodes))
  return { ...range, nSections: sos.length, padlen, overlap, pre: window.pre, post: window.post, maxSlabFrames, nUnits, blockWidth }
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

/** Sees finalised rows [from, to) of electrodes [first, first + width) of the range (time-major, float32). */
export type RowObserver = (from: number, to: number, first: number, width: number, rows: Float32Array) => void

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
  slabIn: SlabSpec,
  observe?: RowObserver,
  /** SIMD kernels; only when every buffer (slab and range) lies in kernels.memory. */
  kernels: EimageKernels | null = null,
  /** When given, milliseconds spent in each phase are added to it (the benchmark's breakdown). */
  phases?: PhaseTimes,
): void {
  const clock = phases ? phaseClock(phases) : null
  const { meta } = buf
  const slab = { data: slabIn.data, frame0: slabIn.frame0 | 0, from: slabIn.from | 0, to: slabIn.to | 0 }
  const rows = slab.to - slab.from
  if (rows > layout.maxSlabFrames) throw new RangeError(`slab of ${rows} frames exceeds the planned ${layout.maxSlabFrames}`)
  const first = slab.from === segment.start
  // The checks are evaluated on every call, not only in their branch: the JIT compiles this function
  // during the first slab, and a comparison it has never seen run throws that code away (once per
  // worker thread, 30-160 ms of compiling again) when the second slab takes the other branch.
  const continues = slab.from === meta[META.fwdEnd]
  const sameSegment = segment.start === meta[META.segStart]
  const tooShort = rows <= layout.padlen
  if (first) {
    if (tooShort) throw new RangeError(`the first slab of a segment needs more than ${layout.padlen} frames`)
    if (meta[META.written] === 0) writeFirst(buf)
    startSegment(layout, buf, spikes, segment)
  } else if (!continues || !sameSegment) {
    throw new RangeError(`slab [${slab.from}, ${slab.to}) does not continue the segment at ${meta[META.fwdEnd]}`)
  }
  const isLast = slab.to === segment.end
  if (isLast && tooShort) throw new RangeError(`the last slab of a segment needs more than ${layout.padlen} frames`)

  const fwdStart = meta[META.fwdStart]
  const finEnd = meta[META.finEnd]
  const histStart = meta[META.histStart]
  const newFin = isLast ? segment.end : Math.max(finEnd, slab.to - layout.overlap)
  const L = layout.pre + layout.post
  const newHist = Math.max(segment.start, newFin - L)
  const windows = newFin > finEnd ? collectWindows(layout, buf, spikes, segment.rule, newFin, histStart) : null
  if (windows && layout.partialSums) windows.flushAfter = flushMarks(buf.pending, windows.units, layout.partialSums)

  const rowsCap = layout.overlap + layout.maxSlabFrames + layout.padlen
  // A plain loop, not Array.prototype.map: the optimised code builds map()'s result with another
  // elements kind than the builtin did, and the JIT threw processSlab's compiled code away once per
  // worker thread over it (a deopt for "wrong map" on blocks.length).
  const blocks: BlockCtx[] = []
  for (const [b0, bw] of rangeBlocks(layout)) {
    blocks.push({
      layout,
      buf,
      filter,
      b0,
      bw,
      fwdStart,
      histStart,
      // The SIMD kernels do two electrodes at a time and one section; other blocks take the plain loops.
      k: kernels && bw % 2 === 0 && filter.sos.length === 1 ? kernels : null,
      fwd: buf.work.subarray(0, rowsCap * bw),
      input: 0,
    })
  }
  const group = inputGroupBlocks(layout)
  for (let bi = 0; bi < blocks.length; bi++) {
    const ctx = blocks[bi]
    const { b0, bw } = ctx
    clock?.('other')
    if (bi % group === 0) regroupInput(layout, buf, blocks.slice(bi, bi + group), slab)
    clock?.('regroup')
    const carry = buf.fwd.subarray(b0 * layout.overlap, (b0 + bw) * layout.overlap)
    ctx.fwd.set(carry.subarray(0, (slab.from - fwdStart) * bw))
    if (first) leftPad(ctx, slab)
    clock?.('other')
    forwardRows(ctx, slab, slab.from, slab.to)
    clock?.('forward')
    const hist = finEnd - histStart
    buf.filt.set(buf.filtHist.subarray(b0 * L, b0 * L + hist * bw))
    if (isLast) {
      forwardRightPad(ctx, slab)
      backward(ctx, slab.to, newFin, finEnd, true)
    } else if (newFin > finEnd) {
      backward(ctx, slab.to, newFin, finEnd, false)
    }
    clock?.('backward')
    if (newFin > finEnd) {
      observe?.(finEnd, newFin, b0, bw, buf.filt.subarray((finEnd - histStart) * bw, (newFin - histStart) * bw))
      if (windows) addWindows(ctx, windows)
    }
    clock?.('sums')
    // Keep what the next slab needs: forward rows [newFin, slab.to), filtered rows [newHist, newFin).
    carry.set(ctx.fwd.subarray((newFin - fwdStart) * bw, (slab.to - fwdStart) * bw))
    buf.filtHist.set(buf.filt.subarray((newHist - histStart) * bw, (newFin - histStart) * bw), b0 * L)
  }
  clock?.('other')
  if (windows) for (let k = 0; k < windows.units.length; k++) buf.used[windows.units[k]]++
  meta[META.fwdEnd] = slab.to
  meta[META.fwdStart] = newFin
  meta[META.histStart] = newHist
  meta[META.finEnd] = newFin
}

/**
 * Milliseconds per phase of processSlab, wall time inside the calling thread (performance.now costs
 * well under a microsecond; the worker task turns the shares into thread CPU time, eimageTasks.ts).
 */
export interface PhaseTimes {
  regroup: number
  forward: number
  backward: number
  sums: number
  other: number
}

export function zeroPhases(): PhaseTimes {
  return { regroup: 0, forward: 0, backward: 0, sums: 0, other: 0 }
}

/** Returns a function that charges the time since its previous call to the named phase. */
function phaseClock(p: PhaseTimes): (phase: keyof PhaseTimes) => void {
  let last = performance.now()
  return (phase) => {
    const now = performance.now()
    p[phase] += now - last
    last = now
  }
}

interface BlockCtx {
  layout: RangeLayout
  buf: RangeBuffers
  filter: FilterSpec
  /** Block's first electrode (relative to e0) and width. */
  b0: number
  bw: number
  fwdStart: number
  histStart: number
  k: EimageKernels | null
  /** Byte offset of this block's regrouped input (set by regroupInput). */
  input: number
  /** This block's forward rows (a view of buf.work). */
  fwd: Float64Array
}

/** Frames regrouped together: about half a megabyte of the slab, read once for all blocks. */
const REGROUP_ROWS = 64

/** Copies the SIMD blocks' electrodes of the slab into buf.input, block after block. */
function regroupInput(layout: RangeLayout, buf: RangeBuffers, blocks: BlockCtx[], slab: SlabSpec): void {
  const fs = layout.frameSize
  const src0 = slab.data.byteOffset + 2 * ((slab.from - slab.frame0) * fs + layout.e0)
  const first = blocks[0].b0
  for (const ctx of blocks) ctx.input = buf.input.byteOffset + 2 * (ctx.b0 - first) * layout.maxSlabFrames
  const rows = slab.to - slab.from
  // Whole 8-wide SIMD blocks in one call: each frame's piece of the group is read once.
  let eights = 0
  while (eights < blocks.length && blocks[eights].bw === 8 && blocks[eights].k) eights++
  const k = blocks[0].k
  if (k && eights > 0 && rows > 0) {
    const quads = rows >> 2
    const blockStride = 2 * layout.maxSlabFrames * 8
    if (quads > 0) k.gather8x4(src0 + 2 * first, 2 * fs, blocks[0].input, blockStride, quads, eights)
    if (rows & 3) k.gather8(src0 + 2 * first + 8 * quads * fs, 2 * fs, blocks[0].input + 64 * quads, blockStride, rows & 3, eights)
  }
  const rest = blocks.slice(eights)
  if (rest.length === 0) return
  for (let t0 = slab.from; t0 < slab.to; t0 += REGROUP_ROWS) {
    const n = Math.min(REGROUP_ROWS, slab.to - t0)
    const srcRow = src0 + 2 * (t0 - slab.from) * fs
    for (const ctx of rest) {
      if (!ctx.k) continue
      const bytes = 2 * ctx.bw
      ctx.k.copy(srcRow + 2 * ctx.b0, 2 * fs, ctx.input + 2 * (t0 - slab.from) * ctx.bw, bytes, n, bytes >> 4, (bytes & 15) >> 2)
    }
  }
}

/**
 * Writes the large carried buffers once before their first use. Fresh memory read before it is written
 * maps the shared zero page first and takes a second fault (with a TLB flush on every core running
 * the process) at the first write; the accumulators are read-modify-written, so without this each of
 * their pages faulted twice. Filling zeros changes nothing: a range's buffers start zeroed.
 */
function writeFirst(buf: RangeBuffers): void {
  buf.acc.fill(0)
  buf.part.fill(0)
  buf.fwd.fill(0)
  buf.filtHist.fill(0)
  buf.meta[META.written] = 1
}

function startSegment(layout: RangeLayout, buf: RangeBuffers, spikes: SpikeTable, segment: SegmentSpec): void {
  const { meta } = buf
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
}

/** Odd left pad, ext[j] = 2 x[0] - x[padlen - j], run from the state zi x ext[0]; outputs dropped. */
function leftPad(ctx: BlockCtx, slab: SlabSpec): void {
  const { layout, buf, filter, b0, bw } = ctx
  const { sos, zi } = filter
  const w = layout.e1 - layout.e0
  const fs = layout.frameSize
  const x = slab.data
  const base = (slab.from - slab.frame0) * fs + layout.e0 + b0
  const padlen = layout.padlen
  const st = buf.fwdState
  const v = buf.scratch
  for (let e = 0; e < bw; e++) {
    const first = 2 * x[base + e] - x[base + padlen * fs + e]
    for (let s = 0; s < sos.length; s++) {
      st[2 * s * w + b0 + e] = zi[2 * s] * first
      st[(2 * s + 1) * w + b0 + e] = zi[2 * s + 1] * first
    }
  }
  for (let j = 0; j < padlen; j++) {
    for (let e = 0; e < bw; e++) v[e] = 2 * x[base + e] - x[base + (padlen - j) * fs + e]
    filterRowInPlace(sos, st, w, b0, v, bw)
  }
}

/** One time step of the cascade for electrodes [b0, b0 + bw) (state stride w), in place on v. */
function filterRowInPlace(sos: Sos, st: Float64Array, w: number, b0: number, v: Float64Array, bw: number): void {
  for (let s = 0; s < sos.length; s++) {
    const c = sos[s]
    const b0c = c[0], b1 = c[1], b2 = c[2], a1 = c[4], a2 = c[5]
    const o0 = 2 * s * w + b0
    const o1 = o0 + w
    for (let e = 0; e < bw; e++) {
      const xv = v[e]
      const y = b0c * xv + st[o0 + e]
      st[o0 + e] = b1 * xv - a1 * y + st[o1 + e]
      st[o1 + e] = b2 * xv - a2 * y
      v[e] = y
    }
  }
}

function forwardRows(ctx: BlockCtx, slab: SlabSpec, from: number, to: number): void {
  const { layout, buf, filter, b0, bw, fwdStart } = ctx
  const w = (layout.e1 - layout.e0) | 0
  const fs = layout.frameSize | 0
  const x = slab.data
  const out = ctx.fwd
  const st = buf.fwdState
  const { sos } = filter
  let outRow = ((from - fwdStart) * bw) | 0
  let inRow = ((from - slab.frame0) * fs + layout.e0 + b0) | 0
  const rows = (to - from) | 0
  if (ctx.k) {
    const c = sos[0]
    const xIn = ctx.input + 2 * (from - slab.from) * bw
    if (rows > 0 && bw === 8) ctx.k.fwd4(xIn, 16, out.byteOffset + 8 * outRow, st.byteOffset + 8 * b0, st.byteOffset + 8 * (w + b0), rows, c[0], c[1], c[2], c[4], c[5])
    else if (rows > 0) ctx.k.fwd1(xIn, 2 * bw, out.byteOffset + 8 * outRow, st.byteOffset + 8 * b0, st.byteOffset + 8 * (w + b0), rows, bw >> 1, c[0], c[1], c[2], c[4], c[5])
    return
  }
  if (sos.length === 1) {
    const c = sos[0]
    const c0 = c[0], c1 = c[1], c2 = c[2], a1 = c[4], a2 = c[5]
    const z0 = b0 | 0
    const z1 = (w + b0) | 0
    for (let t = 0; t < rows; t++, outRow += bw, inRow += fs) {
      for (let e = 0; e < bw; e++) {
        const xv = x[inRow + e]
        const y = c0 * xv + st[z0 + e]
        st[z0 + e] = c1 * xv - a1 * y + st[z1 + e]
        st[z1 + e] = c2 * xv - a2 * y
        out[outRow + e] = y
      }
    }
    return
  }
  const v = buf.scratch
  for (let t = 0; t < rows; t++, outRow += bw, inRow += fs) {
    for (let e = 0; e < bw; e++) v[e] = x[inRow + e]
    filterRowInPlace(sos, st, w, b0, v, bw)
    out.set(v.subarray(0, bw), outRow)
  }
}

/** Odd right pad, ext = 2 x[-1] - x[-2 - j]; its forward outputs follow the slab's rows in fwd. */
function forwardRightPad(ctx: BlockCtx, slab: SlabSpec): void {
  const { layout, buf, filter, b0, bw, fwdStart } = ctx
  const w = layout.e1 - layout.e0
  const fs = layout.frameSize
  const x = slab.data
  const lastRow = (slab.to - 1 - slab.frame0) * fs + layout.e0 + b0
  const v = buf.scratch
  const padStart = (slab.to - fwdStart) * bw
  for (let j = 0; j < layout.padlen; j++) {
    const other = lastRow - (j + 1) * fs
    for (let e = 0; e < bw; e++) v[e] = 2 * x[lastRow + e] - x[other + e]
    filterRowInPlace(filter.sos, buf.fwdState, w, b0, v, bw)
    ctx.fwd.set(v.subarray(0, bw), padStart + j * bw)
  }
}

/**
 * Backward pass from the end of the forward rows (of the right pad when `fromPad`) down to finEnd,
 * writing rows [finEnd, newFin) into filt (float32).
 */
function backward(ctx: BlockCtx, fwdEnd: number, newFin: number, finEnd: number, fromPad: boolean): void {
  const { layout, buf, filter, bw, fwdStart, histStart } = ctx
  const { sos, zi } = filter
  const st = buf.bwdState
  const fwd = ctx.fwd
  const v = buf.scratch
  // Rows of fwd run from fwdStart; the pad (when present) follows row fwdEnd - 1.
  // padlen is read on every call: a load first seen at the last slab would make the JIT recompile.
  const padlen = layout.padlen
  const top = fwdEnd - fwdStart + (fromPad ? padlen : 0)
  const firstOff = (top - 1) * bw
  for (let e = 0; e < bw; e++) {
    const y0 = fwd[firstOff + e]
    for (let s = 0; s < sos.length; s++) {
      st[2 * s * bw + e] = zi[2 * s] * y0
      st[(2 * s + 1) * bw + e] = zi[2 * s + 1] * y0
    }
  }
  // Warm-up rows (pad, or [newFin, fwdEnd)): outputs dropped.
  const keepTop = newFin - fwdStart
  const out = buf.filt
  const shift = (fwdStart - histStart) * bw
  if (ctx.k) {
    const c = sos[0]
    const rowBytes = 8 * bw
    const s0 = st.byteOffset
    const s1 = s0 + 8 * bw
    // Dropped outputs all go to the scratch row (out step 0).
    const bottom = finEnd - fwdStart
    // Dropped outputs (warm-up rows) all go to the scratch row (out step 0).
    if (bw === 8) {
      if (top > keepTop) ctx.k.bwd4(fwd.byteOffset + (top - 1) * rowBytes, rowBytes, v.byteOffset, 0, s0, s1, top - keepTop, c[0], c[1], c[2], c[4], c[5])
      if (keepTop > bottom) ctx.k.bwd4(fwd.byteOffset + (keepTop - 1) * rowBytes, rowBytes, out.byteOffset + 4 * ((keepTop - 1) * bw + shift), 4 * bw, s0, s1, keepTop - bottom, c[0], c[1], c[2], c[4], c[5])
      return
    }
    if (top > keepTop) ctx.k.bwd1(fwd.byteOffset + (top - 1) * rowBytes, rowBytes, v.byteOffset, 0, s0, s1, top - keepTop, bw >> 1, c[0], c[1], c[2], c[4], c[5])
    if (keepTop > bottom) ctx.k.bwd1(fwd.byteOffset + (keepTop - 1) * rowBytes, rowBytes, out.byteOffset + 4 * ((keepTop - 1) * bw + shift), 4 * bw, s0, s1, keepTop - bottom, bw >> 1, c[0], c[1], c[2], c[4], c[5])
    return
  }
  for (let r = top - 1; r >= keepTop; r--) {
    v.set(fwd.subarray(r * bw, (r + 1) * bw))
    filterRowInPlace(sos, st, bw, 0, v, bw)
  }
  if (sos.length === 1) {
    const c = sos[0]
    const c0 = c[0], c1 = c[1], c2 = c[2], a1 = c[4], a2 = c[5]
    const bwi = bw | 0
    for (let r = (keepTop - 1) | 0, end = (finEnd - fwdStart) | 0; r >= end; r--) {
      const inRow = (r * bwi) | 0
      const outRow = (inRow + shift) | 0
      for (let e = 0; e < bwi; e++) {
        const xv = fwd[inRow + e]
        const y = c0 * xv + st[e]
        st[e] = c1 * xv - a1 * y + st[bwi + e]
        st[bwi + e] = c2 * xv - a2 * y
        out[outRow + e] = y
      }
    }
    return
  }
  for (let r = keepTop - 1; r >= finEnd - fwdStart; r--) {
    v.set(fwd.subarray(r * bw, (r + 1) * bw))
    filterRowInPlace(sos, st, bw, 0, v, bw)
    out.set(v.subarray(0, bw), r * bw + shift)
  }
}

interface WindowList {
  units: Int32Array
  /** Row of filt (relative to histStart) where each window starts. */
  firstRows: Int32Array
  /** With partial sums: 1 where the unit's float32 partial sum is full after this window. */
  flushAfter?: Uint8Array
}

/**
 * Where each unit's float32 partial sum reaches `limit` windows (then it is added into the float64
 * sums and cleared), so no partial sum ever holds more than `limit` windows. Advances `pending`
 * (windows in each unit's partial sum), once per slab; every block follows the same marks.
 */
function flushMarks(pending: Int32Array, units: Int32Array, limit: number): Uint8Array {
  const marks = new Uint8Array(units.length)
  // Both stores run for every window (no branch the first slabs never take, which would make the JIT
  // drop processSlab's compiled code when the first partial sum fills).
  for (let k = 0; k < units.length; k++) {
    const u = units[k]
    const n = pending[u] + 1
    const full = n >= limit
    marks[k] = full ? 1 : 0
    pending[u] = full ? 0 : n
  }
  return marks
}

/** The spikes whose window ends in (finEnd, newFin] and which the rule accepts; advances the cursors. */
function collectWindows(layout: RangeLayout, buf: RangeBuffers, spikes: SpikeTable, rule: SpikeRule, newFin: number, histStart: number): WindowList {
  const pre = layout.pre | 0
  const post = layout.post | 0
  const units: number[] = []
  const firstRows: number[] = []
  const samples = spikes.samples
  for (let u = 0; u < layout.nUnits; u++) {
    let i = buf.cursor[u] | 0
    const end = spikes.offsets[u + 1] | 0
    for (; i < end; i++) {
      const s = samples[i] | 0
      if (s + post > newFin) break
      if (s < rule.validFrom || s >= rule.validTo) continue
      const first = s - pre - histStart
      if (first < 0) continue
      units.push(u)
      firstRows.push(first)
    }
    buf.cursor[u] = i
  }
  return { units: Int32Array.from(units), firstRows: Int32Array.from(firstRows) }
}

/** Adds each window's (pre + post) x bw rows of filt into the unit's block accumulator. */
function addWindows(ctx: BlockCtx, list: WindowList): void {
  const { layout, buf, b0, bw } = ctx
  const L = (layout.pre + layout.post) | 0
  const block = (L * bw) | 0
  const blockBase = (b0 * layout.nUnits * L) | 0
  const acc = buf.acc
  const data = buf.filt
  if (list.flushAfter) {
    addWindowsPartial(ctx, list, list.flushAfter, blockBase, block)
    return
  }
  if (ctx.k) {
    const a0 = acc.byteOffset
    const d0 = data.byteOffset
    const pairs = block >> 1
    const quads = pairs >> 1
    for (let k = 0; k < list.units.length; k++) {
      const a = a0 + 8 * (blockBase + list.units[k] * block)
      const d = d0 + 4 * list.firstRows[k] * bw
      if (quads > 0) ctx.k.addw2(a, d, quads)
      if (pairs & 1) ctx.k.addw(a + 32 * quads, d + 16 * quads, 1)
    }
    return
  }
  for (let k = 0; k < list.units.length; k++) {
    addBlock(acc, (blockBase + list.units[k] * block) | 0, data, (list.firstRows[k] * bw) | 0, block)
  }
}

/** The float32 path: each window into its unit's partial sum; a full partial sum into the float64 sums. */
function addWindowsPartial(ctx: BlockCtx, list: WindowList, flushAfter: Uint8Array, blockBase: number, block: number): void {
  const { buf, bw } = ctx
  const { part, acc, filt } = buf
  const simd = ctx.k !== null && block % 4 === 0
  if (simd && block % 8 === 0) {
    // One kernel call per window, the flush decided inside it.
    const partAt = part.byteOffset
    const filtAt = filt.byteOffset
    const accAt = acc.byteOffset
    for (let k = 0; k < list.units.length; k++) {
      const p = blockBase + list.units[k] * block
      ctx.k!.addff(partAt + 4 * p, filtAt + 4 * list.firstRows[k] * bw, accAt + 8 * p, block >> 2, flushAfter[k])
    }
    return
  }
  for (let k = 0; k < list.units.length; k++) {
    const p = blockBase + list.units[k] * block
    const d = list.firstRows[k] * bw
    if (simd) ctx.k!.addf(part.byteOffset + 4 * p, filt.byteOffset + 4 * d, block >> 2)
    else for (let i = 0; i < block; i++) part[p + i] += filt[d + i]
    if (flushAfter[k]) {
      if (simd && block % 8 === 0) ctx.k!.addw2(acc.byteOffset + 8 * p, part.byteOffset + 4 * p, block >> 2)
      else for (let i = 0; i < block; i++) acc[p + i] += part[p + i]
      part.fill(0, p, p + block)
    }
  }
}

/** acc[a .. a + n) += data[d .. d + n). */
function addBlock(acc: Float64Array, a: number, data: Float32Array, d: number, n: number): void {
  for (let k = 0; k < n; k++) acc[a + k] += data[d + k]
}
