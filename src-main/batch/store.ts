// Where a batch keeps its state, inside the output folder, and how the queue file is read and written.
//
//   <out>/<id>.h5                         finished archives
//   <out>/.hdmea-batch/queue.json         the queue (written atomically after every state change)
//   <out>/.hdmea-batch/checkpoints/<id>.h5  the in-flight recording after its last finished step
//   <out>/.hdmea-batch/logs/<id>.log      per-recording log
//   <out>/.hdmea-batch/lock               pid of the process running this queue

import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigurationError, FileAccessError } from '../../src-shared/errors'
import { writeTextAtomically } from '../files/atomicWrite'
import { readTextIfPresent } from '../files/readText'
import { batchTempPath } from './tempFiles'
import { QUEUE_FORMAT, QUEUE_VERSION, type BatchItem, type ItemState, type QueueFile } from '../../src-shared/batchModel'
import { describeIssue, queueFileSchema, type ParsedQueueItem } from './queueSchema'
import { validateRecipe } from './recipe'
import type { StepDefinition } from '../steps/framework'
import { jsonProblem } from '../../src-shared/jsonProblem'

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
  await writeTextAtomically(queuePath(content.outputDir), `${JSON.stringify(content, null, 1)}\n`, { overwrite: true, what: 'queue file', tempPath: batchTempPath })
}

/** The saved queue of an output folder, or null when the folder has none. */
export async function readQueueFile(outputDir: string, steps: readonly StepDefinition<any>[]): Promise<QueueFile | null> {
  const path = queuePath(outputDir)
  const text = await readTextIfPresent(path, 'the batch queue')
  if (text === null) return null
  const damaged = (why: string): never => {
    throw new FileAccessError(
      'FILE_CORRUPT',
      `The batch queue ${path} is damaged (${why}). Finished archives in ${outputDir} are intact; ` +
        `start a fresh queue (CLI: --fresh) and existing outputs will be skipped.`,
      { path },
    )
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    return damaged(jsonProblem(err, text))
  }
  const parsed = queueFileSchema.safeParse(raw)
  if (!parsed.success) return damaged(describeIssue(parsed.error))
  const file = parsed.data
  let recipe
  try {
    recipe = validateRecipe(file.recipe, { steps, source: `${path} (recipe)` })
  } catch (err) {
    if (err instanceof ConfigurationError) damaged(err.message)
    throw err
  }
  const seen = new Set<string>()
  const items = file.items.map((it, i) => {
    if (seen.has(it.id)) damaged(`'items[${i}].id' '${it.id}' is in the queue twice`)
    seen.add(it.id)
    return toItem(it, outputDir, (why) => damaged(`'items[${i}].outputPath' ${why}`))
  })
  return {
    format: QUEUE_FORMAT,
    version: QUEUE_VERSION,
    outputDir,
    createdAt: file.createdAt ?? '',
    updatedAt: file.updatedAt ?? '',
    recipe,
    options: file.options,
    ...(file.engine ? { engine: file.engine } : {}),
    items,
  }
}

/**
 * An item as read back. Its archive is always `<outputDir>/<id>.h5` of the folder the queue is in
 * (the folder may have moved, or be mounted elsewhere on a cluster); a stored outputPath that names
 * another file or climbs out with `..` is refused, so an edited queue cannot make a batch write
 * outside its output folder.
 */
function toItem(it: ParsedQueueItem, outputDir: string, badPath: (why: string) => never): BatchItem {
  const segments = it.outputPath.split(/[\\/]/)
  if (segments.includes('..')) badPath(`'${it.outputPath}' climbs out of the output folder`)
  if (segments.at(-1) !== `${it.id}.h5`) badPath(`'${it.outputPath}' is not the item's archive ${it.id}.h5`)
  return {
    id: it.id,
    datasetId: it.datasetId ?? it.id,
    cmcrPath: it.cmcrPath ?? null,
    cmtrPath: it.cmtrPath ?? null,
    origin: it.origin ?? '',
    outputPath: join(outputDir, `${it.id}.h5`),
    state: it.state as ItemState,
    progress: null,
    completedSteps: it.completedSteps ?? [],
    error: it.error ?? null,
    note: it.note ?? null,
    attempts: it.attempts ?? 0,
    addedAt: it.addedAt ?? '',
    startedAt: it.startedAt ?? null,
    finishedAt: it.finishedAt ?? null,
    elapsedS: it.elapsedS ?? 0,
    etaS: null,
    crashes: it.crashes ?? 0,
    cluster: it.cluster ?? null,
  }
}

/**
 * Removes the `.queue.json.*.tmp` temp files a killed writer of the queue left behind (only the lock
 * holder writes the queue, so while we hold the lock every such file is stray). Returns their names.
 */
export async function removeStrayTemps(outputDir: string): Promise<string[]> {
  const dir = batchDir(outputDir)
  const names = await readdir(dir).catch(() => [] as string[])
  const stray = names.filter((n) => /^\.queue\.json\..*\.tmp$/.test(n))
  await Promise.all(stray.map((n) => rm(join(dir, n), { force: true })))
  return stray
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
