// Sending content batches with back-pressure: at most `window` batches are on their way unanswered, so
// the receiver is never flooded and the sender's memory for batches in flight stays bounded. Both
// directions use it (main -> thread for a write, thread -> main for a read).

import { CancelledError } from '../../../src-shared/errors'
import { type ContentBatch, transferListOf } from './contentBatches'

/** Batches on their way before the sender waits for an acknowledgement. */
export const BATCH_WINDOW = 2

export class AckWindow {
  private acked = -1
  private waiters: Array<{ seq: number; resolve: () => void; reject: (err: Error) => void }> = []
  private failure: Error | null = null

  ack(seq: number): void {
    if (seq > this.acked) this.acked = seq
    this.waiters = this.waiters.filter((w) => {
      if (w.seq > this.acked) return true
      w.resolve()
      return false
    })
  }

  /** Wakes every waiter with `err` (the job failed or was cancelled). */
  fail(err: Error): void {
    this.failure = err
    for (const w of this.waiters) w.reject(err)
    this.waiters = []
  }

  /** Resolves once batch `seq` (and every one before it) is acknowledged. */
  until(seq: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure)
    if (seq <= this.acked) return Promise.resolve()
    return new Promise((resolve, reject) => this.waiters.push({ seq, resolve, reject }))
  }
}

const turn = () => new Promise<void>((r) => setImmediate(r))

/**
 * Posts every batch (its buffers transferred), keeping at most BATCH_WINDOW unacknowledged, and gives
 * the event loop a turn after each. Returns the number of nodes sent.
 */
export async function sendBatches(
  batches: Iterable<ContentBatch>,
  post: (seq: number, batch: ContentBatch, transfer: ArrayBuffer[]) => void,
  acks: AckWindow,
  signal?: AbortSignal,
): Promise<number> {
  let seq = 0
  let nodes = 0
  for (const batch of batches) {
    if (signal?.aborted) throw new CancelledError()
    nodes += batch.count
    post(seq, batch, transferListOf(batch))
    await acks.until(seq - BATCH_WINDOW + 1)
    await turn()
    seq++
  }
  await acks.until(seq - 1)
  return nodes
}
