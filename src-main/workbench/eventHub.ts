// Fans workbench events out to the transports' listeners; one failing listener (a closed socket) does
// not keep the event from the others.

import type { EventName, Events } from '../../src-shared/contract'
import { EVENT_PAYLOADS } from '../../src-shared/contractSchemas'
import { describeFirstIssue } from '../../src-shared/schemaIssues'
import { toWireError } from '../../src-shared/wire'

export type EventListener = <E extends EventName>(name: E, payload: Events[E]) => void

export class EventHub {
  private readonly listeners = new Set<EventListener>()

  /** `onListenerError` is told of a listener that threw; it must not emit (that could fail the same way). */
  constructor(private readonly onListenerError: (message: string) => void) {}

  on(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  emit<E extends EventName>(name: E, payload: Events[E]): void {
    // A payload off the contract is a bug here, not the renderer's: said in the log, and still sent.
    const checked = EVENT_PAYLOADS[name].safeParse(payload, { reportInput: true })
    if (!checked.success) this.onListenerError(`event '${name}' does not match the contract: ${describeFirstIssue(checked.error).message}`)
    for (const l of this.listeners) {
      try {
        l(name, payload)
      } catch (err) {
        this.onListenerError(`event listener failed: ${toWireError(err).message}`)
      }
    }
  }
}
