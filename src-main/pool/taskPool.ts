// The worker pool that runs heavy tasks (slab reads, eimage STA, visual STA) off the main thread.
// Task functions are the named exports of src-worker/task.ts, built to out/main/task.js.

import { availableParallelism } from 'node:os'
import type { Transferable, Worker } from 'node:worker_threads'
import { Piscina } from 'piscina'
import { CancelledError } from '../../src-shared/errors'
import { findBuiltEntry } from '../../src-worker/builtEntry'
import { leaveBehind } from '../../src-worker/threadsLeftBehind'
import type { ThreadWarmth, WarmUpArgs } from '../../src-worker/tasks/warmUpTasks'
import { HURRY, hurryWarmUp } from '../../src-shared/poolWarmUp'
import { type WarmUpRecording, warmUpRecording } from './warmUpRecording'

export interface RunTaskOptions {
  signal?: AbortSignal
  transferList?: Transferable[]
}

export interface TaskPool {
  readonly threads: number
  run<T>(task: string, args: unknown, options?: RunTaskOptions): Promise<T>
  destroy(): Promise<void>
  /** Readies every thread before any step needs it (a pool that has no threads of its own may lack it). */
  warmUp?(): Promise<WarmUpReport>
}

/** What a warm-up found: one entry per thread that took a warm-up task. */
export interface WarmUpReport {
  threads: ThreadWarmth[]
  /** Why the threads could not load the warm-up recording, when they could not. */
  recordingProblem?: string
}

/** How long a warm-up task waits for the other threads' (a thread that cannot start must not hold the pool). */
const WARM_UP_WAIT_MS = 10_000

/** Where the built worker entry task.js is (beside this bundle, in app.asar.unpacked when packaged, or out/main from source). */
export function findTaskFile(): string {
  return findBuiltEntry('task.js', import.meta.dirname, process.env.HDMEA_TASK_FILE)
}

/**
 * A pool of `threads` worker threads, all started at once and kept for the pool's life: each thread
 * imports the task modules and starts h5wasm as it starts, so a step never waits for a thread an idle
 * timeout took away. warmUp() resolves once every thread has h5wasm initialised and has loaded the tiny
 * warm-up recording (warmUpRecording.ts) as load_recording would.
 */
export function createTaskPool(options: { threads?: number; filename?: string } = {}): TaskPool {
  const threads = Math.max(1, options.threads ?? availableParallelism())
  const piscina = new Piscina({
    filename: options.filename ?? findTaskFile(),
    minThreads: threads,
    maxThreads: threads,
  })
  /** The flags of the warm-up in progress: a real task raises its hurry flag (warmUpTasks.ts). */
  let warming: Int32Array | null = null
  // Piscina terminates the thread of an aborted task and starts another; the old one may be stuck in a
  // read from a hung share, so it is handed to threadsLeftBehind: the threads the pool had when the
  // signal aborted and no longer has. One listener per signal, however many tasks share it.
  const threadsAtAbort = new WeakMap<AbortSignal, Worker[]>()
  const watchAbort = (signal: AbortSignal) => {
    if (threadsAtAbort.has(signal) || signal.aborted) return
    threadsAtAbort.set(signal, [])
    signal.addEventListener('abort', () => threadsAtAbort.set(signal, [...piscina.threads]), { once: true })
  }
  const pool: TaskPool = {
    threads,
    async warmUp() {
      const flags = new Int32Array(new SharedArrayBuffer(8))
      warming = flags
      try {
        let recording: WarmUpRecording | undefined
        let recordingProblem: string | undefined
        try {
          recording = await warmUpRecording(pool)
        } catch (err) {
          recordingProblem = err instanceof Error ? err.message : String(err)
        }
        const args: WarmUpArgs = { arrived: flags, expected: threads, waitMs: WARM_UP_WAIT_MS, recording: Atomics.load(flags, HURRY) ? undefined : recording }
        const warmed = await Promise.all(Array.from({ length: threads }, () => piscina.run(args, { name: 'warmUp' }) as Promise<ThreadWarmth>))
        return { threads: warmed, ...(recordingProblem ? { recordingProblem } : {}) }
      } finally {
        if (warming === flags) warming = null
      }
    },
    async run<T>(task: string, args: unknown, opts: RunTaskOptions = {}): Promise<T> {
      if (warming && task !== 'syntheticRecording') hurryWarmUp(warming, threads)
      if (opts.signal) watchAbort(opts.signal)
      try {
        return (await piscina.run(args, { name: task, signal: opts.signal, transferList: opts.transferList as any })) as T
      } catch (err) {
        if (opts.signal?.aborted) {
          for (const w of threadsAtAbort.get(opts.signal) ?? []) if (!piscina.threads.includes(w)) leaveBehind(w)
          throw new CancelledError()
        }
        throw err
      }
    },
    async destroy() {
      await piscina.destroy()
    },
  }
  return pool
}
