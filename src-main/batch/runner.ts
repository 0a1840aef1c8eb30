// The batch queue: its items and their scheduling with bounded concurrency, the requests of the Batch
// view and the CLI, and the announcements (events) of every change. One attempt at an item is an
// ItemRun (itemRun.ts); persistence, logs, estimates and recovery live in their own modules.

import { EventEmitter } from 'node:events'
import { rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { TaskPool } from '../pool/taskPool'
import { CancelledError, ConfigurationError, describeError } from '../../src-shared/errors'
import { isoNow } from '../session/session'
import type { StepDefinition } from '../steps/framework'
import type { BatchInput } from './discovery'
import { StepTimes, itemEta, queueEta } from './eta'
import { ItemLogs } from './itemLog'
import { ItemRun } from './itemRun'
import { addInputs, finishItem, normalizeOptions, requeueItem, retryItem, startItem, type FinalState } from './itemState'
import { Semaphore, limitedPool } from './limits'
import { acquireQueueLock, releaseQueueLock } from './lock'
import { QueueWriter } from './queueWriter'
import { recoverAfterRestart } from './recovery'
import {
  DEFAULT_OPTIONS,
  QUEUE_FORMAT,
  QUEUE_VERSION,
  countStates,
  type BatchItem,
  type BatchOptions,
  type BatchSnapshot,
  type BatchSummary,
  type QueueFile,
} from '../../src-shared/batchModel'
import { recipeForQueue, sameRecipe, type Recipe } from './recipe'
import { batchDir, ensureBatchDirs, queuePath, readLog, readQueueFile, removeCheckpoint, removeStrayTemps } from './store'

export { HEAVY_STEPS } from './itemRun'

export interface BatchEvents {
  /** An item changed (state, progress, elapsed time). */
  item: [BatchItem]
  /** A line of an item's log. */
  log: [{ id: string; line: string }]
  /** Items were added or removed, options or the recipe changed, the runner started or stopped. */
  queue: [BatchSnapshot]
  /** The runner went through the queue (or was stopped). */
  idle: [BatchSummary]
  /** The queue file could not be written; the run continues, the message says where and why. */
  problem: [string]
}

export interface OpenBatchOptions {
  outputDir: string
  /** The registered steps (STEPS in the app). */
  steps: readonly StepDefinition<any>[]
  pool: TaskPool
  /** Required for a new queue; for a saved one it must match the saved recipe (or be omitted). */
  recipe?: Recipe
  options?: Partial<BatchOptions>
  /** Forget the saved queue and its checkpoints (finished archives stay and are skipped unless overwrite). */
  fresh?: boolean
}

export interface AddResult {
  added: BatchItem[]
  /** Inputs not added, each with the reason. */
  rejected: string[]
}

const PROGRESS_EMIT_MS = 200

export class BatchQueue extends EventEmitter<BatchEvents> {
  readonly outputDir: string
  private recipe: Recipe
  private options: BatchOptions
  private readonly items: BatchItem[]
  private readonly createdAt: string
  private readonly steps: Map<string, StepDefinition<any>>
  private readonly pool: TaskPool

  private loop: Promise<BatchSummary> | null = null
  private stopping = false
  private wake: (() => void) | null = null
  private readonly controllers = new Map<string, AbortController>()
  /** Items whose abort is a user's cancel (else an abort is a stop: the item goes back to the queue). */
  private readonly cancelRequested = new Set<string>()
  private readonly heavy = new Semaphore(1)
  private readonly stepTimes = new StepTimes()
  private readonly lastEmit = new Map<string, number>()
  private readonly logs: ItemLogs
  private readonly writer: QueueWriter
  private closed = false

  private constructor(file: QueueFile, steps: readonly StepDefinition<any>[], pool: TaskPool) {
    super()
    this.outputDir = file.outputDir
    this.recipe = file.recipe
    this.options = file.options
    this.items = file.items
    this.createdAt = file.createdAt
    this.steps = new Map(steps.map((s) => [s.id, s]))
    this.pool = pool
    this.logs = new ItemLogs(
      this.outputDir,
      (entry) => this.emit('log', entry),
      (message) => this.emit('problem', message),
    )
    this.writer = new QueueWriter(
      () => this.toFile(),
      (message) => this.emit('problem', message),
    )
  }

  /** Opens the batch of an output folder: resumes its saved queue, or starts a new one with `recipe`. */
  static async open(cfg: OpenBatchOptions): Promise<BatchQueue> {
    const outputDir = resolve(cfg.outputDir)
    await ensureBatchDirs(outputDir)
    await acquireQueueLock(outputDir)
    try {
      await removeStrayTemps(outputDir)
      if (cfg.fresh) {
        await rm(queuePath(outputDir), { force: true })
        await rm(join(batchDir(outputDir), 'checkpoints'), { recursive: true, force: true })
        await ensureBatchDirs(outputDir)
      }
      const saved = await readQueueFile(outputDir, cfg.steps)
      if (saved?.engine?.kind === 'slurm') {
        throw new ConfigurationError(
          `The batch in ${outputDir} is run by SLURM (job ${saved.engine.submissions.map((x) => x.jobId).join(', ') || 'not submitted yet'}). ` +
            `Watch it with \`batch --status\`, resubmit it with \`--engine slurm\`, or start a fresh local queue (--fresh; finished archives are kept and skipped).`,
          { path: queuePath(outputDir) },
        )
      }
      const recipe = recipeForQueue(saved?.recipe, cfg.recipe, outputDir, queuePath(outputDir), 'Resume')
      for (const s of recipe.steps) {
        if (!cfg.steps.some((d) => d.id === s.step)) throw new ConfigurationError(`Recipe step '${s.step}' is not a registered step`)
      }
      const now = isoNow()
      const file: QueueFile = {
        format: QUEUE_FORMAT,
        version: QUEUE_VERSION,
        outputDir,
        createdAt: saved?.createdAt || now,
        updatedAt: now,
        recipe,
        options: normalizeOptions({ ...DEFAULT_OPTIONS, ...saved?.options, ...cfg.options }),
        items: saved?.items ?? [],
      }
      const queue = new BatchQueue(file, cfg.steps, cfg.pool)
      await recoverAfterRestart(queue.items, outputDir, (item, text) => queue.log(item, text))
      await queue.persist()
      return queue
    } catch (err) {
      await releaseQueueLock(outputDir)
      throw err
    }
  }

  // ---------- reading ----------

  get isRunning(): boolean {
    return this.loop !== null
  }

  getRecipe(): Recipe {
    return this.recipe
  }

  getOptions(): BatchOptions {
    return { ...this.options }
  }

  getItems(): BatchItem[] {
    return this.items.map((i) => ({ ...i }))
  }

  snapshot(): BatchSnapshot {
    return {
      ...this.toFile(),
      running: this.isRunning,
      engineKind: 'local',
      readOnly: false,
      counts: countStates(this.items),
      etaS: queueEta(this.items, this.options.concurrency),
    }
  }

  summary(interrupted = false): BatchSummary {
    return {
      counts: countStates(this.items),
      items: this.items.map(({ id, state, elapsedS, error, note, outputPath }) => ({ id, state, elapsedS, error, note, outputPath })),
      interrupted,
    }
  }

  readLog(id: string): Promise<string> {
    this.find(id)
    return readLog(this.outputDir, id)
  }

  // ---------- changing the queue ----------

  /** Adds recordings; an id already in the queue is rejected (its output would collide). */
  async add(inputs: BatchInput[]): Promise<AddResult> {
    const { added, rejected } = addInputs(this.items, inputs, this.outputDir)
    await this.persist()
    this.emitQueue()
    this.wake?.()
    return { added: added.map((i) => ({ ...i })), rejected }
  }

  /** Takes a recording out of the queue (not while it runs); its archive, if any, stays. */
  async remove(id: string): Promise<void> {
    const item = this.find(id)
    if (item.state === 'running') throw new ConfigurationError(`${id} is running; cancel it before removing it`)
    this.items.splice(this.items.indexOf(item), 1)
    await removeCheckpoint(this.outputDir, id)
    await this.persist()
    this.emitQueue()
  }

  async setOptions(partial: Partial<BatchOptions>): Promise<BatchOptions> {
    this.options = normalizeOptions({ ...this.options, ...partial })
    await this.persist()
    this.emitQueue()
    this.wake?.()
    return this.getOptions()
  }

  /**
   * Replaces the recipe (not while running). Finished items stay as they are; unfinished ones lose
   * their checkpoints, which were made with the old recipe.
   */
  async setRecipe(recipe: Recipe): Promise<void> {
    if (this.isRunning) throw new ConfigurationError('The recipe cannot change while the batch runs; stop it first')
    if (!sameRecipe(recipe, this.recipe)) {
      for (const item of this.items) {
        if (item.state === 'done' || item.state === 'skipped') continue
        item.completedSteps = []
        await removeCheckpoint(this.outputDir, item.id)
      }
    }
    this.recipe = recipe
    await this.persist()
    this.emitQueue()
  }

  /** Puts a failed or cancelled item (or, with overwrite on, a done or skipped one) back in the queue. */
  async retry(id: string): Promise<void> {
    const item = this.find(id)
    const redo = item.state === 'done' || item.state === 'skipped'
    if (item.state === 'queued' || item.state === 'running') return
    if (redo && !this.options.overwrite) {
      throw new ConfigurationError(`${id} has an archive already (${item.outputPath}); turn on overwrite to process it again`)
    }
    retryItem(item)
    this.log(item, redo ? 'queued again (overwrite)' : 'queued again (retry)')
    await this.persist()
    this.emitItem(item, true)
    this.wake?.()
  }

  /** Retries every failed item. */
  async retryFailed(): Promise<number> {
    const failed = this.items.filter((i) => i.state === 'failed')
    for (const item of failed) {
      retryItem(item)
      this.log(item, 'queued again (retry)')
      this.emitItem(item, true)
    }
    await this.persist()
    this.wake?.()
    return failed.length
  }

  /** Cancels one item: a queued one at once, a running one at its next cancellation point. */
  async cancel(id: string): Promise<void> {
    const item = this.find(id)
    if (item.state === 'queued') {
      this.finish(item, 'cancelled', { note: 'cancelled before it started' })
      await this.persist()
    } else if (item.state === 'running') {
      this.cancelRequested.add(id)
      this.controllers.get(id)?.abort()
    }
  }

  async cancelAll(): Promise<void> {
    for (const item of this.items) {
      if (item.state === 'queued' || item.state === 'running') await this.cancel(item.id)
    }
  }

  // ---------- running ----------

  /** Works through the queued items; resolves when none is left or after stop(). */
  start(): Promise<BatchSummary> {
    if (this.closed) throw new ConfigurationError('This batch was closed')
    if (!this.loop) {
      this.stopping = false
      this.loop = this.runLoop().finally(() => {
        this.loop = null
        this.emitQueue()
      })
      this.emitQueue()
    }
    return this.loop
  }

  /**
   * Interrupts the run: running items stop at their next cancellation point and go back to the queue
   * (their checkpoints stay), nothing new starts. The queue on disk stays resumable.
   */
  async stop(): Promise<void> {
    if (!this.loop) return
    this.stopping = true
    for (const ctl of this.controllers.values()) ctl.abort()
    this.wake?.()
    await this.loop.catch(() => {})
  }

  /** Stops if running, writes the queue, and releases the folder for another runner. */
  async close(): Promise<void> {
    if (this.closed) return
    await this.stop()
    this.closed = true
    await this.persist()
    this.writer.stop()
    if (this.writer.failing) {
      this.emit('problem', `The last state of the batch could not be written to ${queuePath(this.outputDir)}; each recording's log has what happened`)
    }
    await this.logs.flush()
    await releaseQueueLock(this.outputDir)
  }

  private async runLoop(): Promise<BatchSummary> {
    const active = new Set<Promise<void>>()
    for (;;) {
      while (!this.stopping && active.size < this.options.concurrency) {
        const next = this.items.find((i) => i.state === 'queued')
        if (!next) break
        const run = this.processItem(next).finally(() => active.delete(run))
        active.add(run)
      }
      if (active.size === 0) break
      await Promise.race([...active, new Promise<void>((r) => (this.wake = r))])
      this.wake = null
    }
    await this.persist()
    const summary = this.summary(this.stopping)
    this.emit('idle', summary)
    return summary
  }

  private async processItem(item: BatchItem): Promise<void> {
    // Marked running before the first await, so the loop cannot pick it twice.
    const ctl = new AbortController()
    this.controllers.set(item.id, ctl)
    startItem(item, this.recipe.steps.length)
    const started = performance.now()
    const run = new ItemRun(item, {
      outputDir: this.outputDir,
      recipe: this.recipe,
      steps: this.steps,
      pool: limitedPool(this.pool, this.options.workersPerItem),
      overwrite: this.options.overwrite,
      signal: ctl.signal,
      heavy: this.heavy,
      log: (text) => this.log(item, text),
      changed: (force) => this.emitItem(item, force),
      stepDone: async (stepId, seconds) => {
        this.stepTimes.record(stepId, seconds)
        await this.persist()
      },
    })
    const tick = setInterval(() => {
      item.elapsedS = (performance.now() - started) / 1000
      item.etaS = itemEta(item, this.recipe, this.stepTimes, (performance.now() - run.stepStarted) / 1000)
      this.emitItem(item, true)
    }, 1000)
    try {
      this.emitItem(item, true)
      await this.persist()
      const outcome = await run.run()
      if (outcome.state === 'skipped') this.finish(item, 'skipped', { note: outcome.note, started })
      else this.finish(item, 'done', { started })
    } catch (err) {
      if (err instanceof CancelledError || ctl.signal.aborted) {
        if (this.cancelRequested.has(item.id)) {
          this.log(item, 'cancelled; its checkpoint is kept, so a retry resumes from the last finished step')
          this.finish(item, 'cancelled', { note: 'cancelled by the user', started })
        } else {
          this.log(item, 'interrupted; it resumes from its last checkpoint when the batch runs again')
          requeueItem(item, 'interrupted; resumes from its last checkpoint')
          item.elapsedS = (performance.now() - started) / 1000
        }
      } else {
        const failedStep = run.failedStep
        const error = { ...describeError(err), ...(failedStep ? { step: failedStep } : {}) }
        this.log(item, `failed${failedStep ? ` in ${failedStep}` : ''}: ${error.message}`)
        this.finish(item, 'failed', { error, started })
      }
    } finally {
      clearInterval(tick)
      this.controllers.delete(item.id)
      this.cancelRequested.delete(item.id)
      await this.persist()
      this.emitItem(item, true)
    }
  }

  // ---------- bookkeeping ----------

  private find(id: string): BatchItem {
    const item = this.items.find((i) => i.id === id)
    if (!item) throw new ConfigurationError(`No recording '${id}' in the batch in ${this.outputDir}`)
    return item
  }

  private finish(item: BatchItem, state: FinalState, extra: { note?: string; error?: BatchItem['error']; started?: number }): void {
    finishItem(item, state, extra)
    this.emitItem(item, true)
    // The counts and the queue's ETA change with every finished item.
    this.emitQueue()
  }

  private persist(): Promise<void> {
    return this.writer.write()
  }

  private log(item: BatchItem, text: string): void {
    this.logs.write(item.id, text)
  }

  private toFile(): QueueFile {
    return {
      format: QUEUE_FORMAT,
      version: QUEUE_VERSION,
      outputDir: this.outputDir,
      createdAt: this.createdAt,
      updatedAt: isoNow(),
      recipe: this.recipe,
      options: { ...this.options },
      items: this.items.map((i) => ({ ...i, progress: i.progress ? { ...i.progress } : null })),
    }
  }

  private emitItem(item: BatchItem, force: boolean): void {
    const now = performance.now()
    if (!force && now - (this.lastEmit.get(item.id) ?? 0) < PROGRESS_EMIT_MS) return
    this.lastEmit.set(item.id, now)
    this.emit('item', { ...item, progress: item.progress ? { ...item.progress } : null })
  }

  private emitQueue(): void {
    this.emit('queue', this.snapshot())
  }
}
