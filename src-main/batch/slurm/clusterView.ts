// The state of a queue that a SLURM cluster runs, as one list of items: queue.json (what was
// submitted), each task's state file (what the task did), and the scheduler's view (pending, running,
// or ended without finishing: killed for time or memory, cancelled, node failure).

import type { BatchItem, QueueFile, SlurmEngineInfo } from '../../../src-shared/batchModel'
import { ENDED_STATES, taskStates, type TaskSchedulerState } from './commands'
import { applyItemState, readItemState } from './itemStateFile'

/** The array task that runs (or last ran) the item at `index`: from its state file, else from the latest submission. */
export function taskOf(item: BatchItem, index: number, engine: SlurmEngineInfo): { jobId: string; arrayTaskId: number } | null {
  const latest = [...engine.submissions].reverse().find((s) => s.indexes.includes(index))
  if (item.cluster && (!latest || Number(item.cluster.jobId) >= Number(latest.jobId))) return item.cluster
  return latest ? { jobId: latest.jobId, arrayTaskId: index } : null
}

const ENDED_MESSAGES: Record<string, string> = {
  TIMEOUT: 'killed by SLURM: the time limit was reached (TIMEOUT); raise it with --time',
  OUT_OF_MEMORY: 'killed by SLURM: out of memory (OUT_OF_MEMORY); raise it with --mem',
  NODE_FAIL: 'the node running it failed (NODE_FAIL)',
  PREEMPTED: 'preempted by SLURM (PREEMPTED)',
  BOOT_FAIL: 'the node could not boot (BOOT_FAIL)',
  DEADLINE: 'the deadline passed (DEADLINE)',
  CANCELLED: 'cancelled in SLURM (scancel) before it finished',
}

/** Ends imposed by SLURM rather than by the task or a user. */
const KILLED_STATES = new Set(['TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE'])

function endedMessage(key: string, t: TaskSchedulerState | undefined): string {
  if (!t) return `SLURM task ${key} ended without recording an end state, and SLURM no longer knows it (no accounting to say why)`
  const why = ENDED_MESSAGES[t.state] ?? `it ended as ${t.state}${t.reason && t.reason !== 'None' ? ` (${t.reason})` : ''} without recording an end state`
  return `SLURM task ${key}: ${why}`
}

export interface ClusterItems {
  items: BatchItem[]
  /** Whether the scheduler could be asked (false: state files only, e.g. on a PC without SLURM). */
  schedulerSeen: boolean
}

/**
 * The merged items of a SLURM queue. The scheduler is asked first and the state files read after it,
 * so a task seen as ended has written its last state by the time its file is read.
 */
export async function clusterItems(file: QueueFile, outputDir: string, opts: { scheduler: boolean }): Promise<ClusterItems> {
  const engine = file.engine?.kind === 'slurm' ? file.engine : null
  let scheduler: Map<string, TaskSchedulerState> | null = null
  if (engine && opts.scheduler) {
    scheduler = await taskStates([...new Set(engine.submissions.map((s) => s.jobId))]).catch(() => null)
  }
  const items = await Promise.all(
    file.items.map(async (base, index) => {
      const item: BatchItem = { ...base }
      const saved = await readItemState(outputDir, item.id)
      if (saved) applyItemState(item, saved)
      if (!engine || item.state === 'done' || item.state === 'skipped') return item
      const task = taskOf(item, index, engine)
      if (!task) return item
      const key = `${task.jobId}_${task.arrayTaskId}`
      item.cluster = { ...task, node: item.cluster?.node ?? null, schedulerState: item.cluster?.schedulerState ?? null }
      if (!scheduler) return item
      const t = scheduler.get(key)
      if (t?.node) item.cluster.node = t.node
      if (t) item.cluster.schedulerState = t.state
      if (t && !ENDED_STATES.has(t.state)) {
        if (t.state === 'PENDING') item.note = `pending in SLURM${t.reason && t.reason !== 'None' ? ` (${t.reason})` : ''}`
        if (item.state === 'running' && item.startedAt) item.elapsedS = (Date.now() - Date.parse(item.startedAt)) / 1000
        return item
      }
      // SLURM killed it (time, memory, node): whatever the task managed to record, SLURM's reason stands.
      if (t && KILLED_STATES.has(t.state)) {
        item.state = 'failed'
        item.progress = null
        item.error = { code: `SLURM_${t.state}`, message: endedMessage(key, t) }
        return item
      }
      if (item.state !== 'queued' && item.state !== 'running') return item
      // The task is gone but the item never reached an end state: it died (or never started).
      item.progress = null
      if (t?.state === 'CANCELLED') {
        item.state = 'cancelled'
        item.note = endedMessage(key, t)
      } else {
        item.state = 'failed'
        item.error = { code: t ? `SLURM_${t.state}` : 'SLURM_TASK_LOST', message: endedMessage(key, t) }
      }
      return item
    }),
  )
  return { items, schedulerSeen: scheduler !== null }
}

/** Job ids of the submissions that still have queued or running items. */
export function activeJobIds(items: readonly BatchItem[]): string[] {
  return [...new Set(items.filter((i) => (i.state === 'queued' || i.state === 'running') && i.cluster).map((i) => i.cluster!.jobId))]
}
