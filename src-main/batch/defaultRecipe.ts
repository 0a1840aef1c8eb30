// The recipe a batch gets when none is given: the Quick Start steps with their defaults. Where a step
// needs stimulus files (playlist, movie lengths, stimulus configs), the values come from the bundled
// demo resources; the noise movie is found per recording (its folder, then its stimuli/ subfolder).

import { DEMO_NOISE_MOVIE, DEMO_PLAYLIST } from '../demoSet'
import { resourcePath } from '../resources'
import { ConfigurationError } from '../../src-shared/errors'
import type { StepDefinition } from '../steps/framework'
import { PER_RECORDING_PARAMS, RECIPE_FORMAT, RECIPE_VERSION, validateRecipe, type Recipe } from './recipe'

/** The Quick Start order; the first entry is the eimage loader when it is registered, else the plain loader. */
export const QUICK_START: readonly { step: string | string[]; params?: Record<string, unknown> }[] = [
  { step: ['load_recording_with_eimage_sta', 'load_recording'] },
  { step: 'add_section_time' },
  { step: 'section_spike_times' },
  { step: 'compute_sta' },
  { step: 'extract_features', params: { features: ['frif'] } },
]

/** The stimulus parameters of the bundled demo set (resources/demo), per step id. */
export function demoStimulusParams(): Record<string, Record<string, unknown>> {
  return {
    add_section_time: {
      playlist_name: DEMO_PLAYLIST,
      playlist_file: resourcePath('demo', 'playlist.csv'),
      movie_length_file: resourcePath('demo', 'movie_length.csv'),
    },
    section_spike_times: { stimulus_config_dir: [resourcePath('demo', 'stimuli')] },
    compute_sta: { movie_name: DEMO_NOISE_MOVIE },
  }
}

export function quickStartRecipe(
  steps: readonly StepDefinition<any>[],
  stimulusParams: Record<string, Record<string, unknown>> = demoStimulusParams(),
): Recipe {
  const known = new Map(steps.map((s) => [s.id, s]))
  const perRecording = new Set<string>(PER_RECORDING_PARAMS)
  const chosen = QUICK_START.map((entry) => {
    const ids = Array.isArray(entry.step) ? entry.step : [entry.step]
    const id = ids.find((s) => known.has(s))
    if (!id) throw new ConfigurationError(`The default recipe needs the step ${ids.join(' or ')}, which is not registered`)
    const def = known.get(id)!
    const params: Record<string, unknown> = { ...entry.params }
    // Only what this step declares, so a resource set written for another loader does not trip it.
    for (const [name, value] of Object.entries(stimulusParams[id] ?? {})) {
      if (!perRecording.has(name) && def.params.some((p) => p.name === name) && value !== undefined && value !== null) {
        params[name] = value
      }
    }
    return { step: id, params }
  })
  return validateRecipe(
    { format: RECIPE_FORMAT, version: RECIPE_VERSION, name: 'Quick Start (defaults)', steps: chosen, checkpoint: true },
    { steps, source: 'default recipe' },
  )
}
