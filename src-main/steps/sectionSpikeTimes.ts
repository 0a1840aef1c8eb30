// section_spike_times: every unit's spikes cut into the trials of every movie (docs/algorithms.md §2,
// docs/archive-format.md §7.3, §7.3c). Playlist movies take their trials from a stimulus config; analog movies
// (add_section_time_analog) use their section_time rows directly.

import { resolve } from 'node:path'
import { ConfigurationError, throwIfAborted } from '../../src-shared/errors'
import type { PipelineSession } from '../session/session'
import { type GroupNode, asFloat64, asNumber, f64, getGroup, getNode, group, i64, i64Scalar, str } from '../../src-shared/tree'
import { isoNow } from '../session/session'
import {
  SECTION_PRE_MARGIN_FRAMES,
  padMarginSamples,
  sectionUnitSpikes,
  trialBoundaries,
} from '../../src-worker/algo/spikeSectioning'
import { defaultStimulusConfigDirs, loadStimulusConfigs } from '../stimulus/stimulusConfig'
import {
  PRE_MARGIN_METADATA_KEY,
  isAnalogMovie,
  sectionTimeMovies,
  sessionAcquisitionRate,
  sessionFrameTimestamps,
} from '../stimulus/sessionStimulus'
import type { StepContext, StepDefinition } from './framework'

export interface SectionSpikeTimesParams extends Record<string, unknown> {
  pad_margin: [number, number]
  analog_pad_margin: [number, number]
  movie_names: string[] | null
  stimulus_config_dir: string[] | null
}

/** One movie's trials, ready to cut every unit's spikes with. */
export interface MovieTrials {
  movie: string
  analog: boolean
  /** Row-major (n, 2) trial bounds in samples, stored as trials_start_end. */
  bounds: Float64Array
  padMargin: [number, number]
  pre: number
  post: number
}

const nonNegativePair = (v: unknown) => ((v as number[]).some((x) => x < 0) ? 'must not be negative' : null)

/** The sectioned group of one unit and movie, in the session-archive layout. */
export function sectionedMovieGroup(spikes: ArrayLike<number>, t: MovieTrials, createdAt: string): GroupNode {
  const r = sectionUnitSpikes(spikes, t.bounds, t.pre, t.post, { clampStartAtZero: !t.analog })
  const trials = group()
  r.trials.forEach((arr, k) => trials.children.set(String(k), i64(arr)))
  const nTrials = t.bounds.length / 2
  return group({
    full_spike_times: i64(r.full),
    trials_spike_times: trials,
    trials_start_end: i64(t.bounds.slice(), [nTrials, 2]),
    _attrs: group({
      n_trials: i64Scalar(nTrials),
      pad_margin: f64(t.padMargin),
      pre_samples: i64Scalar(t.pre),
      post_samples: i64Scalar(t.post),
      created_at: str(createdAt),
    }),
  })
}

/** Trials of the requested movies; movies without a config are warned about and left out. */
async function planMovies(session: PipelineSession, params: SectionSpikeTimesParams, ctx: StepContext): Promise<MovieTrials[]> {
  const available = sectionTimeMovies(session)
  if (available.length === 0) {
    throw new ConfigurationError('section_spike_times: stimulus/section_time holds no movies (run add_section_time or add_section_time_analog)')
  }
  const explicit = params.movie_names !== null
  const movies = params.movie_names ?? available
  const unknown = movies.filter((m) => !available.includes(m))
  if (unknown.length > 0) {
    throw new ConfigurationError(
      `section_spike_times: ${unknown.join(', ')} not in stimulus/section_time (movies: ${available.join(', ')})`,
      { parameter: 'movie_names' },
    )
  }
  const rate = sessionAcquisitionRate(session)
  if (!rate) throw new ConfigurationError('section_spike_times: the session has no metadata/acquisition_rate')

  const rowsOf = (m: string) => getNode(session.stimulus, `section_time/${m}`)
  const usable = movies.filter((m) => {
    const node = rowsOf(m)
    if (node?.kind !== 'numeric' || node.data.length < 2) {
      ctx.warn(`movie '${m}' has an empty section_time; it was not sectioned`)
      return false
    }
    return true
  })
  const analog = usable.filter((m) => isAnalogMovie(session, m))
  const playlist = usable.filter((m) => !analog.includes(m))

  const plans: MovieTrials[] = []
  if (playlist.length > 0) {
    const ts = sessionFrameTimestamps(session)
    if (!ts) {
      throw new ConfigurationError(
        `section_spike_times: the session has no frame timestamps (metadata/frame_timestamps), needed for ${playlist.join(', ')}`,
      )
    }
    const dirs = params.stimulus_config_dir ? params.stimulus_config_dir.map((d) => resolve(d)) : await defaultStimulusConfigDirs()
    const { configs, missing } = await loadStimulusConfigs(playlist, dirs)
    if (missing.size > 0 && explicit) {
      throw new ConfigurationError(`section_spike_times: ${[...missing.values()].join('; ')}`, { parameter: 'stimulus_config_dir' })
    }
    for (const [m, why] of missing) ctx.warn(`movie '${m}' was not sectioned: ${why}`)
    const preMarginFrames = asNumber(session.metadata.children.get(PRE_MARGIN_METADATA_KEY)) ?? SECTION_PRE_MARGIN_FRAMES
    const pad = padMarginSamples(params.pad_margin, rate)
    for (const m of playlist) {
      const c = configs.get(m)
      if (!c) continue
      const firstStart = (rowsOf(m) as { data: ArrayLike<number> }).data[0]
      const bounds = trialBoundaries(firstStart, ts, c.config, preMarginFrames)
      plans.push({ movie: m, analog: false, bounds, padMargin: [params.pad_margin[0], params.pad_margin[1]], ...pad })
    }
  }
  const pad = padMarginSamples(params.analog_pad_margin, rate)
  for (const m of analog) {
    const node = rowsOf(m) as { data: ArrayLike<number> }
    const bounds = Float64Array.from(node.data)
    plans.push({ movie: m, analog: true, bounds, padMargin: [params.analog_pad_margin[0], params.analog_pad_margin[1]], ...pad })
  }
  return plans
}

export const sectionSpikeTimesStep: StepDefinition<SectionSpikeTimesParams> = {
  id: 'section_spike_times',
  title: 'Section spike times',
  description:
    "Cuts each unit's spikes into the trials of every movie (stimulus configs for playlist movies, the " +
    'section rows for analog ones) and stores them under spike_times_sectioned.',
  params: [
    {
      name: 'pad_margin',
      label: 'Pad margin (s)',
      type: 'range',
      default: [0, 0],
      check: nonNegativePair,
      help: 'Seconds added before and after every trial of a playlist movie.',
    },
    {
      name: 'analog_pad_margin',
      label: 'Analog pad margin (s)',
      type: 'range',
      default: [2, 0],
      check: nonNegativePair,
      help: 'Seconds added before and after every trial of an analog movie (add_section_time_analog).',
    },
    {
      name: 'movie_names',
      label: 'Movies',
      type: 'stringList',
      default: null,
      optional: true,
      help: 'Movies to section (comma separated). Empty: every movie in section_time; those without a config are skipped.',
    },
    {
      name: 'stimulus_config_dir',
      label: 'Config folders',
      type: 'stringList',
      default: null,
      optional: true,
      help: 'Folders searched in order for <movie>.json. Empty: resources/stimuli, then resources/demo/stimuli and resources/demo.',
    },
  ],
  prerequisites: [['add_section_time', 'add_section_time_analog']],
  async run(session, params, ctx) {
    const plans = await planMovies(session, params, ctx)
    if (plans.length === 0) {
      throw new ConfigurationError('section_spike_times: no movie could be sectioned (see the warnings above: configs missing)', {
        parameter: 'movie_names',
      })
    }
    const createdAt = isoNow()
    const unitIds = session.unitIds()
    const results = new Map<string, Map<string, GroupNode>>()
    const noSpikes: string[] = []
    const started = performance.now()
    let lastYield = started
    for (const [i, id] of unitIds.entries()) {
      const spikes = asFloat64(getNode(session.unit(id), 'spike_times'))
      if (!spikes) {
        noSpikes.push(id)
        continue
      }
      const perMovie = new Map<string, GroupNode>()
      for (const t of plans) perMovie.set(t.movie, sectionedMovieGroup(spikes, t, createdAt))
      results.set(id, perMovie)
      // Yield now and then so a cancel request and progress events get through.
      if (performance.now() - lastYield > 50) {
        ctx.progress({ fraction: (i + 1) / unitIds.length, message: `Sectioned ${i + 1} of ${unitIds.length} units` })
        await new Promise<void>((r) => setImmediate(r))
        throwIfAborted(ctx.signal)
        lastYield = performance.now()
      }
    }
    throwIfAborted(ctx.signal)
    if (noSpikes.length > 0) {
      ctx.warn(`${noSpikes.length} units have no spike_times dataset and were not sectioned (${noSpikes.slice(0, 10).join(', ')}${noSpikes.length > 10 ? ', ...' : ''})`)
    }
    const movies = plans.map((p) => p.movie)
    return {
      summary: `${results.size} units sectioned into ${plans.map((p) => `${p.movie} (${p.bounds.length / 2} trials)`).join(', ')}`,
      apply(s) {
        for (const [id, perMovie] of results) {
          const unit = s.unit(id)
          let sectioned = getGroup(unit, 'spike_times_sectioned')
          if (!sectioned) {
            sectioned = group()
            unit.children.set('spike_times_sectioned', sectioned)
          }
          for (const m of movies) sectioned.children.set(m, perMovie.get(m)!)
        }
        s.touch()
      },
    }
  },
}
