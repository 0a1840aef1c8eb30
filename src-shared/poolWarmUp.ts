// The shared flags of one warm-up of the worker pool, between the pool (src-main/pool/taskPool.ts) and
// its threads (src-worker/tasks/warmUpTasks.ts): two Int32s over a SharedArrayBuffer.

/** How many warm-up tasks have arrived at the barrier. */
export const ARRIVED = 0
/** 1 once a real task waits: the warm-up skips what is left and lets go of its thread at once. */
export const HURRY = 1

/** A real task was asked for during the warm-up: raise the hurry flag and release the barrier. */
export function hurryWarmUp(flags: Int32Array, expected: number): void {
  if (Atomics.exchange(flags, HURRY, 1) === 1) return
  Atomics.add(flags, ARRIVED, expected)
  Atomics.notify(flags, ARRIVED)
}
