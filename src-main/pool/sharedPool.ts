// One CPU budget for the whole workbench: the wizard's steps and the batch queue borrow views of one
// worker pool, so a wizard job and a batch running together never start more threads than the budget
// (the Settings value "worker threads", 0 meaning all cores). A new budget takes effect as soon as no
// task is running: the pool is then replaced by one of the new size. warm() starts the pool (or its
// replacement) ahead of the first task, while the user is still picking files (docs/architecture.md).

import { availableParallelism } from 'node:os'
import { type RunTaskOptions, type TaskPool, type WarmUpReport, createTaskPool } from './taskPool'

/** Threads for a budget setting: 0 (or anything not a positive integer) means every core. */
export function threadsFor(setting: number, cores = availableParallelism()): number {
  return Number.isInteger(setting) && setting > 0 ? setting : Math.max(1, cores)
}

/** Why a warm-up ran: the start, a new budget, or the renewal of a pool that sat idle after work. */
export type WarmReason = 'start' | 'budget' | 'idle'
export type WarmOutcome = ({ report: WarmUpReport; seconds: number } | { error: unknown }) & { reason: WarmReason }

/**
 * How long a warm pool that has done work may sit idle before it is replaced by a fresh warm one: a
 * thread's WebAssembly memory grows to its largest HDF5 read and never shrinks, and kept threads would
 * otherwise hold that memory for the whole session.
 */
export const IDLE_RENEW_MS = 5 * 60_000

export class SharedTaskPool {
  private pool: TaskPool | null = null
  private inFlight = 0
  private closed = false
  /** The warm-up of the current pool, once started (a replaced pool's is dropped with it). */
  private warming: { pool: TaskPool; done: Promise<WarmUpReport | null> } | null = null
  /** Set by keepWarm(): who hears how each warm-up went. */
  private warmListener: ((outcome: WarmOutcome) => void) | null = null
  /** Whether the current pool ran a task since it was warmed (only such a pool is renewed when idle). */
  private usedSinceWarm = false
  private idleTimer: ReturnType<typeof setTimeout> | null = null

  constructor(
    /** The budget in threads, read at each task (it may change in Settings). */
    private readonly budget: () => number,
    private readonly create: (threads: number) => TaskPool = (threads) => createTaskPool({ threads }),
    private readonly idleRenewMs = IDLE_RENEW_MS,
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
    this.clearIdleTimer()
    await this.resizeIfIdle()
    this.pool ??= this.create(this.budget())
    this.inFlight++
    this.usedSinceWarm = true
    try {
      return await this.pool.run<T>(task, args, options)
    } finally {
      this.inFlight--
      this.rewarmIfResized()
      this.armIdleTimer()
    }
  }

  /**
   * Keeps the pool warm from now on: warms it at once (fire and forget) and warms each pool that replaces
   * it after a change of budget (call budgetChanged()). `listener` hears each outcome; nothing is thrown.
   */
  keepWarm(listener: (outcome: WarmOutcome) => void): void {
    this.warmListener = listener
    this.warmNow('start')
  }

  /** The budget setting changed: with keepWarm() on, an idle pool is replaced and the new one warmed now. */
  budgetChanged(): void {
    if (this.pool) this.rewarmIfResized()
    else this.warmNow('budget')
  }

  /** With keepWarm() on: once nothing runs, a pool of the wrong size is replaced and the new one warmed. */
  private rewarmIfResized(): void {
    if (this.inFlight === 0 && !this.closed && this.pool && this.pool.threads !== this.budget()) this.warmNow('budget')
  }

  private warmNow(reason: WarmReason): void {
    const listener = this.warmListener
    if (!listener || this.closed) return
    const t0 = performance.now()
    this.warm().then(
      (report) => report && listener({ report, seconds: (performance.now() - t0) / 1000, reason }),
      (error) => listener({ error, reason }),
    )
  }

  private armIdleTimer(): void {
    if (!this.warmListener || this.closed || this.inFlight > 0 || !this.usedSinceWarm) return
    this.clearIdleTimer()
    this.idleTimer = setTimeout(() => this.renewIdle(), this.idleRenewMs)
    this.idleTimer.unref?.() // never what keeps a process alive
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
  }

  /** Replaces a pool that did work and then sat idle by a fresh warm one (its memory back to the start's). */
  private renewIdle(): void {
    this.idleTimer = null
    if (this.closed || this.inFlight > 0 || !this.pool) return
    const old = this.pool
    this.pool = null
    this.warming = null
    this.usedSinceWarm = false
    old.destroy().catch(() => {})
    this.warmNow('idle')
  }

  /**
   * Starts the pool at the current budget (replacing an idle pool of another size) and readies every
   * thread. Resolves with what the warm-up found, or null when there is nothing to warm (closed, or a
   * pool without warm-up); rejects when the warm-up itself failed, which leaves the pool usable: a task
   * then starts what it needs as it would have without the warm-up. Never started twice for one pool.
   */
  async warm(): Promise<WarmUpReport | null> {
    if (this.closed) return null
    // A budget changed during a warm-up: let that finish (it counts as a running task), then resize.
    if (this.warming) await this.warming.done.catch(() => null)
    await this.resizeIfIdle()
    if (this.closed) return null
    const pool = (this.pool ??= this.create(this.budget()))
    if (this.warming?.pool !== pool) {
      this.usedSinceWarm = false
      this.warming = { pool, done: this.warmUp(pool) }
    }
    return this.warming.done
  }

  private async warmUp(pool: TaskPool): Promise<WarmUpReport | null> {
    if (!pool.warmUp) return null
    this.inFlight++
    try {
      return await pool.warmUp()
    } catch (err) {
      // Destroyed while warming (closed, or replaced): nothing went wrong with the pool in use.
      if (this.closed || this.pool !== pool) return null
      throw err
    } finally {
      this.inFlight--
      this.rewarmIfResized()
    }
  }

  async destroy(): Promise<void> {
    this.closed = true
    this.clearIdleTimer()
    const pool = this.pool
    this.pool = null
    await pool?.destroy()
  }

  private async resizeIfIdle(): Promise<void> {
    if (!this.pool || this.inFlight > 0 || this.pool.threads === this.budget()) return
    const old = this.pool
    this.pool = null
    this.warming = null
    await old.destroy()
  }
}
