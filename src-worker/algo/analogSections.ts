// Analog section times (e.g. iprgc_test, shown outside the video): trial onsets are rising edges of
// the light channel, found as peaks of its derivative, and each trial lasts a fixed duration.

import { findPeaks } from '../dsp/findPeaks'
import { nanMeanTemplate, sliceOf } from './sectionTime'

export interface AnalogDetection {
  /** Minimum derivative (ADC units per sample) of an onset. */
  threshold: number
  /** First sample searched (the production step starts after the last video frame). */
  searchStart?: number
  /** Minimum distance between onsets in samples (0: none). */
  minDistance?: number
}

/**
 * Onsets: peaks of d[i] = raw[i+1] - raw[i] (float64) at or above the threshold, searched from
 * searchStart on, at least minDistance apart. An onset is the sample just before the step.
 */
export function detectAnalogOnsets(raw: ArrayLike<number>, detection: AnalogDetection): number[] {
  const start = Math.max(0, Math.trunc(detection.searchStart ?? 0))
  const n = raw.length - start - 1
  if (n < 3) return []
  const d = new Float64Array(n)
  for (let i = 0; i < n; i++) d[i] = raw[start + i + 1] - raw[start + i]
  const distance = Math.trunc(detection.minDistance ?? 0)
  const peaks = findPeaks(d, distance >= 1 ? { height: detection.threshold, distance } : { height: detection.threshold })
  return Array.from(peaks, (p) => p + start)
}

export interface AnalogSections {
  /** Row-major (N, 2) [onset, end] samples, end = min(onset + duration, len - 1). */
  rows: Float64Array
  /** float32 NaN-mean of raw[onset : min(onset + duration, len - 1)] over all detected onsets. */
  template: Float32Array
  /** All detected onsets (before the repeat limit). */
  onsets: number[]
  /** Rows whose end was clipped to the last sample. */
  truncated: number
}

/**
 * Section rows and template of an analog movie from its onsets. The template uses every onset; the
 * rows only the first `repeat` when repeat > 0.
 */
export function analogSectionsFromOnsets(
  raw: ArrayLike<number>,
  onsets: readonly number[],
  durationSamples: number,
  repeat?: number | null,
): AnalogSections {
  const maxSample = raw.length - 1
  const template = nanMeanTemplate(onsets.map((o) => sliceOf(raw, o, Math.max(o, Math.min(o + durationSamples, maxSample)))))
  const kept = repeat && repeat > 0 ? onsets.slice(0, repeat) : onsets
  const rows = new Float64Array(kept.length * 2)
  let truncated = 0
  kept.forEach((o, i) => {
    const end = o + durationSamples
    if (end > maxSample) truncated++
    rows[2 * i] = o
    rows[2 * i + 1] = Math.min(Math.max(end, 0), maxSample)
  })
  return { rows, template, onsets: [...onsets], truncated }
}
