// Which operating-system thread runs this code, for the benchmark's per-thread CPU breakdown: the
// benchmark reads each thread's CPU time from /proc/self/task/<tid>/schedstat after the run (while
// the threads sleep the figure is exact) and splits a worker's CPU time over the phases by their
// wall-time shares. Linux only; null elsewhere.

import { readFileSync, readlinkSync } from 'node:fs'

let cached: number | null | undefined

export function osThreadId(): number | null {
  if (cached === undefined) {
    try {
      // "<pid>/task/<tid>"
      const tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
      cached = Number.isInteger(tid) && tid > 0 ? tid : null
    } catch {
      cached = null
    }
  }
  return cached
}

/**
 * CPU milliseconds this thread has run so far (/proc/thread-self/schedstat), or null off Linux. A
 * thread that ends before the benchmark looks (the sensor reader) reports its own figure this way.
 */
export function threadCpuMs(): number | null {
  try {
    const ns = Number.parseInt(readFileSync('/proc/thread-self/schedstat', 'latin1'), 10)
    return Number.isFinite(ns) ? ns / 1e6 : null
  } catch {
    return null
  }
}
