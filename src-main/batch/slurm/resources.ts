// What one array task asks SLURM for, from the recipe (docs/cluster.md "Resources per task").
//
// CPUs: the workers one recording may use. Memory: the process baseline, each worker thread, and, when
// the recipe has the electrical-image loader, that step's bound from its memory model
// (docs/eimage.md "Memory bound"): two slabs plus the HDF5 read buffer (3 x 64 MiB), the accumulators
// (units x window x 4225 electrodes x 8 B over all ranges), per range the regrouped input, carried and
// block forward rows (about 21 MB), and the float32 images kept in the session afterwards
// (units x window x 4225 x 4 B). Without eimage the steps hold the spike trains and the light
// reference, well inside the baseline. A quarter is added as margin.

import type { Recipe } from '../recipe'

export interface TaskResources {
  cpus: number
  memMB: number
  timeMin: number
}

const MB = 1024 * 1024
const ELECTRODES = 65 * 65
const SLAB_BYTES = 64 * MB
/** Node, h5wasm and the session's own data (measured RSS of a batch process without eimage: ~250 MB). */
const BASELINE_BYTES = 400 * MB
/** Each worker thread's own heap (docs/eimage.md: about 40-50 MB). */
const WORKER_BYTES = 60 * MB
/** Per electrode range: regrouped input, carried and block forward rows (docs/eimage.md table). */
const RANGE_STATE_BYTES = 21 * MB
/** Units assumed per recording when sizing memory (a well-sorted retina gives 100-400). */
export const DEFAULT_UNITS_ESTIMATE = 400
export const DEFAULT_TIME_MIN = 120

export function eimageWindowLength(recipe: Recipe): number | null {
  const step = recipe.steps.find((s) => s.step === 'load_recording_with_eimage_sta')
  if (!step) return null
  const range = step.params.window_range
  const [a, b] = Array.isArray(range) && range.length === 2 ? (range as number[]) : [-10, 40]
  return b - a
}

export function taskMemoryBytes(recipe: Recipe, workers: number, units = DEFAULT_UNITS_ESTIMATE): number {
  let bytes = BASELINE_BYTES + workers * WORKER_BYTES
  const L = eimageWindowLength(recipe)
  if (L !== null) {
    bytes += 3 * SLAB_BYTES + units * L * ELECTRODES * 8 + workers * RANGE_STATE_BYTES + units * L * ELECTRODES * 4
  }
  return bytes * 1.25
}

export function taskResources(recipe: Recipe, workers: number, overrides: Partial<TaskResources> & { units?: number } = {}): TaskResources {
  return {
    cpus: overrides.cpus ?? workers,
    memMB: overrides.memMB ?? Math.ceil(taskMemoryBytes(recipe, workers, overrides.units) / MB),
    timeMin: overrides.timeMin ?? DEFAULT_TIME_MIN,
  }
}
