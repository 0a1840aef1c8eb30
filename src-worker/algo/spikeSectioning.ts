// Spike sectioning: trial bounds of a movie from its stimulus config, and a unit's spikes cut into
// those trials (half-open windows, binary search on the sorted spike train).

import { frameToSample, lowerBound, sampleToFloorFrame } from './frameMapping'

/** The `section_kwargs` of a stimulus config (display frames, counted from the movie content start). */
export interface TrialConfig {
  startFrame: number
  trialLengthFrame: number
  repeat: number
  groupCount: number
  /** Frames inserted after every group of `repeat` trials except the last. */
  groupGap: number
}

/** Frames between a playlist section's start row and its content start (the pre margin of add_section_time). */
export const SECTION_PRE_MARGIN_FRAMES = 60

/**
 * Trial bounds in frames: trial n starts at sectionFrameStart + preMargin + startFrame + n*length +
 * floor(n / repeat) * groupGap and lasts trialLengthFrame frames. Both ends are clipped to nFrames-1
 * from above only, so trials past the last frame collapse to zero length.
 */
export function trialFrameBounds(
  sectionFrameStart: number,
  cfg: TrialConfig,
  nFrames: number,
  preMarginFrames = SECTION_PRE_MARGIN_FRAMES,
): Array<[number, number]> {
  const out: Array<[number, number]> = []
  const n = cfg.groupCount * cfg.repeat
  const last = nFrames - 1
  for (let k = 0; k < n; k++) {
    const start =
      sectionFrameStart + preMarginFrames + cfg.startFrame + k * cfg.trialLengthFrame + Math.floor(k / cfg.repeat) * cfg.groupGap
    const end = start + cfg.trialLengthFrame
    out.push([Math.min(start, last), Math.min(end, last)])
  }
  return out
}

/**
 * Trial bounds in samples (row-major (n, 2)) of a playlist movie whose section starts at
 * `sectionStartSample` (its first section_time row; later occurrences are not used).
 */
export function trialBoundaries(
  sectionStartSample: number,
  ts: ArrayLike<number>,
  cfg: TrialConfig,
  preMarginFrames = SECTION_PRE_MARGIN_FRAMES,
): Float64Array {
  const frames = trialFrameBounds(sampleToFloorFrame(sectionStartSample, ts), cfg, ts.length, preMarginFrames)
  const out = new Float64Array(frames.length * 2)
  frames.forEach(([a, b], i) => {
    out[2 * i] = frameToSample(a, ts)
    out[2 * i + 1] = frameToSample(b, ts)
  })
  return out
}

/** pad_margin seconds to whole samples, truncated toward zero like Python's int(). */
export function padMarginSamples(padMarginSeconds: readonly [number, number], rate: number): { pre: number; post: number } {
  return { pre: Math.trunc(padMarginSeconds[0] * rate), post: Math.trunc(padMarginSeconds[1] * rate) }
}

export interface SectionedSpikes {
  /** Absolute sample indices of the spikes in each padded trial window, ascending. */
  trials: Float64Array[]
  /** Sorted unique union of all trials. */
  full: Float64Array
}

export interface SectionOptions {
  /** Padded starts below 0 become 0 (playlist movies). Analog movies leave them as they are. */
  clampStartAtZero: boolean
}

function isSorted(a: ArrayLike<number>): boolean {
  for (let i = 1; i < a.length; i++) if (a[i] < a[i - 1]) return false
  return true
}

/** The spike train as an ascending Float64Array (a view when it already is one). */
export function sortedSpikes(spikes: ArrayLike<number>): Float64Array {
  const f = spikes instanceof Float64Array ? spikes : Float64Array.from(spikes)
  return isSorted(f) ? f : f.slice().sort()
}

/**
 * The spikes of each trial window [start - pre, end + post) (half-open) and their sorted unique union.
 * `bounds` is row-major (n, 2) in samples. Unsorted input is sorted first.
 */
export function sectionUnitSpikes(
  spikes: ArrayLike<number>,
  bounds: ArrayLike<number>,
  pre: number,
  post: number,
  options: SectionOptions = { clampStartAtZero: true },
): SectionedSpikes {
  const s = sortedSpikes(spikes)
  const nTrials = Math.floor(bounds.length / 2)
  const trials: Float64Array[] = new Array(nTrials)
  // Index range [lo, hi) of each trial in s, flat.
  const ranges = new Float64Array(2 * nTrials)
  for (let k = 0; k < nTrials; k++) {
    let lo = bounds[2 * k] - pre
    if (options.clampStartAtZero && lo < 0) lo = 0
    const hi = bounds[2 * k + 1] + post
    const i0 = lowerBound(s, lo)
    const i1 = Math.max(i0, lowerBound(s, hi, i0))
    trials[k] = s.slice(i0, i1)
    ranges[2 * k] = i0
    ranges[2 * k + 1] = i1
  }
  return { trials, full: uniqueUnion(s, ranges) }
}

/** Sorted unique values of s over the union of the flat index ranges [i0, i1). */
function uniqueUnion(s: Float64Array, flatRanges: Float64Array): Float64Array {
  let ranges = flatRanges
  let ordered = true
  for (let k = 2; k < ranges.length; k += 2) if (ranges[k] < ranges[k - 2]) ordered = false
  if (!ordered) {
    const order = Array.from({ length: ranges.length / 2 }, (_, k) => k).sort((x, y) => flatRanges[2 * x] - flatRanges[2 * y])
    ranges = new Float64Array(flatRanges.length)
    order.forEach((k, i) => {
      ranges[2 * i] = flatRanges[2 * k]
      ranges[2 * i + 1] = flatRanges[2 * k + 1]
    })
  }
  // Copy the covered stretches of s in index order (s is sorted, so the result is too)...
  let total = 0
  let covered = 0
  for (let k = 0; k < ranges.length; k += 2) {
    const from = Math.max(ranges[k], covered)
    if (ranges[k + 1] > from) total += ranges[k + 1] - from
    covered = Math.max(covered, ranges[k + 1])
  }
  const out = new Float64Array(total)
  let n = 0
  covered = 0
  for (let k = 0; k < ranges.length; k += 2) {
    const from = Math.max(ranges[k], covered)
    const to = ranges[k + 1]
    if (to > from) {
      out.set(s.subarray(from, to), n)
      n += to - from
    }
    covered = Math.max(covered, to)
  }
  // ...then drop repeated values (a spike train may hold the same sample twice).
  let w = n > 0 ? 1 : 0
  for (let i = 1; i < n; i++) if (out[i] !== out[w - 1]) out[w++] = out[i]
  return w === n ? out : out.slice(0, w)
}
