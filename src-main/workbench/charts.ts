// Chart data taken out of the session: plain, already reduced arrays the renderer only draws.
// Paths follow the session layout (docs/archive-format.md §1.10): stimulus/light_reference/<channel>,
// metadata/frame_timestamps (samples), stimulus/section_time/<movie> (N,2 samples),
// units/<u>/spike_times_sectioned/<movie>/{trials_spike_times/<i>, trials_start_end},
// units/<u>/firing_rate_10hz, units/<u>/features/{sta_<movie>, eimage_sta}/data.

import type {
  ChipMapData,
  CubeData,
  FootprintData,
  FiringRateData,
  LightReferenceData,
  RasterData,
  SectionBound,
  UnitRow,
  UnitTableData,
} from '../../src-shared/contract'
import { RequestError } from '../../src-shared/wire'
import type { PipelineSession } from '../session/session'
import { type GroupNode, type NumericNode, type TreeNode, asNumber, getGroup, getNode, numericChildren } from '../../src-shared/tree'
import { CHIP_COLS, CHIP_ROWS, eimageFootprint, placeUnits, robustRange, spikeDotSizes, staPeak } from './chipMap'
import { lowerBound, minMaxDecimate } from './decimate'

const MAX_FRAME_MARKERS = 2000
/** Percent of values left out at each end of a robust colour range. */
const ROBUST_TAIL = 0.1
/** Share of the strongest electrode an electrode's eimage peak must reach to count in the footprint. */
export const DEFAULT_FOOTPRINT_THRESHOLD = 0.1

function numericNode(node: TreeNode | undefined): NumericNode | undefined {
  return node?.kind === 'numeric' ? node : undefined
}

export function acquisitionRate(session: PipelineSession): number | null {
  const rate = asNumber(getNode(session.metadata, 'acquisition_rate'))
  return rate && rate > 0 ? rate : null
}

function requireRate(session: PipelineSession): number {
  const rate = acquisitionRate(session)
  if (!rate) throw new RequestError('DATA', 'The session has no metadata/acquisition_rate; run a load step first')
  return rate
}

/** Sample rate of a light-reference channel from its name (raw_* at the acquisition rate, 10hz_*, 1khz_*). */
export function channelRate(channel: string, acquisition: number): number {
  if (channel.startsWith('10hz')) return 10
  if (channel.startsWith('1khz')) return 1000
  return acquisition
}

export function recordingDurationS(session: PipelineSession): number | null {
  for (const path of ['cmcr_meta/recording_duration_s', 'sys_meta/recording_duration_s', 'recording_duration_s']) {
    const d = asNumber(getNode(session.metadata, path))
    if (d !== undefined && d > 0) return d
  }
  const rate = acquisitionRate(session)
  const raw = numericNode(getNode(session.stimulus, 'light_reference/raw_ch1'))
  if (rate && raw && raw.data.length > 0) return raw.data.length / rate
  return null
}

function sectionMovies(session: PipelineSession): string[] {
  const sections = getGroup(session.stimulus, 'section_time')
  return sections ? [...sections.children].filter(([, n]) => n.kind === 'numeric').map(([movie]) => movie) : []
}

function sectionBounds(session: PipelineSession, rate: number): SectionBound[] {
  const sections = getGroup(session.stimulus, 'section_time')
  const out: SectionBound[] = []
  if (!sections) return out
  for (const [movie, node] of sections.children) {
    const n = numericNode(node)
    if (!n || n.shape.length !== 2 || n.shape[1] !== 2) continue
    for (let t = 0; t < n.shape[0]; t++) {
      out.push({ movie, trial: t, startS: Number(n.data[2 * t]) / rate, endS: Number(n.data[2 * t + 1]) / rate })
    }
  }
  return out
}

export function lightReferenceData(
  session: PipelineSession,
  params: { channel?: string; startS?: number; endS?: number; maxPoints?: number },
): LightReferenceData {
  const group = getGroup(session.stimulus, 'light_reference')
  const channels = group ? [...group.children].filter(([, v]) => v.kind === 'numeric').map(([k]) => k) : []
  if (channels.length === 0) {
    // Nothing to draw yet (no load step, or a .cmtr-only load): an empty answer, not an error.
    return { channels, channel: '', rateHz: 0, durationS: 0, t: [], y: [], frames: [], frameStride: 1, frameCount: 0, movies: [], sections: [], pointsInWindow: 0 }
  }
  const channel = params.channel ?? (channels.includes('raw_ch1') ? 'raw_ch1' : channels[0])
  const node = numericNode(group!.children.get(channel))
  if (!node) throw new RequestError('DATA', `Light reference channel '${channel}' not found (have ${channels.join(', ')})`)
  const acq = requireRate(session)
  const rate = channelRate(channel, acq)
  const durationS = node.data.length / rate
  const startS = Math.max(0, params.startS ?? 0)
  const endS = Math.min(durationS, params.endS ?? durationS)
  const maxPoints = Math.min(Math.max(100, params.maxPoints ?? 4000), 20000)
  const i0 = Math.floor(startS * rate)
  const i1 = Math.ceil(endS * rate)
  const dec = minMaxDecimate(node.data, i0, i1, maxPoints)

  const frameNode = numericNode(getNode(session.metadata, 'frame_timestamps'))
  let frames: number[] = []
  let frameStride = 1
  let frameCount = 0
  if (frameNode) {
    const f = frameNode.data
    const a = lowerBound(f, startS * acq)
    const b = lowerBound(f, endS * acq)
    frameCount = f.length
    frameStride = Math.max(1, Math.ceil((b - a) / MAX_FRAME_MARKERS))
    for (let i = a; i < b; i += frameStride) frames.push(Number(f[i]) / acq)
  }
  frames = frames.map(roundT)
  return {
    channels,
    channel,
    rateHz: rate,
    durationS,
    t: dec.index.map((i) => roundT(i / rate)),
    y: dec.value.map(round6),
    frames,
    frameStride,
    frameCount,
    movies: sectionMovies(session),
    sections: sectionBounds(session, acq).filter((s) => s.endS >= startS && s.startS <= endS),
    pointsInWindow: Math.max(0, Math.min(node.data.length, i1) - i0),
  }
}

function unitGroup(session: PipelineSession, unitId: string): GroupNode {
  const u = session.units.children.get(unitId)
  if (!u || u.kind !== 'group') throw new RequestError('DATA', `Unit ${unitId} not found in session ${session.datasetId}`)
  return u
}

export function unitTable(session: PipelineSession): UnitTableData {
  const durationS = recordingDurationS(session)
  const units: UnitRow[] = session.unitIds().map((id) => {
    const u = unitGroup(session, id)
    const spikes = numericNode(u.children.get('spike_times'))
    const spikeCount = spikes ? spikes.data.length : 0
    const snr = asNumber(getNode(u, 'unit_meta/snr')) ?? asNumber(u.attrs.get('snr'))
    const sta = firstStaNode(u)
    const peak = sta ? staPeak(sta.data) : null
    return {
      id,
      ...unitElectrode(u),
      spikeCount,
      rateHz: durationS ? round6(spikeCount / durationS) : null,
      snr: snr === undefined || !Number.isFinite(snr) ? null : round6(snr),
      staPeak: peak === null ? null : round6(peak),
    }
  })
  return { units, durationS }
}

function firstStaNode(u: GroupNode): NumericNode | undefined {
  const first = featureNames(u, (n) => n.startsWith('sta_')).sort()[0]
  return first ? numericNode(getNode(u, `features/${first}/data`)) : undefined
}

function unitElectrode(u: GroupNode): { row: number | null; col: number | null } {
  return {
    row: asNumber(u.attrs.get('row')) ?? asNumber(u.children.get('row')) ?? null,
    col: asNumber(u.attrs.get('col')) ?? asNumber(u.children.get('col')) ?? null,
  }
}

/** Every unit at its electrode of the 65 x 65 array, with the unit table's columns and a dot size by spikes. */
export function chipMapData(session: PipelineSession): ChipMapData {
  const { placed, unplaced } = placeUnits(unitTable(session).units, CHIP_ROWS, CHIP_COLS)
  return { rows: CHIP_ROWS, cols: CHIP_COLS, placed, sizes: spikeDotSizes(placed.map((u) => u.spikeCount)).map(round6), unplaced }
}

/** The electrodes the unit's electrical image reaches (empty when it has none). */
export function footprintData(session: PipelineSession, params: { unitId: string; threshold?: number }): FootprintData {
  const u = unitGroup(session, params.unitId)
  const threshold = params.threshold ?? DEFAULT_FOOTPRINT_THRESHOLD
  if (!(threshold > 0 && threshold <= 1)) throw new RequestError('VALIDATION', `The footprint threshold must be in (0, 1] (got ${threshold})`)
  const node = numericNode(getNode(u, 'features/eimage_sta/data'))
  if (!node || node.shape.length !== 3) return { unitId: params.unitId, rows: CHIP_ROWS, cols: CHIP_COLS, threshold, cells: [], peakRow: null, peakCol: null }
  const [frames, rows, cols] = node.shape
  const fp = eimageFootprint(node.data, frames, rows, cols, threshold)
  return {
    unitId: params.unitId,
    rows,
    cols,
    threshold,
    cells: fp.cells.map((c) => ({ ...c, rel: round6(c.rel) })),
    peakRow: fp.peakRow,
    peakCol: fp.peakCol,
  }
}

export function rasterData(session: PipelineSession, params: { unitId: string; movie?: string; binS?: number }): RasterData {
  const u = unitGroup(session, params.unitId)
  const binS = params.binS && params.binS > 0 ? params.binS : 0.05
  const sectioned = getGroup(u, 'spike_times_sectioned')
  const movies = sectioned ? [...sectioned.children].filter(([, v]) => v.kind === 'group').map(([k]) => k) : []
  const empty: RasterData = { unitId: params.unitId, movies, movie: null, binS, trialDurationS: 0, trials: [], psthEdgesS: [], psthRateHz: [] }
  if (movies.length === 0) return empty
  const movie = params.movie && movies.includes(params.movie) ? params.movie : movieWithMostTrials(sectioned!, movies)
  const g = sectioned!.children.get(movie) as GroupNode
  const rate = requireRate(session)
  const trialsGroup = getGroup(g, 'trials_spike_times')
  const bounds = numericNode(g.children.get('trials_start_end'))
  const trialNodes = trialsGroup ? numericChildren(trialsGroup) : []
  const trials: number[][] = []
  let duration = 0
  let earliest = 0
  for (const [i, node] of trialNodes) {
    const n = numericNode(node)
    const start = bounds && bounds.data.length >= 2 * (i + 1) ? Number(bounds.data[2 * i]) : n && n.data.length ? Number(n.data[0]) : 0
    const end = bounds && bounds.data.length >= 2 * (i + 1) ? Number(bounds.data[2 * i + 1]) : start
    duration = Math.max(duration, (end - start) / rate)
    const rel = n ? Array.from(n.data, (s) => (Number(s) - start) / rate) : []
    for (const r of rel) if (r < earliest) earliest = r
    trials.push(rel.map(roundT))
  }
  const lo = Math.floor(earliest / binS) * binS
  const hi = Math.max(duration, ...trials.map((t) => (t.length ? t[t.length - 1] : 0)))
  const nBins = Math.max(1, Math.ceil((hi - lo) / binS))
  const counts = new Float64Array(nBins)
  for (const t of trials) {
    for (const s of t) {
      const b = Math.min(nBins - 1, Math.floor((s - lo) / binS))
      if (b >= 0) counts[b]++
    }
  }
  const nTrials = Math.max(1, trials.length)
  return {
    unitId: params.unitId,
    movies,
    movie,
    binS,
    trialDurationS: roundT(duration),
    trials,
    psthEdgesS: Array.from({ length: nBins + 1 }, (_, i) => roundT(lo + i * binS)),
    psthRateHz: Array.from(counts, (c) => round6(c / (nTrials * binS))),
  }
}

/** The default movie of the raster: the one with the most trials (the first of those), where a PSTH means most. */
function movieWithMostTrials(sectioned: GroupNode, movies: string[]): string {
  let best = movies[0]
  let most = -1
  for (const m of movies) {
    const trials = getGroup(sectioned, `${m}/trials_spike_times`)
    const n = trials ? trials.children.size : 0
    if (n > most) {
      most = n
      best = m
    }
  }
  return best
}

export function firingRateData(session: PipelineSession, params: { unitId: string; maxPoints?: number }): FiringRateData {
  const u = unitGroup(session, params.unitId)
  const node = numericNode(u.children.get('firing_rate_10hz'))
  if (!node) return { unitId: params.unitId, t: [], rateHz: [] }
  const dec = minMaxDecimate(node.data, 0, node.data.length, Math.max(100, params.maxPoints ?? 4000))
  return { unitId: params.unitId, t: dec.index.map((i) => roundT(i * 0.1)), rateHz: dec.value.map(round6) }
}

function featureNames(u: GroupNode, accept: (name: string) => boolean): string[] {
  const features = getGroup(u, 'features')
  return features ? [...features.children.keys()].filter(accept) : []
}

/** A (F, R, C) or (R, C) array as frames of row-major values, rounded for display. */
export function cubeFromNode(
  node: NumericNode,
  unitId: string,
  feature: string,
  features: string[],
  firstOffset: number | null = null,
  electrode: { row: number | null; col: number | null } = { row: null, col: null },
): CubeData {
  const shape = node.shape.length === 2 ? [1, ...node.shape] : node.shape
  if (shape.length !== 3) {
    throw new RequestError('DATA', `Feature ${feature} of unit ${unitId} has shape (${node.shape.join(', ')}); a (frames, rows, cols) array was expected`)
  }
  const [frames, rows, cols] = shape
  const per = rows * cols
  const frameMin: number[] = []
  const frameMax: number[] = []
  let min = Infinity
  let max = -Infinity
  let sum = 0
  let count = 0
  for (let i = 0; i < node.data.length; i++) {
    const v = node.data[i]
    if (!Number.isFinite(v)) continue
    if (v < min) min = v
    if (v > max) max = v
    sum += v
    count++
  }
  const mean = count ? sum / count : 0
  const robust = robustRange(node.data, ROBUST_TAIL)
  const data: Array<Array<number | null>> = []
  let peakFrame = 0
  let peakDev = -1
  for (let f = 0; f < frames; f++) {
    const frame: Array<number | null> = new Array(per)
    let dev = 0
    let lo = Infinity
    let hi = -Infinity
    for (let i = 0; i < per; i++) {
      const v = node.data[f * per + i]
      if (Number.isFinite(v)) {
        frame[i] = round6(v)
        dev = Math.max(dev, Math.abs(v - mean))
        if (v < lo) lo = v
        if (v > hi) hi = v
      } else frame[i] = null
    }
    frameMin.push(lo <= hi ? round6(lo) : 0)
    frameMax.push(lo <= hi ? round6(hi) : 0)
    if (dev > peakDev) {
      peakDev = dev
      peakFrame = f
    }
    data.push(frame)
  }
  return {
    unitId,
    feature,
    features,
    frames,
    rows,
    cols,
    data,
    min: count ? min : 0,
    max: count ? max : 0,
    peakFrame,
    firstOffset,
    frameMin,
    frameMax,
    robustLo: round6(robust.lo),
    robustHi: round6(robust.hi),
    robustAbs: round6(robust.abs),
    unitRow: electrode.row,
    unitCol: electrode.col,
  }
}

function emptyCube(unitId: string, features: string[]): CubeData {
  return {
    unitId,
    feature: null,
    features,
    frames: 0,
    rows: 0,
    cols: 0,
    data: [],
    min: 0,
    max: 0,
    peakFrame: 0,
    firstOffset: null,
    frameMin: [],
    frameMax: [],
    robustLo: 0,
    robustHi: 0,
    robustAbs: 0,
    unitRow: null,
    unitCol: null,
  }
}

export function staData(session: PipelineSession, params: { unitId: string; feature?: string }): CubeData {
  const u = unitGroup(session, params.unitId)
  const features = featureNames(u, (n) => n.startsWith('sta_'))
  if (features.length === 0) return emptyCube(params.unitId, features)
  const feature = params.feature && features.includes(params.feature) ? params.feature : features[0]
  const node = numericNode(getNode(u, `features/${feature}/data`))
  if (!node) return emptyCube(params.unitId, features)
  const cover = numericNode(getNode(u, `features/${feature}/metadata/cover_range`))
  return cubeFromNode(node, params.unitId, feature, features, cover && cover.data.length >= 1 ? Number(cover.data[0]) : null)
}

export function eimageData(session: PipelineSession, params: { unitId: string }): CubeData {
  const u = unitGroup(session, params.unitId)
  const node = numericNode(getNode(u, 'features/eimage_sta/data'))
  if (!node) return emptyCube(params.unitId, [])
  const window = numericNode(getNode(u, 'features/eimage_sta/metadata/window_range'))
  const pre = asNumber(getNode(u, 'features/eimage_sta/metadata/pre_samples'))
  const first = window && window.data.length >= 1 ? Number(window.data[0]) : pre !== undefined ? -pre : null
  return cubeFromNode(node, params.unitId, 'eimage_sta', ['eimage_sta'], first, unitElectrode(u))
}

/** Six significant digits: plenty for a chart, and a third of the JSON of full doubles. */
function round6(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(6)) : v
}

/** Times to the microsecond (a sample at 20 kHz is 50 µs). */
function roundT(v: number): number {
  return Math.round(v * 1e6) / 1e6
}
