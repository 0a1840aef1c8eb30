// Each item's log file (<out>/.hdmea-batch/logs/<id>.log): timestamped lines appended in order, one
// chain of writes per item so lines never interleave or reorder.

import { appendLog } from './store'

export class ItemLogs {
  private readonly chains = new Map<string, Promise<void>>()

  constructor(
    private readonly outputDir: string,
    /** Told about every line written (for live views). */
    private readonly onLine: (entry: { id: string; line: string }) => void,
    /** Told when a line could not be written (the run goes on). */
    private readonly onProblem: (message: string) => void,
  ) {}

  write(id: string, text: string): void {
    const line = `${new Date().toISOString()} ${text}`
    const prev = this.chains.get(id) ?? Promise.resolve()
    const next = prev.then(() => appendLog(this.outputDir, id, line)).catch((err) => {
      this.onProblem(`Cannot write the log of ${id}: ${(err as Error).message}`)
    })
    this.chains.set(id, next)
    this.onLine({ id, line })
  }

  /** Resolves when every line written so far is on disk. */
  async flush(): Promise<void> {
    await Promise.all([...this.chains.values()])
  }
}
