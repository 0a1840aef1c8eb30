// Writes the queue file after state changes: calls made while a write is in flight are folded into one
// more write, so the file always ends up with the latest state and writes never pile up. A write that
// fails (a full disk, a share gone for a moment) is tried again later by itself, so a failure recorded
// while the disk was full still reaches the file once there is room, even if nothing else changes.

import type { QueueFile } from '../../src-shared/batchModel'
import { writeQueueFile } from './store'

const RETRY_DELAYS_MS = [500, 1000, 2000, 5000, 10_000]

export class QueueWriter {
  private chain: Promise<void> = Promise.resolve()
  private dirty = false
  private writing = false
  private failures = 0
  private retryTimer: NodeJS.Timeout | null = null
  private stopped = false

  constructor(
    private readonly content: () => QueueFile,
    private readonly onProblem: (message: string) => void,
  ) {}

  /** True while the latest state could not be written. */
  get failing(): boolean {
    return this.failures > 0
  }

  write(): Promise<void> {
    this.dirty = true
    if (!this.writing) {
      this.writing = true
      this.chain = (async () => {
        try {
          while (this.dirty) {
            this.dirty = false
            try {
              await writeQueueFile(this.content())
              this.failures = 0
            } catch (err) {
              this.failures++
              this.onProblem((err as Error).message)
            }
          }
        } finally {
          this.writing = false
        }
        if (this.failures > 0) this.scheduleRetry()
      })()
    }
    return this.chain
  }

  /** Stops retrying in the background (a last write() may still be made and awaited). */
  stop(): void {
    this.stopped = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return
    const delay = RETRY_DELAYS_MS[Math.min(this.failures - 1, RETRY_DELAYS_MS.length - 1)]
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      void this.write()
    }, delay)
    this.retryTimer.unref()
  }
}
