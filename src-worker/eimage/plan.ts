// The streaming plan of an electrical-image STA run: which samples are filtered as one signal
// (segments), how they are cut into slabs, which electrodes each worker owns, and the memory bound.
//
// Default mode: one segment, the whole span [0, N); a spike counts when its whole window lies inside.
// hdmea compat mode: the production Python's 10-s chunks, each filtered on its own with (pre + post)
// samples of overlap on both sides, and the chunk rule for spikes (docs/algorithms.md §4.3 step 5).

import { hdmeaChunkRule, wholeWindowRule, type SpikeRule } from './windowAccumulator'

export type EimageMode = 'none' | 'hdmea'

export interface Segment {
  start: number
  end: number
  rule: SpikeRule
}

export interface Slab {
  segment: number
  from: number
  to: number
}

/** The Python production chunk length. */
export const HDMEA_CHUNK_SECONDS = 10

export function planSegments(mode: EimageMode, totalSamples: number, samplingRate: number, pre: number, post: number): Segment[] {
  if (mode === 'none') return [{ start: 0, end: totalSamples, rule: wholeWindowRule(0, totalSamples, pre, post) }]
  const chunk = Math.trunc(samplingRate * HDMEA_CHUNK_SECONDS)
  const L = pre + post
  const segments: Segment[] = []
  for (let c0 = 0; c0 < totalSamples; c0 += chunk) {
    const c1 = Math.min(c0 + chunk, totalSamples)
    segments.push({ start: Math.max(0, c0 - L), end: Math.min(c1 + L, totalSamples), rule: hdmeaChunkRule(c0, c1, pre, post) })
  }
  return segments
}

/** Cuts each segment into near-equal slabs of at most maxFrames, so no slab is much shorter than the rest. */
export function planSlabs(segments: Segment[], maxFrames: number, minFrames: number): Slab[] {
  const slabs: Slab[] = []
  segments.forEach((seg, i) => {
    const n = seg.end - seg.start
    if (n < minFrames) {
      throw new RangeError(`a filtered span of ${n} samples is too short: the zero-phase filter needs at least ${minFrames}`)
    }
    const count = Math.ceil(n / maxFrames)
    for (let k = 0; k < count; k++) {
      slabs.push({
        segment: i,
        from: seg.start + Math.floor((k * n) / count),
        to: seg.start + Math.floor(((k + 1) * n) / count),
      })
    }
  })
  return slabs
}

/**
 * Splits [0, n) into `parts` contiguous near-equal ranges whose inner boundaries are multiples of
 * `align` (so ranges hold whole electrode blocks); fewer ranges if n is too small for that.
 */
export function electrodeRanges(n: number, parts: number, align = 1): [number, number][] {
  const blocks = Math.ceil(n / align)
  const k = Math.max(1, Math.min(parts, blocks))
  const cut = (i: number) => Math.min(n, Math.floor((i * blocks) / k) * align)
  return Array.from({ length: k }, (_, i) => [cut(i), cut(i + 1)] as [number, number])
}

/**
 * Electrode ranges per worker thread: several, so that the pool hands out the next range to whichever
 * thread is free and a thread slowed by the reader (which shares the cores) does not hold up a slab.
 */
export const RANGES_PER_THREAD = 4

/** Default slab size: 64 MiB of int16 frames (h5wasm reads fastest at 64-256 MB, docs/architecture.md). */
export const DEFAULT_SLAB_BYTES = 64 * 1024 * 1024

export function slabFramesFor(slabBytes: number, frameSize: number, minFrames: number): number {
  return Math.max(minFrames, Math.floor(slabBytes / (2 * frameSize)))
}
