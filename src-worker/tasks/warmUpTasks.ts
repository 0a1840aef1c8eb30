// The worker pool's warm-up (src-main/pool/taskPool.ts): run once per thread when the pool starts, so the
// first step finds every thread booted, its task modules imported and h5wasm initialised. Each warm-up
// task holds its thread until all of them have arrived (a counter in shared memory), so that N tasks
// land on N different threads rather than a fast thread taking two. A real task asked for meanwhile
// comes first: the pool raises the hurry flag, and the warm-up skips what is left and lets go at once.

import { threadId } from 'node:worker_threads'
import { h5wasmInitialised, h5wasmReady } from '../hdf5/h5wasmModule'
import { loadLight, loadUnits, summariseCmcr, summariseCmtr } from '../mcs/recordingLoad'
import { ARRIVED, HURRY } from '../../src-shared/poolWarmUp'

export interface WarmUpArgs {
  /** Two Int32s over a SharedArrayBuffer: ARRIVED and HURRY (src-shared/poolWarmUp.ts). */
  arrived: Int32Array
  /** How many warm-up tasks there are (the pool's threads). */
  expected: number
  /** How long one thread waits for the others before it lets go anyway. */
  waitMs: number
  /**
   * A tiny recording every thread loads as load_recording would, so the readers' code and the HDF5
   * functions they call are compiled before the first real load (the first load of a file in a thread
   * otherwise runs much of it unoptimised or not yet compiled).
   */
  recording?: { cmcrPath: string; cmtrPath: string }
}

export interface ThreadWarmth {
  threadId: number
  h5wasm: boolean
  /** Whether this thread loaded the warm-up recording (false without one, or when that load failed). */
  readers?: boolean
}

/** Atomics.waitAsync (Node 16+; its types come with lib ES2024, newer than this project's ES2023). */
type WaitAsync = (a: Int32Array, index: number, value: number, timeoutMs: number) => { async: false; value: string } | { async: true; value: Promise<string> }
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync

export async function warmUp(args: WarmUpArgs): Promise<ThreadWarmth> {
  await h5wasmReady()
  const { arrived, expected } = args
  const readers = args.recording ? await loadOnce(args.recording, () => Atomics.load(arrived, HURRY) === 1) : false
  if (Atomics.add(arrived, ARRIVED, 1) + 1 >= expected) Atomics.notify(arrived, ARRIVED)
  const deadline = performance.now() + args.waitMs
  for (let seen = Atomics.load(arrived, ARRIVED); seen < expected; seen = Atomics.load(arrived, ARRIVED)) {
    const left = deadline - performance.now()
    if (left <= 0) break
    const wait = waitAsync(arrived, ARRIVED, seen, left)
    if (wait.async) await wait.value
  }
  return { ...workerWarmth(), readers }
}

/**
 * The warm-up recording read as load_recording reads a pair, stopping between reads when `hurry()`; false
 * when it stopped or failed (that only means a colder first load).
 */
async function loadOnce(rec: { cmcrPath: string; cmtrPath: string }, hurry: () => boolean): Promise<boolean> {
  try {
    if (hurry()) return false
    const cmcr = await summariseCmcr(rec.cmcrPath)
    if (hurry()) return false
    const cmtr = await summariseCmtr(rec.cmtrPath)
    if (hurry()) return false
    await loadLight(rec.cmcrPath, cmcr.samplingRate)
    if (hurry()) return false
    await loadUnits(rec.cmtrPath, cmtr.units, cmcr.samplingRate, cmcr.durationUs ?? null, { peaksData: true })
    return true
  } catch {
    return false
  }
}

/** This thread's id and whether its h5wasm is initialised (without initialising it). */
export function workerWarmth(): ThreadWarmth {
  return { threadId, h5wasm: h5wasmInitialised() }
}
