// State transitions of one queue item (plain mutations; the queue announces and persists them), and
// the normalised batch options.

import { ConfigurationError } from '../../src-shared/errors'
import type { BatchItem, BatchOptions } from '../../src-shared/batchModel'
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
