// Where the stimulus-alignment steps find their inputs in a session, and the marker that tells analog
// section times (add_section_time_analog) from playlist ones (add_section_time).

import type { PipelineSession } from '../session/session'
import { asFloat64, asNumber, asString, getGroup, getNode } from '../../src-shared/tree'

/** Frame timestamps (samples): metadata/frame_timestamps, else stimulus/frame_times/default. */
export function sessionFrameTimestamps(session: PipelineSession): Float64Array | undefined {
  for (const [root, path] of [
    [session.metadata, 'frame_timestamps'],
    [session.stimulus, 'frame_times/default'],
  ] as const) {
    const ts = asFloat64(getNode(root, path))
    if (ts && ts.length > 0) return ts
  }
  return undefined
}

export function sessionAcquisitionRate(session: PipelineSession): number | undefined {
  const rate = asNumber(getNode(session.metadata, 'acquisition_rate'))
  return rate !== undefined && Number.isFinite(rate) && rate > 0 ? rate : undefined
}

/** The light channel used for templates and analog onsets (stimulus/light_reference/raw_ch1). */
export function sessionLightChannel(session: PipelineSession): ArrayLike<number> | undefined {
  const node = getNode(session.stimulus, 'light_reference/raw_ch1')
  return node?.kind === 'numeric' && node.data.length > 0 ? node.data : undefined
}

/** The metadata key (and root attribute name in Python immediate archives) describing an analog movie. */
export function analogMarkerKey(movie: string): string {
  return `section_time_analog_${movie}`
}

/**
 * True when the movie's section_time came from add_section_time_analog (sample rows, no stimulus
 * config): our metadata marker, the root attribute of a Python immediate archive, or a Python session
 * that recorded its analog sectioning step (`section_spike_times_analog:<movie>`).
 */
export function isAnalogMovie(session: PipelineSession, movie: string): boolean {
  const key = analogMarkerKey(movie)
  return (
    session.metadata.children.has(key) ||
    session.extraRootAttrs.has(key) ||
    session.completedSteps.has(`section_spike_times_analog:${movie}`)
  )
}

/** The movies in stimulus/section_time, in listing order. */
export function sectionTimeMovies(session: PipelineSession): string[] {
  const g = getGroup(session.stimulus, 'section_time')
  return g ? [...g.children.keys()] : []
}

/** Metadata key of the pre-margin frames add_section_time used (section_spike_times counts from it). */
export const PRE_MARGIN_METADATA_KEY = 'section_time_pre_margin_frame_num'

/** The analog parameters recorded for a movie, parsed, or undefined. */
export function analogMarker(session: PipelineSession, movie: string): Record<string, unknown> | undefined {
  const key = analogMarkerKey(movie)
  const text = asString(session.metadata.children.get(key)) ?? asString(session.extraRootAttrs.get(key))
  if (text === undefined) return undefined
  try {
    const v = JSON.parse(text) as unknown
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}
