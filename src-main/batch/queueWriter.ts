// Writes the queue file after state changes: calls made while a write is in flight are folded into one
// more write, so the file always ends up with the latest state and writes never pile up.

import type { QueueFile } from '../../src-shared/batchModel'
import { writeQueueFile } from './store'

export class QueueWriter {
  private chain: Promise<void> = Promise.resolve()
  private dirty = false
  private writing = false

  constructor(
    private readonly content: () => QueueFile,
    private readonly onProblem: (message: string) => void,
  ) {}

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
            } catch (err) {
              this.onProblem((err as Error).message)
            }
          }
        } finally {
          this.writing = false
        }
      })()
    }
    return this.chain
  }
}
