// What the workbench's parts (step jobs, session lifecycle) share: the current session, the settings,
// the path guard, the log and the event channel.

import type { EventName, Events, SessionSnapshot } from '../../src-shared/contract'
import type { StepDefinition } from '../steps/framework'
import type { ActivityLog } from './activityLog'
import type { CurrentSession } from './currentSession'
import type { PathGuard } from './pathGuard'
import type { SettingsStore } from './settings'

export interface WorkbenchContext {
  readonly steps: StepDefinition<any>[]
  readonly current: CurrentSession
  readonly store: SettingsStore
  readonly guard: PathGuard
  readonly log: ActivityLog
  emit<E extends EventName>(name: E, payload: Events[E]): void
  snapshot(): SessionSnapshot | null
  /** Sends the current snapshot as 'session.changed' (and warns once about memory); returns it. */
  emitSession(): SessionSnapshot | null
  /** Throws BUSY while a step runs. */
  requireIdle(what: string): void
  /** Throws BUSY while a save, checkpoint, resume or open runs. */
  requireNoSessionOperation(what: string): void
}
