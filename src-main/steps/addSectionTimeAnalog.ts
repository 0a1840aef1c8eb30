// add_section_time_analog: section times of a stimulus shown outside the video (iprgc_test), found as
// rising edges of the light channel after the last video frame (docs/algorithms.md §1.5, production variant).

import { ConfigurationError, throwIfAborted } from '../../src-shared/errors'
import { f32, i64, setNode, str } from '../../src-shared/tree'
import { analogSectionsFromOnsets, detectAnalogOnsets } from '../../src-worker/algo/analogSections'
import {
  analogMarkerKey,
  isAnalogMovie,
  sectionTimeMovies,
  sessionAcquisitionRate,
  sessionFrameTimestamps,
  sessionLightChannel,
} from '../stimulus/sessionStimulus'
import type { StepDefinition } from './framework'

export interface AddSectionTimeAnalogParams extends Record<string, unknown> {
  threshold_value: number
  movie_name: string
  plot_duration: number
  repeat: number | null
  min_distance_fraction: number
}

export const addSectionTimeAnalogStep: StepDefinition<AddSectionTimeAnalogParams> = {
  id: 'add_section_time_analog',
  title: 'Section time (analog)',
  description:
    'Finds the trials of a stimulus shown outside the video (e.g. iprgc_test) as rising edges of the light ' +
    'channel after the last video frame; stores only that movie.',
  optional: true,
  params: [
    {
      name: 'threshold_value',
      label: 'Threshold',
      type: 'number',
      default: 1e5,
      min: 0,
      exclusiveMin: true,
      help: 'Minimum sample-to-sample rise of raw_ch1 (ADC units) that marks a trial onset.',
    },
    {
      name: 'movie_name',
      label: 'Movie',
      type: 'string',
      default: 'iprgc_test',
      help: 'Name stored in section_time for these trials.',
      check: (v) => (/[/\\]/.test(String(v)) ? 'must not contain / or \\' : null),
    },
    {
      name: 'plot_duration',
      label: 'Trial duration (s)',
      type: 'number',
      default: 120,
      min: 0,
      exclusiveMin: true,
      help: 'Length of every trial in seconds, from its onset.',
    },
    {
      name: 'repeat',
      label: 'Trials kept',
      type: 'integer',
      default: null,
      optional: true,
      min: 1,
      help: 'Keep only the first N onsets as trials (the template still uses all). Empty: all.',
    },
    {
      name: 'min_distance_fraction',
      label: 'Min onset spacing',
      type: 'number',
      default: 0.8,
      min: 0,
      max: 1,
      help: 'Onsets closer than this fraction of the trial duration to a higher one are ignored (0: no limit).',
    },
  ],
  prerequisites: [['load_recording', 'load_recording_with_eimage_sta']],
  async run(session, params, ctx) {
    const raw = sessionLightChannel(session)
    if (!raw) throw new ConfigurationError('add_section_time_analog: the session has no light reference (stimulus/light_reference/raw_ch1)')
    const rate = sessionAcquisitionRate(session)
    if (!rate) throw new ConfigurationError('add_section_time_analog: the session has no metadata/acquisition_rate')
    const movie = params.movie_name
    if (sectionTimeMovies(session).includes(movie) && !isAnalogMovie(session, movie)) {
      throw new ConfigurationError(
        `add_section_time_analog: '${movie}' is a playlist movie in section_time (from add_section_time); choose another movie_name`,
        { parameter: 'movie_name' },
      )
    }
    const ts = sessionFrameTimestamps(session)
    const searchStart = ts ? ts[ts.length - 1] : 0
    const durationSamples = Math.trunc(params.plot_duration * rate)
    const minDistance = Math.trunc(params.min_distance_fraction * params.plot_duration * rate)
    ctx.progress({ fraction: 0.1, message: `Finding ${movie} onsets after sample ${searchStart}` })
    throwIfAborted(ctx.signal)

    const onsets = detectAnalogOnsets(raw, { threshold: params.threshold_value, searchStart, minDistance })
    if (onsets.length === 0) {
      throw new ConfigurationError(
        `add_section_time_analog: no onset in stimulus/light_reference/raw_ch1 after sample ${searchStart} rises by >= ${params.threshold_value} per sample; lower threshold_value or check the light channel`,
        { parameter: 'threshold_value', code: 'DATA' },
      )
    }
    throwIfAborted(ctx.signal)
    const result = analogSectionsFromOnsets(raw, onsets, durationSamples, params.repeat)
    if (result.truncated > 0) {
      ctx.warn(`${result.truncated} of ${result.rows.length / 2} '${movie}' trials end after the recording; their end was clipped to the last sample`)
    }
    const nTrials = result.rows.length / 2
    const marker = JSON.stringify({
      threshold_value: params.threshold_value,
      plot_duration: params.plot_duration,
      n_trials: nTrials,
      repeat: params.repeat,
      min_distance_samples: minDistance,
      search_start: searchStart,
      n_onsets_detected: onsets.length,
    })
    return {
      summary: `${nTrials} '${movie}' trials at samples ${Array.from({ length: nTrials }, (_, i) => result.rows[2 * i]).join(', ')}`,
      apply(s) {
        setNode(s.stimulus, `section_time/${movie}`, i64(result.rows, [nTrials, 2]))
        setNode(s.stimulus, `light_template/${movie}`, f32(result.template))
        s.extraRootAttrs.delete(analogMarkerKey(movie))
        s.addMetadata({ [analogMarkerKey(movie)]: str(marker) })
      },
    }
  },
}
