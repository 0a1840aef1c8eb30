// compute_sta: the visual spike-triggered average of every unit over the dense-noise movie
// (docs/algorithms.md §3, docs/archive-format.md §7.4). Stored as features/sta_<movie>/{data, metadata}.

import { access } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { ConfigurationError, FileAccessError, throwIfAborted } from '../../src-shared/errors'
import type { PipelineSession } from '../session/session'
import { type GroupNode, asFloat64, f32, getGroup, getNode, i64, i64Scalar, str } from '../../src-shared/tree'
import { NpyFormatError, readNpyUint8 } from '../../src-worker/npy'
import { validateCoverRange } from '../../src-worker/algo/visualSta'
import type { VisualStaBatchArgs, VisualStaUnitResult } from '../../src-worker/tasks/staTasks'
import type { StepDefinition } from './framework'

export interface ComputeStaParams extends Record<string, unknown> {
  cover_range: [number, number]
  stimulus_dir: string | null
  movie_name: string | null
}

/** The noise movie among the section_time movies: exactly one name containing "noise" (any case). */
export function chooseNoiseMovie(movies: string[]): string {
  const noise = movies.filter((m) => m.toLowerCase().includes('noise'))
  if (noise.length === 1) return noise[0]
  if (noise.length === 0) {
    throw new ConfigurationError(
      `compute_sta: no movie whose name contains "noise" in stimulus/section_time (movies: ${movies.join(', ') || 'none'}); give movie_name`,
      { parameter: 'movie_name' },
    )
  }
  throw new ConfigurationError(
    `compute_sta: several noise movies in stimulus/section_time (${noise.join(', ')}); choose one with movie_name`,
    { parameter: 'movie_name' },
  )
}

/**
 * Trial 0 of a unit's sectioned spikes for a movie. Keys are strings in our trees and in archives
 * ("0", and possibly "00" from other writers), so the key is matched by its numeric value.
 */
export function firstTrialSpikes(unit: GroupNode, movie: string): Float64Array | undefined {
  const trials = getGroup(unit, `spike_times_sectioned/${movie}/trials_spike_times`)
  if (!trials) return undefined
  for (const [key, node] of trials.children) {
    if (/^\d+$/.test(key.trim()) && Number(key) === 0) return asFloat64(node)
  }
  return undefined
}

/** Where to look for <movie>.npy when no stimulus_dir is given: beside the recording, and its stimuli/ subfolder. */
export function defaultStimulusDirs(session: PipelineSession): string[] {
  const dirs: string[] = []
  for (const key of ['cmcr_path', 'cmtr_path']) {
    const p = session.sourceFiles.get(key)
    if (!p) continue
    const d = dirname(resolve(p))
    for (const candidate of [d, join(d, 'stimuli')]) if (!dirs.includes(candidate)) dirs.push(candidate)
  }
  return dirs
}

const exists = (path: string) => access(path).then(() => true, () => false)

async function resolveMoviePath(session: PipelineSession, stimulusDir: string | null, movie: string): Promise<string> {
  if (stimulusDir) return join(resolve(stimulusDir), `${movie}.npy`)
  const dirs = defaultStimulusDirs(session)
  for (const candidate of dirs.map((d) => join(d, `${movie}.npy`))) if (await exists(candidate)) return candidate
  throw new FileAccessError(
    'FILE_NOT_FOUND',
    `compute_sta: the stimulus movie ${movie}.npy was not found (looked in ${dirs.join(', ') || 'no folder: the session has no source files'}); set stimulus_dir`,
  )
}

async function loadMovie(path: string): Promise<{ movie: Uint8Array; shape: [number, number, number] }> {
  try {
    const arr = await readNpyUint8(path)
    if (arr.shape.length !== 3 || arr.shape.some((d) => d === 0)) {
      throw new FileAccessError('FILE_KIND', `${path}: the stimulus movie must be a non-empty (frames, height, width) array, got shape (${arr.shape.join(', ')})`, { path })
    }
    // One shared copy for every worker task: structured clone passes a SharedArrayBuffer by reference.
    const movie = new Uint8Array(new SharedArrayBuffer(arr.data.length))
    movie.set(arr.data)
    return { movie, shape: arr.shape as [number, number, number] }
  } catch (err) {
    if (err instanceof NpyFormatError) {
      const code = /file not found/.test(err.message) ? 'FILE_NOT_FOUND' : 'FILE_CORRUPT'
      throw new FileAccessError(code, `compute_sta: ${err.message}`, { path, cause: err })
    }
    throw err
  }
}

function sharedFloat64(values: Float64Array): Float64Array {
  const out = new Float64Array(new SharedArrayBuffer(values.byteLength))
  out.set(values)
  return out
}

export const computeStaStep: StepDefinition<ComputeStaParams> = {
  id: 'compute_sta',
  title: 'Visual STA',
  description:
    'Spike-triggered average of each unit over the dense-noise movie, from the spikes of its first trial; ' +
    'stored as features/sta_<movie>.',
  params: [
    {
      name: 'cover_range',
      label: 'Window (frames)',
      type: 'range',
      integer: true,
      default: [-60, 0],
      help: 'Frames relative to the spike frame, start inclusive, end exclusive: (-60, 0) is the 60 frames before the spike.',
    },
    {
      name: 'stimulus_dir',
      label: 'Stimulus folder',
      type: 'folder',
      default: null,
      optional: true,
      help: 'Folder holding <movie>.npy (uint8, frames x height x width). Empty: the recording folder, then its stimuli/ subfolder.',
    },
    {
      name: 'movie_name',
      label: 'Movie',
      type: 'string',
      default: null,
      optional: true,
      help: 'The movie in section_time to use. Empty: the one movie whose name contains "noise".',
    },
  ],
  prerequisites: [['section_spike_times']],
  validate(p) {
    try {
      validateCoverRange(p.cover_range)
    } catch (err) {
      throw new ConfigurationError(`compute_sta: ${(err as Error).message}`, { parameter: 'cover_range' })
    }
  },
  async run(session, params, ctx) {
    const sectionTime = getGroup(session.stimulus, 'section_time')
    const movies = sectionTime ? [...sectionTime.children.keys()] : []
    const movie = params.movie_name ?? chooseNoiseMovie(movies)
    const section = sectionTime && getNode(sectionTime, movie)
    if (!section || section.kind !== 'numeric' || section.data.length < 1) {
      throw new ConfigurationError(
        `compute_sta: movie '${movie}' has no section_time (movies: ${movies.join(', ') || 'none'})`,
        { parameter: 'movie_name' },
      )
    }
    const frameTimestamps = asFloat64(getNode(session.metadata, 'frame_timestamps'))
    if (!frameTimestamps || frameTimestamps.length === 0) {
      throw new ConfigurationError('compute_sta: the session has no metadata/frame_timestamps (run add_section_time first)')
    }
    const moviePath = await resolveMoviePath(session, params.stimulus_dir, movie)
    ctx.progress({ fraction: 0, message: `reading ${moviePath}` })
    const { movie: movieData, shape } = await loadMovie(moviePath)
    throwIfAborted(ctx.signal)

    const work: VisualStaBatchArgs['units'] = []
    const unsectioned: string[] = []
    for (const unitId of session.unitIds()) {
      const spikes = firstTrialSpikes(session.unit(unitId), movie)
      if (spikes) work.push({ unitId, spikeSamples: spikes }) // cloned (not moved) into the task
      else unsectioned.push(unitId)
    }
    if (unsectioned.length > 0) {
      ctx.warn(`${unsectioned.length} unit(s) have no sectioned spikes for ${movie} (trial 0) and got no STA: ${unsectioned.join(', ')}`)
    }

    const batchCount = Math.min(work.length, Math.max(ctx.pool.threads, ctx.pool.threads * 4))
    const batches: Array<VisualStaBatchArgs['units']> = Array.from({ length: batchCount }, () => [])
    work.forEach((w, i) => batches[i % batchCount].push(w))
    const shared = {
      movie: movieData,
      shape,
      frameTimestamps: sharedFloat64(frameTimestamps),
      sectionStartSample: Number(section.data[0]),
      coverRange: params.cover_range,
    }
    const results: VisualStaUnitResult[] = []
    let done = 0
    await Promise.all(
      batches.map(async (units) => {
        throwIfAborted(ctx.signal)
        const out = await ctx.pool.run<{ results: VisualStaUnitResult[] }>('visualStaBatch', { ...shared, units }, { signal: ctx.signal })
        results.push(...out.results)
        done += units.length
        ctx.progress({ fraction: done / work.length, message: `STA ${done}/${work.length} units` })
      }),
    )
    throwIfAborted(ctx.signal)

    for (const r of results) {
      if (r.nUsed === 0) ctx.warn(`${r.unitId}: no spike of trial 0 has a full STA window in ${movie} (${r.nExcluded} excluded); STA is NaN`)
    }
    const [a, b] = params.cover_range
    const featureName = `sta_${movie}`
    const dims = [b - a, shape[1], shape[2]]
    return {
      summary: `STA over ${movie} (${shape.join('x')}) for ${results.length} units, window [${a}, ${b}) frames`,
      apply(s) {
        for (const r of results) {
          s.addFeature(r.unitId, featureName, f32(r.sta, dims), {
            n_spikes_used: i64Scalar(r.nUsed),
            n_spikes_excluded: i64Scalar(r.nExcluded),
            cover_range: i64([a, b]),
            movie_name: str(movie),
          })
        }
      },
    }
  },
}
