// The desktop's view of an output folder that a SLURM cluster fills: read-only, polled. Every few
// seconds queue.json and the tasks' state files are read again (and squeue asked when this machine
// has it); a change is announced as a new snapshot and as the items that changed.

import { countStates, type BatchItem, type BatchSnapshot, type QueueFile } from '../../../src-shared/batchModel'
import type { StepDefinition } from '../../steps/framework'
import { queueEta } from '../eta'
import { readLog, readQueueFile } from '../store'
import { clusterItems } from './clusterView'

export const WATCH_INTERVAL_MS = 2000

export interface ClusterWatchEvents {
  changed(snapshot: BatchSnapshot): void
  item(item: BatchItem): void
  /** The folder could not be read this time (the share is gone for a moment); the watch goes on. */
  problem(message: string): void
}

export class ClusterWatch {
  private latest: BatchSnapshot
  private timer: NodeJS.Timeout | null = null
  private polling = false

  private constructor(
    readonly outputDir: string,
    private readonly steps: readonly StepDefinition<any>[],
    private readonly events: ClusterWatchEvents,
    first: BatchSnapshot,
  ) {
    this.latest = first
  }

  /** Starts watching `outputDir`, whose queue.json must say a SLURM cluster runs it. */
  static async open(outputDir: string, steps: readonly StepDefinition<any>[], events: ClusterWatchEvents, intervalMs = WATCH_INTERVAL_MS): Promise<ClusterWatch> {
    const file = await readQueueFile(outputDir, steps)
    if (!file || file.engine?.kind !== 'slurm') throw new Error(`${outputDir} holds no batch run by SLURM`)
    const watch = new ClusterWatch(outputDir, steps, events, await snapshotOf(file, outputDir))
    watch.timer = setInterval(() => void watch.poll(), intervalMs)
    watch.timer.unref()
    return watch
  }

  snapshot(): BatchSnapshot {
    return this.latest
  }

  readLog(id: string): Promise<string> {
    if (!this.latest.items.some((i) => i.id === id)) throw new Error(`No recording '${id}' in the batch in ${this.outputDir}`)
    return readLog(this.outputDir, id)
  }

  close(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** Reads the folder again; announces what changed. */
  async poll(): Promise<void> {
    if (this.polling || !this.timer) return
    this.polling = true
    try {
      const file = await readQueueFile(this.outputDir, this.steps)
      if (!file || !this.timer) return
      const next = await snapshotOf(file, this.outputDir)
      const before = new Map(this.latest.items.map((i) => [i.id, JSON.stringify({ ...i, elapsedS: 0 })]))
      const changed = next.items.filter((i) => before.get(i.id) !== JSON.stringify({ ...i, elapsedS: 0 }))
      const running = next.items.some((i) => i.state === 'running')
      this.latest = next
      if (changed.length || before.size !== next.items.length || running) {
        for (const item of changed) this.events.item(item)
        this.events.changed(next)
      }
    } catch (err) {
      this.events.problem(`Cannot read the batch in ${this.outputDir}: ${(err as Error).message}`)
    } finally {
      this.polling = false
    }
  }
}

async function snapshotOf(file: QueueFile, outputDir: string): Promise<BatchSnapshot> {
  // squeue where this machine has it (a login node); a PC shows what the tasks recorded.
  const { items } = await clusterItems(file, outputDir, { scheduler: true })
  return {
    ...file,
    items,
    running: items.some((i) => i.state === 'running' || i.state === 'queued'),
    engineKind: 'slurm',
    readOnly: true,
    counts: countStates(items),
    etaS: queueEta(items, Math.max(1, file.engine?.kind === 'slurm' ? file.engine.maxParallel : 1)),
  }
}
