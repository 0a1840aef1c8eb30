// Playlist section times: where each movie of a playlist sits in display frames, its [start, end]
// sample bounds through the frame timestamps, and the light template averaged over occurrences.

import { frameToSample } from './frameMapping'

export interface SectionLayout {
  /** Blank frames shown before and after every movie. */
  padFrame: number
  /** Frames kept before the movie content starts. */
  preMarginFrames: number
  /** Frames kept after the movie content ends (plus the one extra frame every movie has). */
  postMarginFrames: number
  /** The whole playlist is shown this many times in order; values <= 0 mean 1. */
  repeats: number
}

export const DEFAULT_SECTION_LAYOUT: SectionLayout = {
  padFrame: 180,
  preMarginFrames: 60,
  postMarginFrames: 120,
  repeats: 1,
}

export interface MovieFrameSections {
  /** movie -> rows [startFrame, endFrame], one per occurrence, in playlist order. */
  sections: Map<string, Array<[number, number]>>
  /** Movies without a known length that were left out (only trailing ones; see movieFrameSections). */
  skipped: string[]
}

/** Raised when a movie's length is unknown; the caller turns it into a ConfigurationError naming the file. */
export class UnknownMovieLengthError extends Error {
  constructor(
    readonly movie: string,
    /** Movies with a known length that come after the unknown one and would be misplaced. */
    readonly misplaced: string[],
  ) {
    super(
      misplaced.length === 0
        ? `no length is known for movie '${movie}'`
        : `no length is known for movie '${movie}', so the movies after it (${[...new Set(misplaced)].join(', ')}) cannot be placed`,
    )
    this.name = 'UnknownMovieLengthError'
  }
}

/**
 * The frame bounds of every movie occurrence. Each movie occupies pad + L + 1 + pad frames; its row is
 * [contentStart - preMargin, contentStart + L + postMargin + 1] with contentStart = counter + pad.
 *
 * A movie without a length cannot be skipped in place: its duration is unknown, so every later movie
 * would be shifted (the Python bug). With `skipMissing`, movies without a length are left out only
 * when no movie with a known length comes after them; otherwise (and always without `skipMissing`)
 * an UnknownMovieLengthError names the movie.
 */
export function movieFrameSections(
  playlist: readonly string[],
  lengths: ReadonlyMap<string, number>,
  layout: SectionLayout = DEFAULT_SECTION_LAYOUT,
  options: { skipMissing?: boolean } = {},
): MovieFrameSections {
  const repeats = layout.repeats <= 0 ? 1 : Math.trunc(layout.repeats)
  const sequence: string[] = []
  for (let r = 0; r < repeats; r++) sequence.push(...playlist)

  const lastKnown = sequence.reduce((last, m, i) => (lengths.has(m) ? i : last), -1)
  const sections = new Map<string, Array<[number, number]>>()
  const skipped: string[] = []
  let counter = 0
  sequence.forEach((movie, i) => {
    const length = lengths.get(movie)
    if (length === undefined) {
      const misplaced = sequence.slice(i + 1).filter((m) => lengths.has(m))
      if (!options.skipMissing || i < lastKnown) throw new UnknownMovieLengthError(movie, misplaced)
      if (!skipped.includes(movie)) skipped.push(movie)
      return
    }
    const contentStart = counter + layout.padFrame
    const row: [number, number] = [
      contentStart - layout.preMarginFrames,
      contentStart + length + layout.postMarginFrames + 1,
    ]
    const rows = sections.get(movie)
    if (rows) rows.push(row)
    else sections.set(movie, [row])
    counter += 2 * layout.padFrame + length + 1
  })
  return { sections, skipped }
}

/** Frame rows converted to sample rows (row-major (N, 2)), each bound through its clipped frame. */
export function frameRowsToSamples(rows: ReadonlyArray<readonly [number, number]>, ts: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows.length * 2)
  rows.forEach(([a, b], i) => {
    out[2 * i] = frameToSample(a, ts)
    out[2 * i + 1] = frameToSample(b, ts)
  })
  return out
}

/**
 * The mean across traces at every sample index, ignoring traces that are shorter (NaN padding), as
 * float32 of the longest trace's length. NaN values inside a trace are ignored the same way; an index
 * where every trace is NaN stays NaN.
 */
export function nanMeanTemplate(traces: ReadonlyArray<ArrayLike<number>>): Float32Array {
  const length = traces.reduce((m, t) => Math.max(m, t.length), 0)
  const sum = new Float64Array(length)
  const count = new Uint32Array(length)
  for (const t of traces) {
    for (let i = 0; i < t.length; i++) {
      const v = t[i]
      if (v === v) {
        sum[i] += v
        count[i]++
      }
    }
  }
  const out = new Float32Array(length)
  for (let i = 0; i < length; i++) out[i] = count[i] > 0 ? sum[i] / count[i] : Number.NaN
  return out
}

/**
 * The light template of a movie from its sample rows: raw[max(0, s0) : min(len, s1)] per occurrence
 * (empty slices are left out), averaged with nanMeanTemplate.
 */
export function playlistLightTemplate(raw: ArrayLike<number>, sampleRows: ArrayLike<number>): Float32Array {
  const traces: ArrayLike<number>[] = []
  for (let i = 0; i + 1 < sampleRows.length; i += 2) {
    const s0 = Math.max(0, sampleRows[i])
    const s1 = Math.min(raw.length, sampleRows[i + 1])
    if (s1 > s0) traces.push(sliceOf(raw, s0, s1))
  }
  return nanMeanTemplate(traces)
}

/** A view (typed arrays) or copy of raw[s0:s1]. */
export function sliceOf(raw: ArrayLike<number>, s0: number, s1: number): ArrayLike<number> {
  const typed = raw as Float32Array
  if (typeof typed.subarray === 'function') return typed.subarray(s0, s1)
  return Array.prototype.slice.call(raw, s0, s1) as number[]
}
