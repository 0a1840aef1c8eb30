// Files to open that arrive before the window listens (the file of the very launch) wait here until
// the renderer takes them (app.takeOpenRequests after its start); later ones go straight out as
// app.openFile events. So nothing is lost and nothing is opened twice.

import type { OpenRequest } from '../../src-shared/contract'

export class OpenQueue {
  private pending: OpenRequest[] = []
  private listening = false

  constructor(private readonly emit: (request: OpenRequest) => void) {}

  push(requests: readonly OpenRequest[]): void {
    for (const r of requests) {
      if (this.listening) this.emit(r)
      else this.pending.push(r)
    }
  }

  /** What waited so far; from now on requests are emitted as events. */
  take(): OpenRequest[] {
    this.listening = true
    const out = this.pending
    this.pending = []
    return out
  }

  /** The window is gone or reloading: hold requests again until the next take(). */
  pause(): void {
    this.listening = false
  }
}
