// Submitting a queue to SLURM: the queue is written to the output folder as for the local engine, then
// one job array runs its unfinished items, one array task per item (`batch-item --queue DIR --index
// $SLURM_ARRAY_TASK_ID`). Submitting again submits only what is not done and not already pending or
// running, so it is also the resume.

import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DEFAULT_OPTIONS, QUEUE_FORMAT, QUEUE_VERSION, type BatchItem, type BatchOptions, type QueueFile, type SlurmEngineInfo } from '../../../src-shared/batchModel'
import type { StepDefinition } from '../../steps/framework'
import type { BatchInput } from '../discovery'
import { exists } from '../itemRun'
import { addInputs, normalizeOptions, requeueItem } from '../itemState'
import { acquireQueueLock, releaseQueueLock } from '../lock'
import { recipeForQueue, type Recipe } from '../recipe'
import { batchDir, ensureBatchDirs, queuePath, readQueueFile, removeStrayTemps, writeQueueFile } from '../store'
import { clusterItems } from './clusterView'
import { sbatch } from './commands'
import { itemStateDir, writeItemState } from './itemStateFile'
import type { PathMapRule } from './pathMap'
import { taskResources, type TaskResources } from './resources'

export interface SlurmSubmitOptions {
  outputDir: string
  steps: readonly StepDefinition<any>[]
  /** Required for a new queue; for a saved one it must match (or be omitted). */
  recipe?: Recipe
  inputs: readonly BatchInput[]
  options?: Partial<BatchOptions>
  partition?: string | null
  sbatchArgs?: string[]
  maxParallel?: number
  pathMap?: PathMapRule[]
  resources?: Partial<TaskResources>
  /** The Node binary and CLI script the tasks run (default: this process's). */
  node?: string
  cli?: string
}

export interface SlurmSubmitResult {
  file: QueueFile
  items: BatchItem[]
  /** Items of this submission (empty: nothing left to run). */
  submitted: BatchItem[]
  jobId: string | null
  rejected: string[]
}

const ACTIVE_SCHEDULER_STATES = new Set(['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'RESIZING'])

function batchScript(node: string, cli: string, outputDir: string): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  return [
    '#!/bin/sh',
    '# One item of an hdmea-workbench batch queue per array task (written by `batch --engine slurm`).',
    `exec ${q(node)} ${q(cli)} batch-item --queue ${q(outputDir)} --index "$SLURM_ARRAY_TASK_ID"`,
    '',
  ].join('\n')
}

export async function submitToSlurm(cfg: SlurmSubmitOptions): Promise<SlurmSubmitResult> {
  const outputDir = cfg.outputDir
  await ensureBatchDirs(outputDir)
  await acquireQueueLock(outputDir)
  try {
    await removeStrayTemps(outputDir)
    const saved = await readQueueFile(outputDir, cfg.steps)
    const recipe = recipeForQueue(saved?.recipe, cfg.recipe, outputDir, queuePath(outputDir), 'Resubmit')
    const options = normalizeOptions({ ...DEFAULT_OPTIONS, ...saved?.options, ...cfg.options })
    const previous = saved?.engine?.kind === 'slurm' ? saved.engine : null
    const engine: SlurmEngineInfo = {
      kind: 'slurm',
      partition: cfg.partition !== undefined ? cfg.partition : (previous?.partition ?? null),
      sbatchArgs: cfg.sbatchArgs ?? previous?.sbatchArgs ?? [],
      maxParallel: cfg.maxParallel ?? previous?.maxParallel ?? 8,
      pathMap: cfg.pathMap ?? previous?.pathMap ?? [],
      node: cfg.node ?? process.execPath,
      cli: cfg.cli ?? process.argv[1],
      resources: taskResources(recipe, options.workersPerItem, { ...previous?.resources, ...cfg.resources }),
      submissions: previous?.submissions ?? [],
    }
    const file: QueueFile = {
      format: QUEUE_FORMAT,
      version: QUEUE_VERSION,
      outputDir,
      createdAt: saved?.createdAt || new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      recipe,
      options,
      engine,
      items: saved?.items ?? [],
    }
    // Where the cluster stands now (a queue the local engine ran has no tasks: its states stand).
    const { items } = await clusterItems(file, outputDir, { scheduler: true })
    const { rejected } = addInputs(items, cfg.inputs, outputDir)

    const toSubmit: number[] = []
    for (const [index, item] of items.entries()) {
      const active = item.cluster?.schedulerState ? ACTIVE_SCHEDULER_STATES.has(item.cluster.schedulerState) : false
      if (active) continue
      // An item "running" without a task is left from a local run that died (we hold the folder's lock).
      if (item.state === 'skipped') continue
      if (item.state === 'done' && (await exists(item.outputPath))) continue
      toSubmit.push(index)
    }
    file.items = items
    if (toSubmit.length === 0) {
      await writeQueueFile(file)
      return { file, items, submitted: [], jobId: null, rejected }
    }
    // Each item to run gets a fresh state file before any of its tasks can start (none is active now),
    // and loses the temp files a killed task of it may have left.
    const leftovers = await readdir(itemStateDir(outputDir)).catch(() => [] as string[])
    for (const index of toSubmit) {
      const item = items[index]
      const mine = leftovers.filter((n) => n.startsWith(`.${item.id}.json.`) && n.endsWith('.tmp'))
      await Promise.all(mine.map((n) => rm(join(itemStateDir(outputDir), n), { force: true })))
      requeueItem(item, 'submitted to SLURM')
      item.cluster = null
      item.progress = null
      await writeItemState(outputDir, item)
    }
    await writeQueueFile(file)

    const slurmDir = join(batchDir(outputDir), 'slurm')
    await mkdir(slurmDir, { recursive: true })
    const script = join(slurmDir, `submit-${engine.submissions.length + 1}.sh`)
    await writeFile(script, batchScript(engine.node, engine.cli, outputDir))
    await chmod(script, 0o755)
    const r = engine.resources
    const args = [
      `--array=${toSubmit.join(',')}%${engine.maxParallel}`,
      '--job-name=hdmea-batch',
      `--chdir=${outputDir}`,
      `--output=${join(slurmDir, '%A_%a.out')}`,
      `--cpus-per-task=${r.cpus}`,
      `--mem=${r.memMB}M`,
      `--time=${r.timeMin}`,
      ...(engine.partition ? [`--partition=${engine.partition}`] : []),
      ...engine.sbatchArgs,
    ]
    const jobId = await sbatch(script, args)
    engine.submissions.push({ jobId, indexes: toSubmit, submittedAt: new Date().toISOString() })
    for (const index of toSubmit) items[index].cluster = { jobId, arrayTaskId: index, node: null, schedulerState: 'PENDING' }
    file.updatedAt = new Date().toISOString()
    await writeQueueFile(file)
    return { file, items, submitted: toSubmit.map((i) => items[i]), jobId, rejected }
  } finally {
    await releaseQueueLock(outputDir)
  }
}
