// Small synthetic recordings for the MCS reader and load_recording tests, generated into a temp folder.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type GeneratedRecording, type GeneratorOptions, generateRecording } from '../../src-worker/synthetic/generator'
import type { SynthMovie } from '../../src-worker/synthetic/syntheticModel'

export const SMALL_PLAYLIST: SynthMovie[] = [
  { name: 'movie_gray', frames: 20, kind: 'baseline' },
  { name: 'movie_step', frames: 60, kind: 'step', step: { startFrame: 0, trialFrames: 30, repeat: 2 } },
]

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** 16 s of analog data with a two-movie playlist and one analog step, 0.5 s of sensor data, 6 units. */
export function smallRecording(dir: string, overrides: Partial<GeneratorOptions> = {}): Promise<GeneratedRecording> {
  return generateRecording({
    dir,
    stem: 'small_rec',
    seed: 11,
    analogDurationS: 16,
    sensorDurationS: 0.5,
    nUnits: 6,
    rfUnits: 0,
    baseRateHz: 20,
    cutoutLength: 16,
    playlist: SMALL_PLAYLIST,
    analogSteps: { count: 1, durationS: 1, firstDelayS: 0.5, intervalS: 2 },
    ...overrides,
  })
}
