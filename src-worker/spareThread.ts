// A worker thread started before it is needed, for code that starts one thread per job (the sensor
// reader of an electrical-image run). Booting a thread and importing an entry that carries h5wasm costs
// a few hundred ms (docs/architecture.md, start-up); a spare started while the user is still choosing
// files has paid that when the job takes it. A spare never did any work: a job that takes it gets a
// thread as fresh as a new one, with its imports done.

import { Worker } from 'node:worker_threads'

export class SpareThread {
  private spare: Worker | null = null

  /** `entry` finds the thread's script (it may throw: then no spare is started). */
  constructor(private readonly entry: () => string) {}

  /** Whether a spare is waiting (for tests and diagnostics). */
  get waiting(): boolean {
    return this.spare !== null
  }

  /** The waiting spare's thread id, or null. */
  get threadId(): number | null {
    return this.spare?.threadId ?? null
  }

  /**
   * Starts a spare if none waits. Fire and forget: a spare that cannot start, fails or exits is dropped
   * (take() then starts a thread as it would have), and a waiting spare never keeps the process alive.
   */
  prepare(): void {
    if (this.spare) return
    let worker: Worker
    try {
      worker = new Worker(this.entry())
    } catch {
      return
    }
    worker.unref()
    const drop = () => {
      if (this.spare === worker) this.spare = null
    }
    worker.on('error', drop)
    worker.once('exit', drop)
    this.spare = worker
  }

  /** The waiting spare (now kept alive like any thread), or a thread started now. */
  take(): Worker {
    const worker = this.spare
    this.spare = null
    if (!worker) return new Worker(this.entry())
    worker.ref()
    return worker
  }

  /** Ends a waiting spare (tests, shutdown). */
  async discard(): Promise<void> {
    const worker = this.spare
    this.spare = null
    await worker?.terminate()
  }
}
