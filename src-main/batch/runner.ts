// The batch runner: works through the queue with bounded concurrency, runs each recording's recipe
// through the same runStep() the wizard uses, checkpoints after each step, saves each archive
// atomically, and persists the queue after every state change so a crash or a kill resumes.

import { EventEmitter } from 'node:events'
import { rm, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { TaskPool } from '../pool/taskPool'
import { CancelledError, ConfigurationError, FileAccessError, describeError, throwIfAborted } from '../../src-shared/errors'
import { PipelineSession, createSession, isoNow } from '../session/session'
import { runStep, type StepDefinition } from '../steps/framework'
import type { BatchInput } from './discovery'
import { Semaphore, limitedPool } from './limits'
import { acquireQueueLock, releaseQueueLock } from './lock'
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
import { PER_RECORDING_PARAMS, sameRecipe, type Recipe } from './recipe'
import {
  appendLog,
  batchDir,
  checkpointPath,
  ensureBatchDirs,
  queuePath,
  readLog,
  readQueueFile,
  removeCheckpoint,
  writeQueueFile,
} from './store'

/** Steps that stream the whole sensor array: only one runs at a time, whatever the concurrency. */
export const HEAVY_STEPS: ReadonlySet<string> = new Set(['load_recording_with_eimage_sta'])

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

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

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
  private readonly stepSeconds = new Map<string, { sum: number; n: number }>()
  private readonly lastEmit = new Map<string, number>()
  private readonly logChains = new Map<string, Promise<void>>()
  private persistChain: Promise<void> = Promise.resolve()
  private persistDirty = false
  private persisting = false
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
  }

  /** Opens the batch of an output folder: resumes its saved queue, or starts a new one with `recipe`. */
  static async open(cfg: OpenBatchOptions): Promise<BatchQueue> {
    const outputDir = resolve(cfg.outputDir)
    await ensureBatchDirs(outputDir)
    await acquireQueueLock(outputDir)
    try {
      if (cfg.fresh) {
        await rm(queuePath(outputDir), { force: true })
        await rm(join(batchDir(outputDir), 'checkpoints'), { recursive: true, force: true })
        await ensureBatchDirs(outputDir)
      }
      const saved = await readQueueFile(outputDir, cfg.steps)
      if (saved && cfg.recipe && !sameRecipe(saved.recipe, cfg.recipe)) {
        throw new ConfigurationError(
          `The batch in ${outputDir} was started with a different recipe ('${saved.recipe.name}'). ` +
            `Resume it without giving a recipe, or start a fresh queue (finished archives are kept and skipped).`,
          { path: queuePath(outputDir) },
        )
      }
      const recipe = saved?.recipe ?? cfg.recipe
      if (!recipe) throw new ConfigurationError(`A new batch in ${outputDir} needs a recipe`, { path: outputDir })
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
      await queue.recoverAfterRestart()
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
    return { ...this.toFile(), running: this.isRunning, counts: countStates(this.items), etaS: this.queueEta() }
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
    const added: BatchItem[] = []
    const rejected: string[] = []
    for (const input of inputs) {
      const clash = this.items.find((i) => i.id === input.datasetId)
      if (clash) {
        if (clash.cmcrPath !== input.cmcrPath || clash.cmtrPath !== input.cmtrPath) {
          rejected.push(`${input.origin}: dataset id '${input.datasetId}' is already in the queue (${clash.origin})`)
        }
        continue
      }
      const item: BatchItem = {
        id: input.datasetId,
        datasetId: input.datasetId,
        cmcrPath: input.cmcrPath,
        cmtrPath: input.cmtrPath,
        origin: input.origin,
        outputPath: join(this.outputDir, `${input.datasetId}.h5`),
        state: 'queued',
        progress: null,
        completedSteps: [],
        error: null,
        note: null,
        attempts: 0,
        addedAt: isoNow(),
        startedAt: null,
        finishedAt: null,
        elapsedS: 0,
        etaS: null,
      }
      this.items.push(item)
      added.push(item)
    }
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
    this.requeue(item)
    this.log(item, redo ? 'queued again (overwrite)' : 'queued again (retry)')
    await this.persist()
    this.emitItem(item, true)
    this.wake?.()
  }

  /** Retries every failed item. */
  async retryFailed(): Promise<number> {
    const failed = this.items.filter((i) => i.state === 'failed')
    for (const item of failed) {
      this.requeue(item)
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
    await Promise.all([...this.logChains.values()])
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
    item.state = 'running'
    item.attempts++
    item.startedAt = isoNow()
    item.finishedAt = null
    item.error = null
    item.note = null
    item.elapsedS = 0
    item.etaS = null
    const stepCount = this.recipe.steps.length
    item.progress = { stepIndex: 0, stepCount, stepId: null, fraction: 0 }
    const started = performance.now()
    let stepStarted = started
    const tick = setInterval(() => {
      item.elapsedS = (performance.now() - started) / 1000
      item.etaS = this.itemEta(item, (performance.now() - stepStarted) / 1000)
      this.emitItem(item, true)
    }, 1000)
    let failedStep: string | undefined
    try {
      this.emitItem(item, true)
      await this.persist()
      if (!this.options.overwrite && (await exists(item.outputPath))) {
        this.log(item, `skipped: the archive ${item.outputPath} exists (turn on overwrite to replace it)`)
        this.finish(item, 'skipped', { note: `output exists: ${item.outputPath}`, started })
        return
      }
      this.log(item, `attempt ${item.attempts}: ${item.cmcrPath ?? '-'} + ${item.cmtrPath ?? '-'}`)
      await checkInputs(item)
      const session = await this.openSession(item, ctl.signal)
      item.completedSteps = this.recipe.steps.filter((s) => session.completedSteps.has(s.step)).map((s) => s.step)
      const pool = limitedPool(this.pool, this.options.workersPerItem)
      for (const [index, recipeStep] of this.recipe.steps.entries()) {
        throwIfAborted(ctl.signal)
        if (session.completedSteps.has(recipeStep.step)) continue
        const def = this.steps.get(recipeStep.step)
        if (!def) throw new ConfigurationError(`Recipe step '${recipeStep.step}' is not a registered step`)
        failedStep = def.id
        item.progress = { stepIndex: index, stepCount, stepId: def.id, fraction: 0, message: 'starting' }
        this.emitItem(item, true)
        const heavy = HEAVY_STEPS.has(def.id)
        if (heavy && this.heavy.inUse > 0) {
          item.progress.message = 'waiting for the other eimage job to finish'
          this.emitItem(item, true)
        }
        if (heavy) await this.heavy.acquire(ctl.signal)
        stepStarted = performance.now()
        try {
          const report = await runStep(def, session, paramsFor(def, recipeStep.params, item), {
            pool,
            signal: ctl.signal,
            onProgress: (p) => {
              item.progress = { stepIndex: index, stepCount, stepId: def.id, fraction: p.fraction, message: p.message }
              this.emitItem(item, false)
            },
          })
          this.recordStepTime(def.id, report.seconds)
          this.log(item, `${def.id}: ${report.summary} (${report.seconds.toFixed(1)} s)`)
          for (const w of report.warnings) this.log(item, `${def.id} warning: ${w}`)
        } finally {
          if (heavy) this.heavy.release()
        }
        item.completedSteps = [...item.completedSteps, def.id]
        if (this.recipe.checkpoint && index < stepCount - 1) {
          await session.checkpoint(checkpointPath(this.outputDir, item.id), { checkpointName: def.id, signal: ctl.signal })
          this.log(item, `checkpoint after ${def.id}`)
        }
        await this.persist()
      }
      failedStep = undefined
      throwIfAborted(ctl.signal)
      item.progress = { stepIndex: stepCount - 1, stepCount, stepId: null, fraction: 1, message: 'saving the archive' }
      this.emitItem(item, true)
      await session.save(item.outputPath, {
        overwrite: this.options.overwrite,
        signal: ctl.signal,
        onProgress: (done, total) => {
          item.progress = { stepIndex: stepCount - 1, stepCount, stepId: null, fraction: total ? done / total : 1, message: 'saving the archive' }
          this.emitItem(item, false)
        },
      })
      this.log(item, `saved ${item.outputPath}`)
      await removeCheckpoint(this.outputDir, item.id)
      this.finish(item, 'done', { started })
    } catch (err) {
      if (err instanceof CancelledError || ctl.signal.aborted) {
        if (this.cancelRequested.has(item.id)) {
          this.log(item, 'cancelled; its checkpoint is kept, so a retry resumes from the last finished step')
          this.finish(item, 'cancelled', { note: 'cancelled by the user', started })
        } else {
          this.log(item, 'interrupted; it resumes from its last checkpoint when the batch runs again')
          this.requeue(item, 'interrupted; resumes from its last checkpoint')
          item.elapsedS = (performance.now() - started) / 1000
        }
      } else {
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

  /** The item's checkpoint when there is a usable one, else a new session. */
  private async openSession(item: BatchItem, signal: AbortSignal): Promise<PipelineSession> {
    const ckpt = checkpointPath(this.outputDir, item.id)
    if (this.recipe.checkpoint && (await exists(ckpt))) {
      try {
        const session = await PipelineSession.load(ckpt, { outputDir: this.outputDir, signal })
        if (session.datasetId !== item.datasetId) {
          throw new Error(`it holds dataset '${session.datasetId}', not '${item.datasetId}'`)
        }
        const done = this.recipe.steps.filter((s) => session.completedSteps.has(s.step)).map((s) => s.step)
        this.log(item, `resuming from checkpoint ${ckpt} (finished: ${done.join(', ') || 'none of the recipe steps'})`)
        return session
      } catch (err) {
        if (signal.aborted) throw err
        this.log(item, `checkpoint ${ckpt} cannot be used (${(err as Error).message}); starting from the first step`)
        await removeCheckpoint(this.outputDir, item.id)
      }
    }
    return createSession({ datasetId: item.datasetId, cmcrPath: item.cmcrPath, cmtrPath: item.cmtrPath, outputDir: this.outputDir })
  }

  /**
   * After a crash or kill, an item left "running" either finished its save just before (its archive
   * was written during that attempt: done) or goes back to the queue to resume from its checkpoint.
   */
  private async recoverAfterRestart(): Promise<void> {
    for (const item of this.items) {
      item.progress = null
      item.etaS = null
      if (item.state === 'running') {
        const savedAt = await stat(item.outputPath).then(
          (s) => s.mtimeMs,
          () => null,
        )
        if (savedAt !== null && item.startedAt && savedAt >= Date.parse(item.startedAt)) {
          await removeCheckpoint(this.outputDir, item.id)
          this.finish(item, 'done', { note: 'saved just before the batch was interrupted' })
          this.log(item, 'the archive was saved before the interruption; marked done')
        } else {
          this.requeue(item, 'interrupted; resumes from its last checkpoint')
          this.log(item, 'the batch was interrupted while this recording ran; it resumes from its last checkpoint')
        }
      } else if (item.state === 'done' && !(await exists(item.outputPath))) {
        this.requeue(item, 'its archive is gone; processing again')
        this.log(item, `the archive ${item.outputPath} no longer exists; queued again`)
      }
    }
  }

  // ---------- bookkeeping ----------

  private find(id: string): BatchItem {
    const item = this.items.find((i) => i.id === id)
    if (!item) throw new ConfigurationError(`No recording '${id}' in the batch in ${this.outputDir}`)
    return item
  }

  private requeue(item: BatchItem, note: string | null = null): void {
    item.state = 'queued'
    item.error = null
    item.note = note
    item.progress = null
    item.etaS = null
    item.finishedAt = null
  }

  private finish(
    item: BatchItem,
    state: 'done' | 'skipped' | 'failed' | 'cancelled',
    extra: { note?: string; error?: BatchItem['error']; started?: number },
  ): void {
    item.state = state
    item.note = extra.note ?? null
    item.error = extra.error ?? null
    item.progress = null
    item.etaS = null
    item.finishedAt = isoNow()
    if (extra.started !== undefined) item.elapsedS = (performance.now() - extra.started) / 1000
    this.emitItem(item, true)
    // The counts and the queue's ETA change with every finished item.
    this.emitQueue()
  }

  private recordStepTime(step: string, seconds: number): void {
    const s = this.stepSeconds.get(step) ?? { sum: 0, n: 0 }
    s.sum += seconds
    s.n++
    this.stepSeconds.set(step, s)
  }

  private meanStep(step: string): number | null {
    const s = this.stepSeconds.get(step)
    return s ? s.sum / s.n : null
  }

  /** Seconds left for a running item: from the steps' mean times in this batch, else from its own progress. */
  private itemEta(item: BatchItem, stepElapsed: number): number | null {
    const p = item.progress
    if (!p || item.state !== 'running') return null
    const remainingSteps = this.recipe.steps.slice(p.stepIndex + 1).map((s) => s.step).filter((s) => !item.completedSteps.includes(s))
    const current = p.stepId
      ? p.fraction >= 0.02
        ? (stepElapsed * (1 - p.fraction)) / p.fraction
        : this.meanStep(p.stepId)
      : 0
    const later = remainingSteps.map((s) => this.meanStep(s))
    if (current !== null && later.every((x) => x !== null)) return current + (later as number[]).reduce((a, b) => a + b, 0)
    const overall = (p.stepIndex + p.fraction) / p.stepCount
    return overall >= 0.02 ? (item.elapsedS * (1 - overall)) / overall : null
  }

  /** Seconds until the queue is through, from the mean time of the items done so far. */
  private queueEta(): number | null {
    const done = this.items.filter((i) => i.state === 'done')
    const queued = this.items.filter((i) => i.state === 'queued').length
    const running = this.items.filter((i) => i.state === 'running')
    if (queued === 0 && running.length === 0) return 0
    const mean = done.length ? done.reduce((a, i) => a + i.elapsedS, 0) / done.length : null
    if (queued > 0 && mean === null) return null
    const runningLeft = running.reduce((a, i) => a + (i.etaS ?? mean ?? 0), 0)
    return (runningLeft + queued * (mean ?? 0)) / Math.max(1, this.options.concurrency)
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

  /** Writes the queue file; calls made while a write is in flight are folded into one more write. */
  private persist(): Promise<void> {
    this.persistDirty = true
    if (!this.persisting) {
      this.persisting = true
      this.persistChain = (async () => {
        try {
          while (this.persistDirty) {
            this.persistDirty = false
            try {
              await writeQueueFile(this.toFile())
            } catch (err) {
              this.emit('problem', (err as Error).message)
            }
          }
        } finally {
          this.persisting = false
        }
      })()
    }
    return this.persistChain
  }

  private log(item: BatchItem, text: string): void {
    const line = `${new Date().toISOString()} ${text}`
    const prev = this.logChains.get(item.id) ?? Promise.resolve()
    const next = prev.then(() => appendLog(this.outputDir, item.id, line)).catch((err) => {
      this.emit('problem', `Cannot write the log of ${item.id}: ${(err as Error).message}`)
    })
    this.logChains.set(item.id, next)
    this.emit('log', { id: item.id, line })
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

function normalizeOptions(o: BatchOptions): BatchOptions {
  const whole = (v: number, name: string) => {
    if (!Number.isInteger(v) || v < 1) throw new ConfigurationError(`Batch option '${name}' must be a whole number >= 1 (got ${v})`)
    return v
  }
  return {
    concurrency: whole(o.concurrency, 'concurrency'),
    workersPerItem: whole(o.workersPerItem, 'workersPerItem'),
    overwrite: Boolean(o.overwrite),
  }
}

/** The recipe's parameters plus those that come from the recording itself. */
function paramsFor(def: StepDefinition<any>, recipeParams: Record<string, unknown>, item: BatchItem): Record<string, unknown> {
  const out = { ...recipeParams }
  const fromItem: Record<(typeof PER_RECORDING_PARAMS)[number], string | null> = {
    cmcr_path: item.cmcrPath,
    cmtr_path: item.cmtrPath,
    dataset_id: item.datasetId,
  }
  for (const p of def.params) {
    if (p.name in fromItem) out[p.name] = fromItem[p.name as keyof typeof fromItem]
  }
  return out
}

/** The recording's files must exist before any work starts (the messages of the Python batch). */
async function checkInputs(item: BatchItem): Promise<void> {
  for (const [kind, path] of [
    ['CMCR', item.cmcrPath],
    ['CMTR', item.cmtrPath],
  ] as const) {
    if (path && !(await exists(path))) {
      throw new FileAccessError('FILE_NOT_FOUND', `${kind} file not found: ${path}`, { path })
    }
  }
}

