// State transitions of one queue item (plain mutations; the queue announces and persists them), and
// the normalised batch options.

import { ConfigurationError } from '../../src-shared/errors'
import { join } from 'node:path'
import { unsafeItemIdReason, type BatchItem, type BatchOptions } from '../../src-shared/batchModel'
import type { BatchInput } from './discovery'
import { isoNow } from '../session/session'

export type FinalState = 'done' | 'skipped' | 'failed' | 'cancelled'

export function requeueItem(item: BatchItem, note: string | null = null): void {
  item.state = 'queued'
  item.error = null
  item.note = note
  item.progress = null
  item.etaS = null
  item.finishedAt = null
}

/** A user's retry: back to the queue with a fresh crash budget. */
export function retryItem(item: BatchItem): void {
  requeueItem(item)
  item.crashes = 0
}

export function finishItem(item: BatchItem, state: FinalState, extra: { note?: string; error?: BatchItem['error']; started?: number }): void {
  item.state = state
  item.note = extra.note ?? null
  item.error = extra.error ?? null
  item.progress = null
  item.etaS = null
  item.finishedAt = isoNow()
  if (extra.started !== undefined) item.elapsedS = (performance.now() - extra.started) / 1000
}

/** Resets an item for a new attempt, before its first await (so a scheduler cannot pick it twice). */
export function startItem(item: BatchItem, stepCount: number): void {
  item.state = 'running'
  item.attempts++
  item.startedAt = isoNow()
  item.finishedAt = null
  item.error = null
  item.note = null
  item.elapsedS = 0
  item.etaS = null
  item.progress = { stepIndex: 0, stepCount, stepId: null, fraction: 0 }
}

export function normalizeOptions(o: BatchOptions): BatchOptions {
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

/**
 * Appends new items for `inputs` to `items` (in place). An id already in the queue is rejected when it
 * names other files (its output would collide), as is an id that cannot name an archive.
 */
export function addInputs(items: BatchItem[], inputs: readonly BatchInput[], outputDir: string): { added: BatchItem[]; rejected: string[] } {
  const added: BatchItem[] = []
  const rejected: string[] = []
  for (const input of inputs) {
    const unusable = unsafeItemIdReason(input.datasetId)
    if (unusable) {
      rejected.push(`${input.origin}: dataset id '${input.datasetId}' cannot name an archive (${unusable})`)
      continue
    }
    const clash = items.find((i) => i.id === input.datasetId)
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
      outputPath: join(outputDir, `${input.datasetId}.h5`),
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
      crashes: 0,
      cluster: null,
    }
    items.push(item)
    added.push(item)
  }
  return { added, rejected }
}
