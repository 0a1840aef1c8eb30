// One array task: runs the queue item at --index with the CLI on its node (`batch-item`). It writes
// only its item's state file, log and checkpoint, and the archive; queue.json is only read. A task
// whose item is already done exits at once. SIGTERM (scancel, or SLURM's time limit) stops the step at
// its next cancellation point and records the item as cancelled; the next submission resumes it from
// its checkpoint.

import { hostname } from 'node:os'
import { createTaskPool } from '../../pool/taskPool'
import { CancelledError, ConfigurationError, describeError } from '../../../src-shared/errors'
import type { BatchItem } from '../../../src-shared/batchModel'
import type { StepDefinition } from '../../steps/framework'
import { ItemLogs } from '../itemLog'
import { ItemRun, exists } from '../itemRun'
import { finishItem, startItem } from '../itemState'
import { Semaphore } from '../limits'
import { readQueueFile } from '../store'
import { applyItemState, readItemState, writeItemState } from './itemStateFile'
import { mapParams, mapPath } from './pathMap'

const STATE_WRITE_MS = 2000

export interface ItemTaskResult {
  item: BatchItem
  exitCode: number
}

export async function runItemTask(cfg: { outputDir: string; index: number; steps: readonly StepDefinition<any>[]; log?: (line: string) => void }): Promise<ItemTaskResult> {
  const { outputDir, index } = cfg
  const file = await readQueueFile(outputDir, cfg.steps)
  if (!file) throw new ConfigurationError(`No batch queue in ${outputDir}`, { path: outputDir })
  const base = file.items[index]
  if (!base) throw new ConfigurationError(`The batch in ${outputDir} has ${file.items.length} item(s); there is no index ${index}`, { path: outputDir })
  const item: BatchItem = { ...base }
  const saved = await readItemState(outputDir, item.id)
  if (saved) applyItemState(item, saved)
  const logs = new ItemLogs(
    outputDir,
    ({ line }) => cfg.log?.(line),
    (message) => cfg.log?.(`warning: ${message}`),
  )
  if ((item.state === 'done' || item.state === 'skipped') && (await exists(item.outputPath))) {
    cfg.log?.(`${item.id} is ${item.state} already; nothing to do`)
    return { item, exitCode: 0 }
  }
  const engine = file.engine?.kind === 'slurm' ? file.engine : null
  const rules = engine?.pathMap ?? []
  item.cmcrPath = item.cmcrPath && mapPath(item.cmcrPath, rules)
  item.cmtrPath = item.cmtrPath && mapPath(item.cmtrPath, rules)
  const recipe = { ...file.recipe, steps: file.recipe.steps.map((s) => ({ ...s, params: mapParams(s.params, rules) })) }

  const env = process.env
  startItem(item, recipe.steps.length)
  item.cluster = {
    jobId: env.SLURM_ARRAY_JOB_ID ?? env.SLURM_JOB_ID ?? 'local',
    arrayTaskId: Number(env.SLURM_ARRAY_TASK_ID ?? index),
    node: env.SLURMD_NODENAME ?? hostname(),
    schedulerState: 'RUNNING',
  }
  const started = performance.now()
  let lastWrite = 0
  let writing: Promise<void> = Promise.resolve()
  const saveState = (force: boolean): Promise<void> => {
    const now = performance.now()
    if (!force && now - lastWrite < STATE_WRITE_MS) return writing
    lastWrite = now
    item.elapsedS = (now - started) / 1000
    const snapshot = { ...item, progress: item.progress ? { ...item.progress } : null }
    writing = writing.then(() => writeItemState(outputDir, snapshot)).catch((err) => cfg.log?.(`warning: ${(err as Error).message}`))
    return writing
  }
  await saveState(true)

  const ctl = new AbortController()
  let stoppedBySignal: string | null = null
  const onSignal = (signal: string) => () => {
    stoppedBySignal = signal
    ctl.abort()
  }
  const onTerm = onSignal('SIGTERM')
  const onInt = onSignal('SIGINT')
  process.on('SIGTERM', onTerm)
  process.on('SIGINT', onInt)
  const pool = createTaskPool({ threads: file.options.workersPerItem })
  const run = new ItemRun(item, {
    outputDir,
    recipe,
    steps: new Map(cfg.steps.map((s) => [s.id, s])),
    pool,
    overwrite: file.options.overwrite,
    signal: ctl.signal,
    heavy: new Semaphore(1),
    log: (text) => logs.write(item.id, text),
    changed: (force) => void saveState(force),
    stepDone: () => saveState(true),
  })
  logs.write(item.id, `SLURM task ${item.cluster.jobId}_${item.cluster.arrayTaskId} on ${item.cluster.node}`)
  let exitCode = 0
  try {
    const outcome = await run.run()
    if (outcome.state === 'skipped') finishItem(item, 'skipped', { note: outcome.note, started })
    else finishItem(item, 'done', { started })
  } catch (err) {
    if (err instanceof CancelledError || ctl.signal.aborted) {
      const note = `stopped by SLURM (${stoppedBySignal ?? 'signal'}: scancel, or the time limit was reached); the next submission resumes it from its checkpoint`
      logs.write(item.id, note)
      finishItem(item, 'cancelled', { note, started })
      exitCode = 143
    } else {
      const error = { ...describeError(err), ...(run.failedStep ? { step: run.failedStep } : {}) }
      logs.write(item.id, `failed${run.failedStep ? ` in ${run.failedStep}` : ''}: ${error.message}`)
      finishItem(item, 'failed', { error, started })
      exitCode = 1
    }
  } finally {
    process.off('SIGTERM', onTerm)
    process.off('SIGINT', onInt)
    item.cluster = { ...item.cluster!, schedulerState: null }
    await saveState(true)
    await logs.flush()
    await pool.destroy()
  }
  return { item, exitCode }
}
