// The worker pool's warm-up (src-main/pool/taskPool.ts): run once per thread when the pool starts, so the
// first step finds every thread booted, its task modules imported and h5wasm initialised. Each warm-up
// task holds its thread until all of them have arrived (a counter in shared memory), so that N tasks
// land on N different threads rather than a fast thread taking two.

import { threadId } from 'node:worker_threads'
import { h5wasmInitialised, h5wasmReady } from '../hdf5/h5wasmModule'

export interface WarmUpArgs {
  /** One Int32 over a SharedArrayBuffer: how many warm-up tasks have arrived. */
  arrived: Int32Array
  /** How many warm-up tasks there are (the pool's threads). */
  expected: number
  /** How long one thread waits for the others before it lets go anyway. */
  waitMs: number
}

export interface ThreadWarmth {
  threadId: number
  h5wasm: boolean
}

/** Atomics.waitAsync (Node 16+; its types come with lib ES2024, newer than this project's ES2023). */
type WaitAsync = (a: Int32Array, index: number, value: number, timeoutMs: number) => { async: false; value: string } | { async: true; value: Promise<string> }
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync

export async function warmUp(args: WarmUpArgs): Promise<ThreadWarmth> {
  await h5wasmReady()
  const { arrived, expected } = args
  if (Atomics.add(arrived, 0, 1) + 1 >= expected) Atomics.notify(arrived, 0)
  const deadline = performance.now() + args.waitMs
  for (let seen = Atomics.load(arrived, 0); seen < expected; seen = Atomics.load(arrived, 0)) {
    const left = deadline - performance.now()
    if (left <= 0) break
    const wait = waitAsync(arrived, 0, seen, left)
    if (wait.async) await wait.value
  }
  return workerWarmth()
}

/** This thread's id and whether its h5wasm is initialised (without initialising it). */
export function workerWarmth(): ThreadWarmth {
  return { threadId, h5wasm: h5wasmInitialised() }
}
