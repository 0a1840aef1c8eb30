// CPU time of the calling thread, for the benchmark's per-phase breakdown. Wall time inside a thread
// counts the time other processes hold the core; on a shared machine that swamps the figure. Linux
// keeps each thread's run time in /proc/thread-self/schedstat (nanoseconds, brought up to date at
// every scheduler tick and switch, so short intervals are sampled rather than exact; sums over many
// intervals are right). Elsewhere the clock falls back to wall time and says so.

import { openSync, readSync } from 'node:fs'

export interface ThreadClock {
  /** Milliseconds: CPU time of this thread, or wall time when `cpu` is false. */
  now(): number
  cpu: boolean
}

let cached: ThreadClock | null = null

/** One clock per thread (module state is per worker thread). */
export function threadClock(): ThreadClock {
  if (cached) return cached
  try {
    const fd = openSync('/proc/thread-self/schedstat', 'r')
    const bytes = Buffer.alloc(64)
    const now = () => {
      const n = readSync(fd, bytes, 0, bytes.length, 0)
      return Number.parseInt(bytes.toString('latin1', 0, n), 10) / 1e6
    }
    if (!Number.isFinite(now())) throw new Error('unreadable')
    cached = { now, cpu: true }
  } catch {
    cached = { now: () => performance.now(), cpu: false }
  }
  return cached
}
