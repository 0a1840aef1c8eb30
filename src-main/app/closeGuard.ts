// Closing the desktop window (or quitting) with unsaved work asks Save / Discard / Cancel, like every
// way of replacing a session in the renderer (src-shared/unsavedWork.ts holds the rule). The question
// and the save are injected, so the flow is tested without Electron.

import type { SessionSnapshot } from '../../src-shared/contract'
import { hasUnsavedWork, unsavedWorkSummary } from '../../src-shared/unsavedWork'

export interface CloseQuestion {
  message: string
  detail: string
  /** Button labels; the answer is the index of the one chosen (the last one is Cancel). */
  buttons: string[]
}

export interface CloseGuardDeps {
  snapshot(): SessionSnapshot | null
  ask(q: CloseQuestion): Promise<number>
  /** Saves to the session's file or default path; rejects with { code: 'FILE_EXISTS', message } when another file is there. */
  save(overwrite: boolean): Promise<void>
}

/** Resolves to true when the window may close: nothing unsaved, saved, or discarded on purpose. */
export async function confirmClose(deps: CloseGuardDeps): Promise<boolean> {
  let problem = ''
  for (;;) {
    const snap = deps.snapshot()
    if (!hasUnsavedWork(snap)) return true
    const running = snap!.runningJob ? ` ${snap!.runningJob.stepId} is running and will be cancelled.` : ''
    const answer = await deps.ask({
      message: 'Save the session before closing?',
      detail: `${unsavedWorkSummary(snap!)}${running}${problem ? `\n\n${problem}` : ''}`,
      buttons: ['Save', 'Discard', 'Cancel'],
    })
    if (answer === 1) return true
    if (answer !== 0) return false
    try {
      await deps.save(false)
      return true
    } catch (err) {
      const e = err as { code?: string; message?: string }
      if (e.code === 'FILE_EXISTS') {
        const overwrite = await deps.ask({ message: 'Overwrite the existing file?', detail: e.message ?? '', buttons: ['Overwrite', 'Cancel'] })
        if (overwrite !== 0) continue
        try {
          await deps.save(true)
          return true
        } catch (again) {
          problem = `Save failed: ${(again as Error).message}`
          continue
        }
      }
      problem = `Save failed: ${e.message ?? String(err)}`
    }
  }
}
