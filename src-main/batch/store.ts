// Where a batch keeps its state, inside the output folder, and how the queue file is read and written.
//
//   <out>/<id>.h5                         finished archives
//   <out>/.hdmea-batch/queue.json         the queue (written atomically after every state change)
//   <out>/.hdmea-batch/checkpoints/<id>.h5  the in-flight recording after its last finished step
//   <out>/.hdmea-batch/logs/<id>.log      per-recording log
//   <out>/.hdmea-batch/lock               pid of the process running this queue

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigurationError, FileAccessError } from '../../src-shared/errors'
import { writeFileAtomic } from './atomicFile'
import { ITEM_STATES, QUEUE_FORMAT, QUEUE_VERSION, type BatchItem, type QueueFile } from '../../src-shared/batchModel'
import { validateRecipe } from './recipe'
import type { StepDefinition } from '../steps/framework'

export const BATCH_DIR = '.hdmea-batch'

export const batchDir = (outputDir: string) => join(outputDir, BATCH_DIR)
export const queuePath = (outputDir: string) => join(outputDir, BATCH_DIR, 'queue.json')
export const checkpointPath = (outputDir: string, id: string) => join(outputDir, BATCH_DIR, 'checkpoints', `${id}.h5`)
export const logPath = (outputDir: string, id: string) => join(outputDir, BATCH_DIR, 'logs', `${id}.log`)
export const lockPath = (outputDir: string) => join(outputDir, BATCH_DIR, 'lock')

export async function ensureBatchDirs(outputDir: string): Promise<void> {
  await mkdir(join(outputDir, BATCH_DIR, 'checkpoints'), { recursive: true })
  await mkdir(join(outputDir, BATCH_DIR, 'logs'), { recursive: true })
}

export async function writeQueueFile(content: QueueFile): Promise<void> {
  await writeFileAtomic(queuePath(content.outputDir), `${JSON.stringify(content, null, 1)}\n`)
}

/** The saved queue of an output folder, or null when the folder has none. */
export async function readQueueFile(outputDir: string, steps: readonly StepDefinition<any>[]): Promise<QueueFile | null> {
  const path = queuePath(outputDir)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new FileAccessError('FILE_LOCKED', `Cannot read the batch queue ${path}: ${(err as Error).message}`, { path, cause: err })
  }
  const damaged = (why: string): never => {
    throw new FileAccessError(
      'FILE_CORRUPT',
      `The batch queue ${path} is damaged (${why}). Finished archives in ${outputDir} are intact; ` +
        `start a fresh queue (CLI: --fresh) and existing outputs will be skipped.`,
      { path },
    )
  }
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(text)
  } catch (err) {
    return damaged(`invalid JSON: ${(err as Error).message}`)
  }
  if (raw?.format !== QUEUE_FORMAT) damaged(`'format' is not ${QUEUE_FORMAT}`)
  if (raw.version !== QUEUE_VERSION) damaged(`version ${JSON.stringify(raw.version)} is not supported`)
  if (!Array.isArray(raw.items)) damaged("'items' is not a list")
  const opts = raw.options as Record<string, unknown> | undefined
  if (!opts || typeof opts.concurrency !== 'number' || typeof opts.workersPerItem !== 'number' || typeof opts.overwrite !== 'boolean') {
    damaged("'options' is incomplete")
  }
  let recipe
  try {
    recipe = validateRecipe(raw.recipe, { steps, source: `${path} (recipe)` })
  } catch (err) {
    if (err instanceof ConfigurationError) damaged(err.message)
    throw err
  }
  const items = (raw.items as unknown[]).map((it, i) => checkItem(it, i, damaged))
  return {
    format: QUEUE_FORMAT,
    version: QUEUE_VERSION,
    outputDir,
    createdAt: String(raw.createdAt ?? ''),
    updatedAt: String(raw.updatedAt ?? ''),
    recipe,
    options: opts as unknown as QueueFile['options'],
    items,
  }
}

function checkItem(raw: unknown, index: number, damaged: (why: string) => never): BatchItem {
  const it = raw as Partial<BatchItem>
  if (typeof it !== 'object' || it === null) damaged(`items[${index}] is not an object`)
  if (typeof it.id !== 'string' || !it.id) damaged(`items[${index}] has no id`)
  if (!ITEM_STATES.includes(it.state as BatchItem['state'])) damaged(`items[${index}] has an unknown state ${JSON.stringify(it.state)}`)
  if (typeof it.outputPath !== 'string') damaged(`items[${index}] has no outputPath`)
  return {
    id: it.id,
    datasetId: it.datasetId ?? it.id,
    cmcrPath: it.cmcrPath ?? null,
    cmtrPath: it.cmtrPath ?? null,
    origin: it.origin ?? '',
    outputPath: it.outputPath,
    state: it.state!,
    progress: null,
    completedSteps: Array.isArray(it.completedSteps) ? it.completedSteps.map(String) : [],
    error: it.error ?? null,
    note: it.note ?? null,
    attempts: typeof it.attempts === 'number' ? it.attempts : 0,
    addedAt: it.addedAt ?? '',
    startedAt: it.startedAt ?? null,
    finishedAt: it.finishedAt ?? null,
    elapsedS: typeof it.elapsedS === 'number' ? it.elapsedS : 0,
    etaS: null,
  }
}

export async function appendLog(outputDir: string, id: string, line: string): Promise<void> {
  await writeFile(logPath(outputDir, id), `${line}\n`, { flag: 'a' })
}

export async function readLog(outputDir: string, id: string): Promise<string> {
  try {
    return await readFile(logPath(outputDir, id), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw err
  }
}

export async function removeCheckpoint(outputDir: string, id: string): Promise<void> {
  await rm(checkpointPath(outputDir, id), { force: true })
}
