// The one session the workbench works on, with what the workbench knows about it beyond the session
// itself: where it was saved or opened from, the last error and summary of each step, the demo's advice.

import type { WireError } from '../../src-shared/contract'
import { RequestError } from '../../src-shared/wire'
import type { PipelineSession } from '../session/session'

export class CurrentSession {
  session: PipelineSession | null = null
  /** The file this workbench last saved the session to (a plain Save goes there again without asking). */
  savedPath: string | null = null
  openedFrom: string | null = null
  readonly stepErrors = new Map<string, WireError>()
  readonly stepSummaries = new Map<string, string>()
  recommended: Record<string, Record<string, unknown>> = {}
  memoryWarned = false

  replace(session: PipelineSession | null): void {
    this.session = session
    this.savedPath = null
    this.openedFrom = null
    this.stepErrors.clear()
    this.stepSummaries.clear()
    this.recommended = {}
    this.memoryWarned = false
  }

  require(): PipelineSession {
    if (!this.session) throw new RequestError('NO_SESSION', 'No session is open; open a recording, the demo, or resume a checkpoint first')
    return this.session
  }
}
