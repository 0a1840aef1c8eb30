// One CPU budget for the whole workbench: the wizard's steps and the batch queue borrow views of one
// worker pool, so a wizard job and a batch running together never start more threads than the budget
// (the Settings value "worker threads", 0 meaning all cores). A new budget takes effect as soon as no
// task is running: the pool is then replaced by one of the new size.

import { availableParallelism } from 'node:os'
import { type RunTaskOptions, type TaskPool, createTaskPool } from './taskPool'

/** Threads for a budget setting: 0 (or anything not a positive integer) means every core. */
export function threadsFor(setting: number, cores = availableParallelism()): number {
  return Number.isInteger(setting) && setting > 0 ? setting : Math.max(1, cores)
}

export class SharedTaskPool {
  private pool: TaskPool | null = null
  private inFlight = 0
  private closed = false

  constructor(
    /** The budget in threads, read at each task (it may change in Settings). */
    private readonly budget: () => number,
    private readonly create: (threads: number) => TaskPool = (threads) => createTaskPool({ threads }),
  ) {}

  /** Threads of the pool in use now (or of the next one), for display and tests. */
  get threads(): number {
    return this.pool?.threads ?? this.budget()
  }

  /** A view of the shared pool for one user (wizard, batch); its destroy() leaves the pool to its owner. */
  borrow(): TaskPool {
    const threads = () => this.threads
    const run = <T>(task: string, args: unknown, options?: RunTaskOptions) => this.run<T>(task, args, options)
    return {
      get threads() {
        return threads()
      },
      run,
      async destroy() {},
    }
  }

  async run<T>(task: string, args: unknown, options?: RunTaskOptions): Promise<T> {
    if (this.closed) throw new Error('The worker pool is closed')
    await this.resizeIfIdle()
    this.pool ??= this.create(this.budget())
    this.inFlight++
    try {
      return await this.pool.run<T>(task, args, options)
    } finally {
      this.inFlight--
    }
  }

  async destroy(): Promise<void> {
    this.closed = true
    const pool = this.pool
    this.pool = null
    await pool?.destroy()
  }

  private async resizeIfIdle(): Promise<void> {
    if (!this.pool || this.inFlight > 0 || this.pool.threads === this.budget()) return
    const old = this.pool
    this.pool = null
    await old.destroy()
  }
}
