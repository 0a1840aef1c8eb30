// A cluster task's own record of its item: <out>/.hdmea-batch/items/<id>.json, written only by the task
// running that item (and by the submitter before it submits the item, when no task of it is active),
// always by atomic rename. The queue view merges these files over queue.json.

import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { FileAccessError } from '../../../src-shared/errors'
import type { BatchItem } from '../../../src-shared/batchModel'
import { writeTextAtomically } from '../../files/atomicWrite'
import { readTextIfPresent } from '../../files/readText'
import { batchTempPath } from '../tempFiles'
import { describeIssue, itemStateSchema, type ParsedItemState } from '../queueSchema'
import { batchDir } from '../store'

export const itemStateDir = (outputDir: string) => join(batchDir(outputDir), 'items')
export const itemStatePath = (outputDir: string, id: string) => join(itemStateDir(outputDir), `${id}.json`)

/** The fields of an item a state file carries. */
export type ItemStateFields = Pick<
  BatchItem,
  'state' | 'progress' | 'completedSteps' | 'error' | 'note' | 'attempts' | 'crashes' | 'startedAt' | 'finishedAt' | 'elapsedS' | 'cluster'
>

export async function writeItemState(outputDir: string, item: BatchItem): Promise<void> {
  await mkdir(itemStateDir(outputDir), { recursive: true })
  const record = {
    format: 'hdmea-batch-item',
    id: item.id,
    updatedAt: new Date().toISOString(),
    state: item.state,
    progress: item.progress,
    completedSteps: item.completedSteps,
    error: item.error,
    note: item.note,
    attempts: item.attempts,
    crashes: item.crashes,
    startedAt: item.startedAt,
    finishedAt: item.finishedAt,
    elapsedS: item.elapsedS,
    cluster: item.cluster,
  }
  await writeTextAtomically(itemStatePath(outputDir, item.id), `${JSON.stringify(record, null, 1)}\n`, { overwrite: true, what: 'item state file', tempPath: batchTempPath })
}

/** The item's state file, or null when its task has not written one. */
export async function readItemState(outputDir: string, id: string): Promise<ParsedItemState | null> {
  const path = itemStatePath(outputDir, id)
  const text = await readTextIfPresent(path, 'the item state')
  if (text === null) return null
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new FileAccessError('FILE_CORRUPT', `The item state ${path} is damaged (invalid JSON: ${(err as Error).message})`, { path })
  }
  const parsed = itemStateSchema.safeParse(raw)
  if (!parsed.success) throw new FileAccessError('FILE_CORRUPT', `The item state ${path} is damaged (${describeIssue(parsed.error)})`, { path })
  if (parsed.data.id !== id) throw new FileAccessError('FILE_CORRUPT', `The item state ${path} is damaged ('id' is '${parsed.data.id}', not '${id}')`, { path })
  return parsed.data
}

/** Copies a state file's fields onto the item. */
export function applyItemState(item: BatchItem, s: ParsedItemState): void {
  item.state = s.state as BatchItem['state']
  item.progress = s.progress ?? null
  item.completedSteps = s.completedSteps ?? item.completedSteps
  item.error = s.error ?? null
  item.note = s.note ?? null
  item.attempts = s.attempts ?? item.attempts
  item.crashes = s.crashes ?? item.crashes
  item.startedAt = s.startedAt ?? null
  item.finishedAt = s.finishedAt ?? null
  item.elapsedS = s.elapsedS ?? 0
  item.cluster = s.cluster ?? null
}
