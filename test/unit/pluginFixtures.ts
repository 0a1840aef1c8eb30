// Small plugin folders and sessions for the plugin tests, written into a temp folder per test file.

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PipelineSession } from '../../src-main/session/session'
import type { TaskPool } from '../../src-main/pool/taskPool'
import { f64Scalar, group, u64 } from '../../src-shared/tree'

/** The interpreter with h5py and numpy on the test machines (plain python3 may be a shim without them). */
export const PYTHON = '/usr/bin/python3'

// Plugin steps never reach the worker pool; a pool that refuses keeps that honest.
export const noPool: TaskPool = {
  threads: 1,
  run: async () => {
    throw new Error('no pool in this test')
  },
  destroy: async () => {},
}

export function writeJsPlugin(dir: string, name: string, source: string): string {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${name}.mjs`)
  writeFileSync(file, source)
  return file
}

export function writePythonPlugin(dir: string, name: string, manifest: unknown, script: string, scriptName = 'step.py'): string {
  const folder = join(dir, name)
  mkdirSync(folder, { recursive: true })
  writeFileSync(join(folder, 'step.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest, null, 2))
  writeFileSync(join(folder, scriptName), script)
  return folder
}

/** A loaded session: units with the given spike trains (sample indices), a rate and optionally a duration. */
export function sessionWith(trains: Record<string, number[]>, options: { rate?: number; durationS?: number | null } = {}): PipelineSession {
  const s = new PipelineSession({ datasetId: 'plugin_test' })
  for (const [id, t] of Object.entries(trains)) s.units.children.set(id, group({ spike_times: u64(t) }, { row: f64Scalar(3) }))
  const meta: Record<string, ReturnType<typeof group> | ReturnType<typeof f64Scalar>> = { acquisition_rate: f64Scalar(options.rate ?? 20_000) }
  if (options.durationS !== null) meta.sys_meta = group({ recording_duration_s: f64Scalar(options.durationS ?? 10) })
  s.addMetadata(meta)
  s.markStepComplete('load_recording')
  return s
}
