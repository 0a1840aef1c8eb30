// Visual spike-triggered average over a stimulus movie (docs/algorithms.md §3).
//
// Instead of gathering one (L, H, W) window per spike, valid spikes are first counted per window
// start frame; the STA is then a weighted sum of contiguous movie blocks, so the cost depends on the
// number of distinct start frames (at most the movie length), not on the spike count.

import { type ByteWindowSummer, createByteWindowSummer } from './byteWindowKernel'
import { sampleToFloorFrame } from './frameMapping'

/** Floor frame of each sample: searchsorted(ts, s, 'right') - 1, clipped to [0, n-1] (docs/algorithms.md §1.6). */
export function floorFrames(samples: ArrayLike<number>, frameTimestamps: ArrayLike<number>): Int32Array {
  const out = new Int32Array(samples.length)
  for (let i = 0; i < samples.length; i++) out[i] = floorFrame(samples[i], frameTimestamps)
  return out
}

export function floorFrame(sample: number, ts: ArrayLike<number>): number {
  return sampleToFloorFrame(sample, ts)
}

/** Frames of the display before a movie's first frame inside its section (section_time starts with this pre-margin). */
export const MOVIE_START_OFFSET_FRAMES = 60

/**
 * Movie-relative frame of each spike: floor_frame(spike) - (floor_frame(sectionStart) + 60).
 * May be negative or beyond the movie; the edge rules decide later.
 */
export function movieRelativeFrames(
  spikeSamples: ArrayLike<number>,
  frameTimestamps: ArrayLike<number>,
  sectionStartSample: number,
): Int32Array {
  const start = floorFrame(sectionStartSample, frameTimestamps) + MOVIE_START_OFFSET_FRAMES
  const out = floorFrames(spikeSamples, frameTimestamps)
  for (let i = 0; i < out.length; i++) out[i] -= start
  return out
}

const MAX_INT32_SPIKES = Math.floor((2 ** 31 - 1) / 255)
const MAX_UINT32_SPIKES = Math.floor((2 ** 32 - 1) / 255)

export interface MovieShape {
  frames: number
  height: number
  width: number
}

export interface StaResult {
  /** float32 (L, H, W), L = b - a; all NaN when no spike was valid. */
  sta: Float32Array
  nUsed: number
  nExcluded: number
}

export function validateCoverRange(coverRange: readonly [number, number]): void {
  const [a, b] = coverRange
  if (!Number.isInteger(a) || !Number.isInteger(b)) throw new RangeError(`cover_range must hold whole frames (got [${a}, ${b}])`)
  if (a >= b) throw new RangeError(`cover_range must have start < end (got [${a}, ${b}])`)
}

/**
 * Counts valid spikes per window start frame (f + a). A spike frame f is valid iff f + a >= 0 and
 * f + b <= nFrames, so with b = 0 a spike one frame past the movie end still counts.
 */
export function windowStartHistogram(
  spikeFrames: ArrayLike<number>,
  nFrames: number,
  coverRange: readonly [number, number],
): { counts: Float64Array; nUsed: number } {
  validateCoverRange(coverRange)
  const [a, b] = coverRange
  const L = b - a
  const nStarts = Math.max(0, nFrames - L + 1)
  const counts = new Float64Array(nStarts)
  let nUsed = 0
  for (let i = 0; i < spikeFrames.length; i++) {
    const f = spikeFrames[i]
    if (f + a >= 0 && f + b <= nFrames) {
      counts[f + a]++
      nUsed++
    }
  }
  return { counts, nUsed }
}

export interface StaOptions {
  /**
   * Sums the windows of a Uint8Array movie (WebAssembly SIMD). Undefined: one is made for this call
   * (copying the movie), so pass one made by createByteWindowSummer(movie) when computing many units;
   * null: the plain typed-array loop.
   */
  byteSummer?: ByteWindowSummer | null
}

/**
 * STA[k] = sum_f c[f] * movie[f + a + k] / N for k = 0..L-1, movie in C order (frames, H, W).
 * Sums are exact integers, so the float32 result equals numpy's mean-then-cast.
 */
export function computeSta(
  spikeFrames: ArrayLike<number>,
  movie: ArrayLike<number>,
  shape: MovieShape,
  coverRange: readonly [number, number],
  options: StaOptions = {},
): StaResult {
  const { frames, height, width } = shape
  const pixels = height * width
  if (movie.length !== frames * pixels) {
    throw new RangeError(`movie holds ${movie.length} values, expected ${frames}x${height}x${width}`)
  }
  const L = coverRange[1] - coverRange[0]
  const { counts, nUsed } = windowStartHistogram(spikeFrames, frames, coverRange)
  const block = L * pixels
  const sta = new Float32Array(block)
  const nExcluded = spikeFrames.length - nUsed
  if (nUsed === 0) {
    sta.fill(Number.NaN)
    return { sta, nUsed, nExcluded }
  }
  let acc: ArrayLike<number> | null = null
  if (movie instanceof Uint8Array && nUsed <= MAX_UINT32_SPIKES) {
    const summer = options.byteSummer === undefined ? createByteWindowSummer(movie) : options.byteSummer
    if (summer) acc = summer.sum(counts, pixels, block)
    else if (nUsed <= MAX_INT32_SPIKES) acc = accumulateBytes(counts, movie, pixels, block)
  }
  acc ??= accumulateGeneric(counts, movie, pixels, block)
  for (let j = 0; j < block; j++) sta[j] = acc[j] / nUsed
  return { sta, nUsed, nExcluded }
}

/**
 * Uint8 movie without WebAssembly: integer sums in Int32 (exact while N * 255 < 2^31). Single spikes
 * are added four windows per pass, so the accumulator is read and written a quarter as often.
 */
function accumulateBytes(counts: Float64Array, movie: Uint8Array, pixels: number, block: number): Int32Array {
  const acc = new Int32Array(block)
  const ones: number[] = []
  for (let s = 0; s < counts.length; s++) {
    const c = counts[s]
    if (c === 0) continue
    if (c !== 1) {
      addScaledBlock(acc, movie, s * pixels, c)
      continue
    }
    ones.push(s * pixels)
    if (ones.length === 4) {
      addFourBlocks(acc, movie, ones[0], ones[1], ones[2], ones[3])
      ones.length = 0
    }
  }
  for (const base of ones) addScaledBlock(acc, movie, base, 1)
  return acc
}

function addFourBlocks(acc: Int32Array, movie: Uint8Array, b0: number, b1: number, b2: number, b3: number): void {
  for (let j = 0; j < acc.length; j++) acc[j] = (acc[j] + movie[b0 + j] + movie[b1 + j] + movie[b2 + j] + movie[b3 + j]) | 0
}

function addScaledBlock(acc: Int32Array, movie: Uint8Array, base: number, c: number): void {
  for (let j = 0; j < acc.length; j++) acc[j] = (acc[j] + c * movie[base + j]) | 0
}

function accumulateGeneric(counts: Float64Array, movie: ArrayLike<number>, pixels: number, block: number): Float64Array {
  const acc = new Float64Array(block)
  for (let s = 0; s < counts.length; s++) {
    const c = counts[s]
    if (c === 0) continue
    const base = s * pixels
    for (let j = 0; j < block; j++) acc[j] += c * movie[base + j]
  }
  return acc
}
