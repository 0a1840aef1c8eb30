// Concurrency limits for the runner: a counting semaphore, and a view of the worker pool that lets
// one recording have at most N tasks in flight.

import type { TaskPool } from '../pool/taskPool'
import { CancelledError } from '../../src-shared/errors'

export class Semaphore {
  private waiting: { resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort?: () => void }[] = []
  private used = 0

  constructor(private capacity: number) {}

  get inUse(): number {
    return this.used
  }

  setCapacity(n: number): void {
    this.capacity = Math.max(1, n)
    this.pump()
  }

  /** Resolves when a slot is free; rejects with CancelledError when `signal` aborts while waiting. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new CancelledError())
    if (this.used < this.capacity && this.waiting.length === 0) {
      this.used++
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      const entry: (typeof this.waiting)[number] = { resolve, reject, signal }
      if (signal) {
        entry.onAbort = () => {
          this.waiting = this.waiting.filter((w) => w !== entry)
          reject(new CancelledError())
        }
        signal.addEventListener('abort', entry.onAbort, { once: true })
      }
      this.waiting.push(entry)
    })
  }

  release(): void {
    this.used--
    this.pump()
  }

  private pump(): void {
    while (this.used < this.capacity && this.waiting.length > 0) {
      const next = this.waiting.shift()!
      if (next.signal && next.onAbort) next.signal.removeEventListener('abort', next.onAbort)
      this.used++
      next.resolve()
    }
  }
}

/** The shared pool as one recording sees it: at most `limit` of its tasks run at once. */
export function limitedPool(pool: TaskPool, limit: number): TaskPool {
  const slots = new Semaphore(limit)
  return {
    threads: Math.min(pool.threads, limit),
    async run(task, args, options) {
      await slots.acquire(options?.signal)
      try {
        return await pool.run(task, args, options)
      } finally {
        slots.release()
      }
    },
    // The shared pool outlives each recording; its owner destroys it.
    async destroy() {},
  }
}
