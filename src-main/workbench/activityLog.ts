// The workbench's activity log: a bounded list of entries the renderer's Log view pages through with
// `since`, each also sent as a 'log' event.

import type { LogEntry } from '../../src-shared/contract'

const MAX_LOG = 2000

export class ActivityLog {
  private entries: LogEntry[] = []
  private seq = 0

  constructor(private readonly publish: (entry: LogEntry) => void) {}

  add(level: LogEntry['level'], message: string, step?: string): void {
    const entry = this.record(level, message, step)
    this.publish(entry)
  }

  /** Records an entry without publishing it (used when publishing itself failed). */
  record(level: LogEntry['level'], message: string, step?: string): LogEntry {
    const entry: LogEntry = { seq: ++this.seq, time: new Date().toISOString(), level, message, step }
    this.entries.push(entry)
    if (this.entries.length > MAX_LOG) this.entries.splice(0, this.entries.length - MAX_LOG)
    return entry
  }

  since(seq: number): LogEntry[] {
    return this.entries.filter((e) => e.seq > seq)
  }
}
