// One attempt at one queue item: check its inputs, open its checkpoint or a new session, run the
// recipe's remaining steps through the same runStep() the wizard uses (checkpointing after each),
// and save the archive atomically. Shared by the local queue and a cluster task; the caller owns the
// item's state transitions, persistence and announcements.

import { stat } from 'node:fs/promises'
import type { TaskPool } from '../pool/taskPool'
import { CancelledError, ConfigurationError, FileAccessError, WorkbenchError, throwIfAborted } from '../../src-shared/errors'
import { PipelineSession, createSession } from '../session/session'
import { runStep, type StepDefinition } from '../steps/framework'
import type { BatchItem } from '../../src-shared/batchModel'
import type { Semaphore } from './limits'
import { PER_RECORDING_PARAMS, type Recipe } from './recipe'
import { checkpointPath, removeCheckpoint } from './store'

/** Steps that stream the whole sensor array: only one runs at a time, whatever the concurrency. */
export const HEAVY_STEPS: ReadonlySet<string> = new Set(['load_recording_with_eimage_sta'])

export interface ItemRunContext {
  outputDir: string
  recipe: Recipe
  steps: ReadonlyMap<string, StepDefinition<any>>
  /** The pool as this item sees it (already limited to its workers). */
  pool: TaskPool
  overwrite: boolean
  signal: AbortSignal
  /** Held while a heavy step runs. */
  heavy: Semaphore
  log(text: string): void
  /** The item's progress or finished steps changed; `force` announces at once (else throttled). */
  changed(force: boolean): void
  /** A step finished and its checkpoint (if any) is written: persist the item's state. */
  stepDone(stepId: string, seconds: number): Promise<void>
}

export type ItemOutcome = { state: 'done' } | { state: 'skipped'; note: string }

export class ItemRun {
  /** The recipe step running now (the one to blame when the attempt fails). */
  failedStep: string | undefined
  /** performance.now() when the current step started. */
  stepStarted = performance.now()

  constructor(
    private readonly item: BatchItem,
    private readonly ctx: ItemRunContext,
  ) {}

  async run(): Promise<ItemOutcome> {
    const { item, ctx } = this
    const { recipe, signal } = ctx
    const stepCount = recipe.steps.length
    if (!ctx.overwrite && (await exists(item.outputPath))) {
      ctx.log(`skipped: the archive ${item.outputPath} exists (turn on overwrite to replace it)`)
      return { state: 'skipped', note: `output exists: ${item.outputPath}` }
    }
    ctx.log(`attempt ${item.attempts}: ${item.cmcrPath ?? '-'} + ${item.cmtrPath ?? '-'}`)
    await checkInputs(item)
    const session = await this.openSession()
    item.completedSteps = recipe.steps.filter((s) => session.completedSteps.has(s.step)).map((s) => s.step)
    for (const [index, recipeStep] of recipe.steps.entries()) {
      throwIfAborted(signal)
      if (session.completedSteps.has(recipeStep.step)) continue
      const def = ctx.steps.get(recipeStep.step)
      if (!def) throw new ConfigurationError(`Recipe step '${recipeStep.step}' is not a registered step`)
      this.failedStep = def.id
      item.progress = { stepIndex: index, stepCount, stepId: def.id, fraction: 0, message: 'starting' }
      ctx.changed(true)
      const heavy = HEAVY_STEPS.has(def.id)
      if (heavy && ctx.heavy.inUse > 0) {
        item.progress.message = 'waiting for the other eimage job to finish'
        ctx.changed(true)
      }
      if (heavy) await ctx.heavy.acquire(signal)
      this.stepStarted = performance.now()
      let seconds: number
      try {
        const report = await runStep(def, session, paramsFor(def, recipeStep.params, item), {
          pool: ctx.pool,
          signal,
          onProgress: (p) => {
            item.progress = { stepIndex: index, stepCount, stepId: def.id, fraction: p.fraction, message: p.message }
            ctx.changed(false)
          },
        })
        seconds = report.seconds
        ctx.log(`${def.id}: ${report.summary} (${report.seconds.toFixed(1)} s)`)
        for (const w of report.warnings) ctx.log(`${def.id} warning: ${w}`)
      } finally {
        if (heavy) ctx.heavy.release()
      }
      item.completedSteps = [...item.completedSteps, def.id]
      if (recipe.checkpoint && index < stepCount - 1) {
        // The step succeeded: a failing checkpoint is the checkpoint's failure, not the step's.
        this.failedStep = `checkpoint after ${def.id}`
        const target = checkpointPath(ctx.outputDir, item.id)
        try {
          await session.checkpoint(target, { checkpointName: def.id, signal })
        } catch (err) {
          if (!(err instanceof WorkbenchError) || err instanceof CancelledError) throw err
          throw new FileAccessError(err.code, `The checkpoint after ${def.id} could not be written (${def.id} itself finished): ${err.message}`, {
            path: err.path ?? target,
            cause: err,
          })
        }
        ctx.log(`checkpoint after ${def.id}`)
      }
      await ctx.stepDone(def.id, seconds)
    }
    this.failedStep = undefined
    throwIfAborted(signal)
    item.progress = { stepIndex: stepCount - 1, stepCount, stepId: null, fraction: 1, message: 'saving the archive' }
    ctx.changed(true)
    await session.save(item.outputPath, {
      overwrite: ctx.overwrite,
      signal,
      onProgress: (done, total) => {
        item.progress = { stepIndex: stepCount - 1, stepCount, stepId: null, fraction: total ? done / total : 1, message: 'saving the archive' }
        ctx.changed(false)
      },
    })
    ctx.log(`saved ${item.outputPath}`)
    await removeCheckpoint(ctx.outputDir, item.id)
    return { state: 'done' }
  }

  /** The item's checkpoint when there is a usable one, else a new session. */
  private async openSession(): Promise<PipelineSession> {
    const { item, ctx } = this
    const ckpt = checkpointPath(ctx.outputDir, item.id)
    if (ctx.recipe.checkpoint && (await exists(ckpt))) {
      try {
        const session = await PipelineSession.load(ckpt, { outputDir: ctx.outputDir, signal: ctx.signal })
        if (session.datasetId !== item.datasetId) {
          throw new Error(`it holds dataset '${session.datasetId}', not '${item.datasetId}'`)
        }
        const done = ctx.recipe.steps.filter((s) => session.completedSteps.has(s.step)).map((s) => s.step)
        ctx.log(`resuming from checkpoint ${ckpt} (finished: ${done.join(', ') || 'none of the recipe steps'})`)
        return session
      } catch (err) {
        if (ctx.signal.aborted) throw err
        ctx.log(`checkpoint ${ckpt} cannot be used (${(err as Error).message}); starting from the first step`)
        await removeCheckpoint(ctx.outputDir, item.id)
      }
    }
    return createSession({ datasetId: item.datasetId, cmcrPath: item.cmcrPath, cmtrPath: item.cmtrPath, outputDir: ctx.outputDir })
  }
}

export function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
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
