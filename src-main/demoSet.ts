// The built-in demo recording: a synthetic .cmcr/.cmtr pair (generator in src-worker/synthetic) laid out
// by the demo playlist in resources/demo/, generated once into a folder and reused afterwards. The
// generator writes HDF5, so it runs in a pool worker (task syntheticRecording), never on the main thread.
// resources/demo/README.md describes the recording and the parameters to use.

import { existsSync } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { assertOnlyOwnFiles, recordWholeFolder, removeOwnFolder } from './demoManifest'
import { join } from 'node:path'
import type { GeneratorOptions } from '../src-worker/synthetic/generator'
import type { SynthMovie } from '../src-worker/synthetic/syntheticModel'
import type { TaskError } from '../src-worker/tasks/taskError'
import type { SyntheticWritten } from '../src-worker/tasks/syntheticTasks'
import { type TaskPool, createTaskPool } from './pool/taskPool'
import { resourcePath } from './resources'

export const DEMO_STEM = 'synthetic_demo'
export const DEMO_PLAYLIST = 'demo_playlist'
export const DEMO_NOISE_MOVIE = 'dense_noise_15x15_demo'
export const DEMO_ANALOG_MOVIE = 'iprgc_test'
export const DEMO_SEED = 20261124

/** The movies of demo_playlist, matching resources/demo/movie_length.csv and the demo configs. */
export const DEMO_MOVIES: SynthMovie[] = [
  { name: 'baseline_127', frames: 300, kind: 'baseline' },
  { name: 'step_up_5s_5i_b0_3x', frames: 2100, kind: 'step', step: { startFrame: 240, trialFrames: 600, repeat: 3 } },
  { name: DEMO_NOISE_MOVIE, frames: 3600, kind: 'noise' },
]

/** Length of the analog recording: the video (~117 s), then two analog trials of plot_duration 10 s. */
export const DEMO_ANALOG_DURATION_S = 145

/** Two 5-s light steps after the video, 12 s apart: use plot_duration 10 s. */
export const DEMO_ANALOG_STEPS = { count: 2, durationS: 5, firstDelayS: 2, intervalS: 12 }

export interface DemoRecording {
  cmcrPath: string
  cmtrPath: string
  truthPath: string
  /** Folder holding the noise movie <noiseMovie>.npy. */
  stimulusDir: string
  playlistFile: string
  movieLengthFile: string
  stimulusConfigDir: string
  playlistName: string
  noiseMovie: string
  analogMovie: string
  /** Parameters per step id that make the Quick Start work on this recording. */
  recommendedParams: Record<string, Record<string, unknown>>
}

export interface DemoOptions {
  /** Regenerate even if the files exist. */
  force?: boolean
  /** The pool to generate in; default a one-thread pool of its own, ended afterwards. */
  pool?: TaskPool
}

function describe(dir: string): DemoRecording {
  const recDir = join(dir)
  const cmcrPath = join(recDir, `${DEMO_STEM}.cmcr`)
  const cmtrPath = join(recDir, `${DEMO_STEM}-.cmtr`)
  const stimulusDir = join(recDir, 'stimuli')
  const playlistFile = resourcePath('demo', 'playlist.csv')
  const movieLengthFile = resourcePath('demo', 'movie_length.csv')
  const stimulusConfigDir = resourcePath('demo', 'stimuli')
  return {
    cmcrPath,
    cmtrPath,
    truthPath: join(recDir, `${DEMO_STEM}.truth.json`),
    stimulusDir,
    playlistFile,
    movieLengthFile,
    stimulusConfigDir,
    playlistName: DEMO_PLAYLIST,
    noiseMovie: DEMO_NOISE_MOVIE,
    analogMovie: DEMO_ANALOG_MOVIE,
    recommendedParams: {
      load_recording: { cmcr_path: cmcrPath, cmtr_path: cmtrPath },
      load_recording_with_eimage_sta: { cmcr_path: cmcrPath, cmtr_path: cmtrPath, duration_s: 2 },
      add_section_time: { playlist_name: DEMO_PLAYLIST, playlist_file: playlistFile, movie_length_file: movieLengthFile, repeats: 1 },
      add_section_time_analog: { threshold_value: 1e5, movie_name: DEMO_ANALOG_MOVIE, plot_duration: 10 },
      section_spike_times: { stimulus_config_dir: stimulusConfigDir },
      compute_sta: { stimulus_dir: stimulusDir, movie_name: DEMO_NOISE_MOVIE, cover_range: [-60, 0] },
    },
  }
}

function complete(d: DemoRecording): boolean {
  return [d.cmcrPath, d.cmtrPath, d.truthPath, join(d.stimulusDir, `${DEMO_NOISE_MOVIE}.npy`)].every((p) => existsSync(p))
}

async function generateInPool(options: GeneratorOptions, pool: TaskPool | undefined): Promise<void> {
  const own = pool ? null : createTaskPool({ threads: 1 })
  try {
    const result = await (pool ?? own!).run<SyntheticWritten | TaskError>('syntheticRecording', options)
    if ('error' in result) {
      const e = result.error
      throw Object.assign(new Error(`Generating the demo recording in ${options.dir} failed: ${e.message}`), { code: e.code, path: e.path ?? options.dir })
    }
  } finally {
    await own?.destroy()
  }
}

/**
 * The demo recording in `dir`, generated (about 2 s, ~370 MB) only if absent. Generation goes to a
 * temporary folder that is renamed into place, so an interrupted run never leaves a half set. An
 * incomplete earlier set is replaced only when every file in `dir` is one the demo wrote (its
 * manifest, see demoManifest.ts); a foreign file is an error naming it, and nothing is removed.
 */
export async function ensureDemoRecording(dir: string, opts: DemoOptions = {}): Promise<DemoRecording> {
  const demo = describe(dir)
  if (!opts.force && complete(demo)) return demo
  // Refuse before generating anything when a file that is not the demo's is in the way.
  await assertOnlyOwnFiles(dir, 'the demo recording')
  const parent = join(dir, '..')
  await mkdir(parent, { recursive: true })
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`
  try {
    await generateInPool(
      {
        dir: tmp,
        stem: DEMO_STEM,
        seed: DEMO_SEED,
        analogDurationS: DEMO_ANALOG_DURATION_S,
        sensorDurationS: 2,
        nUnits: 12,
        rfUnits: 6,
        playlist: DEMO_MOVIES,
        analogSteps: DEMO_ANALOG_STEPS,
        stimulusDir: join(tmp, 'stimuli'),
      },
      opts.pool,
    )
    await recordWholeFolder(tmp)
    // Only the demo's own earlier files are removed; anything else in `dir` stops us, untouched.
    await removeOwnFolder(dir, 'the demo recording')
    await rename(tmp, dir)
  } catch (err) {
    await rm(tmp, { recursive: true, force: true })
    // another process may have finished the same demo meanwhile
    if (complete(demo)) return demo
    throw err
  }
  return demo
}
