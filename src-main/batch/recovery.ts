// What a queue's items mean when it is opened again after its runner stopped, crashed or was killed.

import { stat } from 'node:fs/promises'
import { CRASH_BUDGET_MESSAGE, type BatchItem } from '../../src-shared/batchModel'
import { exists } from './itemRun'
import { finishItem, requeueItem } from './itemState'
import { removeCheckpoint } from './store'

/** The program may die this many times while an item runs before the item is failed and skipped. */
export const CRASH_BUDGET = 2

/**
 * An item left "running" either finished its save just before (its archive was written during that
 * attempt: done) or goes back to the queue to resume from its checkpoint, unless the program died
 * while it ran for the second time: an item that kills its program (absurd sizes, a memory blow-up)
 * would otherwise be picked first by every restart and the items behind it would never run. A done
 * item whose archive is gone is queued again.
 */
export async function recoverAfterRestart(items: BatchItem[], outputDir: string, log: (item: BatchItem, text: string) => void): Promise<void> {
  for (const item of items) {
    item.progress = null
    item.etaS = null
    if (item.state === 'running') {
      const savedAt = await stat(item.outputPath).then(
        (s) => s.mtimeMs,
        () => null,
      )
      if (savedAt !== null && item.startedAt && savedAt >= Date.parse(item.startedAt)) {
        await removeCheckpoint(outputDir, item.id)
        finishItem(item, 'done', { note: 'saved just before the batch was interrupted' })
        log(item, 'the archive was saved before the interruption; marked done')
        continue
      }
      item.crashes = (item.crashes ?? 0) + 1
      if (item.crashes >= CRASH_BUDGET) {
        finishItem(item, 'failed', { error: { code: 'WORKER_CRASHED', message: CRASH_BUDGET_MESSAGE } })
        log(item, `the program died while this recording ran (${item.crashes} times): ${CRASH_BUDGET_MESSAGE}`)
      } else {
        requeueItem(item, 'interrupted; resumes from its last checkpoint')
        log(item, 'the batch was interrupted while this recording ran; it resumes from its last checkpoint')
      }
    } else if (item.state === 'done' && !(await exists(item.outputPath))) {
      requeueItem(item, 'its archive is gone; processing again')
      log(item, `the archive ${item.outputPath} no longer exists; queued again`)
    }
  }
}
