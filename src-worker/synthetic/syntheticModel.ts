// The ground-truth model behind the synthetic recording generator: display-frame timing (playlist
// layout of docs/algorithms.md §1.3), light and frame-sync channels, analog light steps after the video,
// a dense-noise movie, unit positions, receptive fields and spike trains. Pure computation; the
// file writing is in generator.ts.
//
// Spike-rate model (documented in resources/demo/README.md):
// * every unit fires at a base rate r0 (Poisson, 2 ms refractory period);
// * ON units fire at 4·r0 while the light is bright (frame intensity >= 200, or an analog step);
// * during the dense-noise movie, units with a receptive field fire at
//   RF_RATE · p² + 0.5 Hz, where p is the fraction of white pixels in the 3x3 patch centred on the
//   unit's RF centre in the frame shown RF_LAG_FRAMES (10) frames earlier; other units keep r0.

import { Rng } from './random'

export const PAD_FRAMES = 180
export const DROPPED_PULSES = 4
export const RF_LAG_FRAMES = 10
export const RF_RATE_HZ = 30
export const REFRACTORY_S = 0.002
export const DARK_COUNTS = 2000
export const COUNTS_PER_INTENSITY = 150
export const STEP_COUNTS = 400_000
export const SYNC_LOW = 100
export const SYNC_HIGH = 30_000

export type MovieKind = 'gray' | 'baseline' | 'step' | 'noise'

export interface SynthMovie {
  name: string
  frames: number
  kind: MovieKind
  /** For 'step' movies: bright (255) for the first half of every trial from startFrame on, else dark. */
  step?: { startFrame: number; trialFrames: number; repeat: number }
}

export interface TimelineOptions {
  rate: number
  nSamples: number
  fps: number
  /** Samples before the first (dropped) sync pulse. */
  leadInSamples: number
  /** Movies in playlist order; empty = sync pulses continue through the recording with no playlist. */
  playlist: SynthMovie[]
  /** Analog light steps placed after the video. */
  analogSteps?: { count: number; durationS: number; firstDelayS: number; intervalS: number }
  noiseSize: number
  seed: number
}

export interface SectionTruth {
  movie: string
  /** [start_frame, end_frame] by docs/algorithms.md §1.3 (content_start − 60, content_start + L + 121). */
  startFrame: number
  endFrame: number
  contentStartFrame: number
  frames: number
}

export interface Timeline {
  rate: number
  nSamples: number
  /** Rising-edge sample (first high sample) of every sync pulse, the 4 dropped ones first. */
  pulseEdges: Float64Array
  /** What detection must return: pulseEdges[4:] − 1 (the sample before each rising edge). */
  frameTimestamps: Float64Array
  /** Per retained frame: intensity 0..255, movie index (−1 pads/no playlist), content frame (−1). */
  frameIntensity: Float32Array
  frameMovie: Int32Array
  frameContent: Int32Array
  pulseHighSamples: number
  sections: SectionTruth[]
  /** First high sample of each analog step, and what find_peaks returns (one sample earlier). */
  analogStepStarts: number[]
  analogOnsets: number[]
  analogStepSamples: number
  noiseMovie: { name: string; data: Uint8Array; frames: number; size: number } | null
}

function movieIntensity(m: SynthMovie, content: number, noise: Uint8Array | null, size: number): number {
  switch (m.kind) {
    case 'gray':
    case 'baseline':
      return 127
    case 'step': {
      const s = m.step ?? { startFrame: 0, trialFrames: m.frames, repeat: 1 }
      const rel = content - s.startFrame
      if (rel < 0 || rel >= s.trialFrames * s.repeat) return 0
      return rel % s.trialFrames < s.trialFrames / 2 ? 255 : 0
    }
    case 'noise': {
      if (!noise) return 127
      let sum = 0
      const off = content * size * size
      for (let i = 0; i < size * size; i++) sum += noise[off + i]
      return sum / (size * size)
    }
  }
}

export function buildTimeline(o: TimelineOptions): Timeline {
  const rng = new Rng(o.seed ^ 0x5eed)
  const period = o.rate / o.fps
  const noiseMovieDef = o.playlist.find((m) => m.kind === 'noise')
  let noiseMovie: Timeline['noiseMovie'] = null
  if (noiseMovieDef) {
    const n = noiseMovieDef.frames * o.noiseSize * o.noiseSize
    const data = new Uint8Array(n)
    for (let i = 0; i < n; i++) data[i] = rng.next() < 0.5 ? 0 : 255
    noiseMovie = { name: noiseMovieDef.name, data, frames: noiseMovieDef.frames, size: o.noiseSize }
  }

  const sections: SectionTruth[] = []
  let videoFrames: number
  if (o.playlist.length > 0) {
    let fc = 0
    for (const m of o.playlist) {
      const contentStart = fc + PAD_FRAMES
      sections.push({ movie: m.name, startFrame: contentStart - 60, endFrame: contentStart + m.frames + 121, contentStartFrame: contentStart, frames: m.frames })
      fc += 2 * PAD_FRAMES + m.frames + 1
    }
    videoFrames = fc
  } else {
    const stepNeed = o.analogSteps ? (o.analogSteps.firstDelayS + (o.analogSteps.count - 1) * o.analogSteps.intervalS + o.analogSteps.durationS + 0.5) * o.rate : 0
    videoFrames = Math.max(0, Math.floor((o.nSamples - o.leadInSamples - stepNeed - 2 * period) / period) - DROPPED_PULSES)
  }
  const nPulses = videoFrames + DROPPED_PULSES
  const pulseEdges = new Float64Array(nPulses)
  for (let j = 0; j < nPulses; j++) pulseEdges[j] = o.leadInSamples + Math.round(j * period)
  const lastEdge = nPulses > 0 ? pulseEdges[nPulses - 1] : o.leadInSamples
  if (lastEdge + period >= o.nSamples) {
    throw new RangeError(`synthetic recording: the playlist needs ${Math.ceil((lastEdge + period) / o.rate)} s of analog data, only ${(o.nSamples / o.rate).toFixed(1)} s requested`)
  }
  const frameTimestamps = new Float64Array(videoFrames)
  for (let k = 0; k < videoFrames; k++) frameTimestamps[k] = pulseEdges[k + DROPPED_PULSES] - 1

  const frameIntensity = new Float32Array(videoFrames)
  const frameMovie = new Int32Array(videoFrames).fill(-1)
  const frameContent = new Int32Array(videoFrames).fill(-1)
  if (o.playlist.length > 0) {
    o.playlist.forEach((m, mi) => {
      const cs = sections[mi].contentStartFrame
      for (let c = 0; c < m.frames; c++) {
        frameMovie[cs + c] = mi
        frameContent[cs + c] = c
        frameIntensity[cs + c] = movieIntensity(m, c, m.kind === 'noise' ? (noiseMovie?.data ?? null) : null, o.noiseSize)
      }
    })
  } else {
    frameIntensity.fill(127)
  }

  const analogStepStarts: number[] = []
  const stepSamples = o.analogSteps ? Math.round(o.analogSteps.durationS * o.rate) : 0
  if (o.analogSteps) {
    const videoEnd = lastEdge + Math.ceil(period)
    for (let i = 0; i < o.analogSteps.count; i++) {
      const s = videoEnd + Math.round((o.analogSteps.firstDelayS + i * o.analogSteps.intervalS) * o.rate)
      if (s + stepSamples >= o.nSamples) {
        throw new RangeError(`synthetic recording: analog step ${i + 1} ends after the recording (${(o.nSamples / o.rate).toFixed(1)} s)`)
      }
      analogStepStarts.push(s)
    }
  }
  return {
    rate: o.rate,
    nSamples: o.nSamples,
    pulseEdges,
    frameTimestamps,
    frameIntensity,
    frameMovie,
    frameContent,
    pulseHighSamples: Math.floor(period / 2),
    sections,
    analogStepStarts,
    analogOnsets: analogStepStarts.map((s) => s - 1),
    analogStepSamples: stepSamples,
    noiseMovie,
  }
}

/** Index of the retained frame showing at sample s (−1 before frame 0 or after the video). */
export function frameAt(t: Timeline, s: number): number {
  const ts = t.frameTimestamps
  const n = ts.length
  if (n === 0 || s <= ts[0]) return -1
  const period = t.rate / 60
  if (s > ts[n - 1] + 2 * period) return -1
  let lo = 0
  let hi = n - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (ts[mid] < s) lo = mid
    else hi = mid - 1
  }
  return lo
}

export function inAnalogStep(t: Timeline, s: number): boolean {
  for (const a of t.analogStepStarts) if (s >= a && s < a + t.analogStepSamples) return true
  return false
}

/** The light (raw_ch1) and frame-sync (raw_ch2) channels as int32 counts, with small noise. */
export function buildAnalogChannels(t: Timeline, seed: number): { ch1: Int32Array; ch2: Int32Array } {
  const rng = new Rng(seed ^ 0xa7a1)
  const n = t.nSamples
  const ch1 = new Int32Array(n)
  const ch2 = new Int32Array(n).fill(SYNC_LOW)
  for (const e of t.pulseEdges) ch2.fill(SYNC_HIGH, e, Math.min(n, e + t.pulseHighSamples))
  ch1.fill(DARK_COUNTS)
  const ts = t.frameTimestamps
  for (let k = 0; k < ts.length; k++) {
    const a = ts[k] + 1
    const b = k + 1 < ts.length ? ts[k + 1] + 1 : Math.min(n, a + Math.round(t.rate / 60.5))
    ch1.fill(DARK_COUNTS + Math.round(t.frameIntensity[k] * COUNTS_PER_INTENSITY), a, b)
  }
  for (const a of t.analogStepStarts) ch1.fill(DARK_COUNTS + STEP_COUNTS, a, a + t.analogStepSamples)
  for (let i = 0; i < n; i++) {
    ch1[i] += Math.floor(rng.next() * 41) - 20
    ch2[i] += Math.floor(rng.next() * 7) - 3
  }
  return { ch1, ch2 }
}

// ---------- units ----------

export interface UnitTruth {
  unitNum: number
  row: number
  col: number
  sensorId: number
  /** Peak amplitude scale of the footprint, in counts (the trough at the unit's electrode). */
  amplitude: number
  onCell: boolean
  baseRateHz: number
  /** Receptive-field centre in the noise movie (x = column, y = row, 0-based), or null. */
  rfCentre: { x: number; y: number } | null
  /** All peaks in time order: sample index and the IncludePeak flag. */
  peakSamples: Float64Array
  include: Uint8Array
}

/** A unit's placement and response properties, before its spikes are drawn. */
export type PlacedUnit = Omit<UnitTruth, 'peakSamples' | 'include'>

export function placeUnits(nUnits: number, grid: number, rfUnits: number, noiseSize: number, seed: number, baseRateHz: number): PlacedUnit[] {
  const rng = new Rng(seed ^ 0x0417)
  const used = new Set<number>()
  const units: PlacedUnit[] = []
  for (let u = 0; u < nUnits; u++) {
    let row = 0
    let col = 0
    for (let attempt = 0; attempt < 10_000; attempt++) {
      row = rng.int(4, grid - 3)
      col = rng.int(4, grid - 3)
      if (Math.abs(row - col) >= 4 && (!used.has(row * 1000 + col) || attempt > 5000)) break
    }
    used.add(row * 1000 + col)
    const hasRf = u < rfUnits
    units.push({
      unitNum: u + 1,
      row,
      col,
      sensorId: grid * (col - 1) + row,
      amplitude: 120 + rng.int(0, 150),
      onCell: u % 2 === 0,
      baseRateHz: baseRateHz * (0.75 + 0.5 * rng.next()),
      rfCentre: hasRf ? { x: rng.int(2, noiseSize - 2), y: rng.int(2, noiseSize - 2) } : null,
    })
  }
  return units
}

function patchWhiteFraction(movie: NonNullable<Timeline['noiseMovie']>, frame: number, cx: number, cy: number): number {
  const s = movie.size
  const off = frame * s * s
  let white = 0
  for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (movie.data[off + (cy + dy) * s + (cx + dx)] > 0) white++
  return white / 9
}

/** Instantaneous rate (Hz) of a unit at sample s under the model in the header comment. */
export function unitRate(t: Timeline, movies: SynthMovie[], u: PlacedUnit, s: number): number {
  const f = frameAt(t, s)
  if (f >= 0 && t.frameMovie[f] >= 0 && movies[t.frameMovie[f]].kind === 'noise' && u.rfCentre && t.noiseMovie) {
    const c = t.frameContent[f] - RF_LAG_FRAMES
    if (c >= 0) {
      const p = patchWhiteFraction(t.noiseMovie, c, u.rfCentre.x, u.rfCentre.y)
      return RF_RATE_HZ * p * p + 0.5
    }
  }
  const bright = (f >= 0 && t.frameIntensity[f] >= 200) || inAnalogStep(t, s)
  return u.onCell && bright ? 4 * u.baseRateHz : u.baseRateHz
}

/** Spike trains by thinning a Poisson process at the unit's maximum rate, plus IncludePeak = 0 peaks. */
export function generateSpikes(
  t: Timeline,
  movies: SynthMovie[],
  u: PlacedUnit,
  excludedFraction: number,
  seed: number,
): { peakSamples: Float64Array; include: Uint8Array } {
  const rng = new Rng(seed ^ (u.unitNum * 7919))
  const lambdaMax = Math.max(4 * u.baseRateHz, RF_RATE_HZ + 0.5)
  const refractory = Math.round(REFRACTORY_S * t.rate)
  const included: number[] = []
  let time = 0
  let last = -Infinity
  for (;;) {
    time += rng.exponential(lambdaMax)
    const s = Math.round(time * t.rate)
    if (s >= t.nSamples) break
    if (s - last < refractory) continue
    if (rng.next() * lambdaMax < unitRate(t, movies, u, s)) {
      included.push(s)
      last = s
    }
  }
  const nExcl = Math.round(excludedFraction * included.length)
  const excluded: number[] = []
  for (let i = 0; i < nExcl; i++) excluded.push(rng.int(0, t.nSamples))
  const all = included.map((s) => [s, 1]).concat(excluded.map((s) => [s, 0]))
  all.sort((a, b) => a[0] - b[0] || b[1] - a[1])
  return { peakSamples: Float64Array.from(all, (x) => x[0]), include: Uint8Array.from(all, (x) => x[1]) }
}

// ---------- footprints and cutouts ----------

export const FOOTPRINT_PRE = 5
export const FOOTPRINT_POST = 15
export const FOOTPRINT_RADIUS = 3

/** Time course of a spike (k samples from the trough; −1 at k = 0 before the small rebound term). */
export function spikeTimeCourse(k: number): number {
  return -Math.exp(-(k * k) / (2 * 1.2 * 1.2)) + 0.3 * Math.exp(-((k - 5) * (k - 5)) / (2 * 3 * 3))
}

/** Spatial decay of the footprint with electrode distance d. */
export function spatialWeight(dRow: number, dCol: number): number {
  return Math.exp(-Math.sqrt(dRow * dRow + dCol * dCol) / 1.2)
}
