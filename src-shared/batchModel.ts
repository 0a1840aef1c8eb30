// The batch queue's data: items and their states, options, and the persisted queue file's shape.
// Plain JSON-able objects, shared (type-only) with the renderer through the IPC contract.

export type ItemState = 'queued' | 'running' | 'done' | 'skipped' | 'failed' | 'cancelled'

export const ITEM_STATES: readonly ItemState[] = ['queued', 'running', 'done', 'skipped', 'failed', 'cancelled']

/** States an item does not leave without a user action (retry) or an --overwrite run. */
export const FINISHED_STATES: ReadonlySet<ItemState> = new Set(['done', 'skipped', 'failed', 'cancelled'])

export interface ItemError {
  code: string
  message: string
  path?: string
  /** The recipe step that failed, when one did. */
  step?: string
}

export interface ItemProgress {
  /** 0-based index of the running step in the recipe. */
  stepIndex: number
  stepCount: number
  stepId: string | null
  /** 0..1 within the running step. */
  fraction: number
  message?: string
}

export interface BatchItem {
  /** Unique in the queue; the dataset id (the output is <outputDir>/<id>.h5). */
  id: string
  datasetId: string
  cmcrPath: string | null
  cmtrPath: string | null
  origin: string
  outputPath: string
  state: ItemState
  progress: ItemProgress | null
  /** Recipe steps this item has finished (kept in its checkpoint until the archive is saved). */
  completedSteps: string[]
  error: ItemError | null
  /** Why it was skipped, e.g. the output that already existed. */
  note: string | null
  attempts: number
  addedAt: string
  startedAt: string | null
  finishedAt: string | null
  /** Wall time of the latest attempt, in seconds (live while running). */
  elapsedS: number
  /** Estimated seconds left while running, null when there is nothing to estimate from yet. */
  etaS: number | null
  /** Times the program died while this item ran (two make it fail: the crash budget). */
  crashes: number
  /** The cluster task that runs or ran this item (SLURM engine), else null. */
  cluster: ClusterTask | null
}

export interface ClusterTask {
  jobId: string
  arrayTaskId: number
  node?: string | null
  /** SLURM's state of the task when it was last looked at (RUNNING, PENDING, TIMEOUT, ...). */
  schedulerState?: string | null
}

/** The message of an item that was running twice when its program died. */
export const CRASH_BUDGET_MESSAGE = 'crashed the worker twice; skipped'

export interface BatchOptions {
  /** Recordings processed at once. */
  concurrency: number
  /** Worker threads each recording may use at once. */
  workersPerItem: number
  /** Replace existing archives instead of skipping their recordings. */
  overwrite: boolean
}

export const DEFAULT_OPTIONS: BatchOptions = { concurrency: 1, workersPerItem: 2, overwrite: false }

export const QUEUE_FORMAT = 'hdmea-batch-queue'
export const QUEUE_VERSION = 1

/** The queue file <outputDir>/.hdmea-batch/queue.json. */
export interface QueueFile {
  format: typeof QUEUE_FORMAT
  version: typeof QUEUE_VERSION
  outputDir: string
  createdAt: string
  updatedAt: string
  recipe: Recipe
  options: BatchOptions
  /** Who runs the queue: this program (absent or local) or a SLURM cluster. */
  engine?: EngineInfo
  items: BatchItem[]
}

export type EngineInfo = { kind: 'local' } | SlurmEngineInfo

export interface SlurmEngineInfo {
  kind: 'slurm'
  partition: string | null
  /** Extra sbatch arguments, passed as given. */
  sbatchArgs: string[]
  /** At most this many array tasks at once (`--array=...%N`). */
  maxParallel: number
  /** Path prefixes rewritten on the cluster (a PC's `O:\data` -> the nodes' `/mnt/lab/data`). */
  pathMap: { from: string; to: string }[]
  /** The Node binary and the CLI script the tasks run. */
  node: string
  cli: string
  /** Per-task requests: CPUs (workers per item), memory in MB, time limit in minutes. */
  resources: { cpus: number; memMB: number; timeMin: number }
  /** Every sbatch of this queue: its job id and the item indexes of its array. */
  submissions: { jobId: string; indexes: number[]; submittedAt: string }[]
}

export interface BatchSnapshot extends QueueFile {
  /** True while the runner works through the queue. */
  running: boolean
  /** Which engine runs the queue ('slurm': a cluster fills the folder; this view only watches). */
  engineKind: EngineInfo['kind']
  /** True when this program only watches the queue (a cluster runs it): no actions. */
  readOnly: boolean
  counts: Record<ItemState, number>
  /** Estimated seconds until the whole queue is through, when known. */
  etaS: number | null
}

export interface BatchSummary {
  counts: Record<ItemState, number>
  items: Pick<BatchItem, 'id' | 'state' | 'elapsedS' | 'error' | 'note' | 'outputPath'>[]
  /** True when the runner was stopped (interrupted) before the queue was through. */
  interrupted: boolean
}

export function countStates(items: readonly BatchItem[]): Record<ItemState, number> {
  const counts = Object.fromEntries(ITEM_STATES.map((s) => [s, 0])) as Record<ItemState, number>
  for (const item of items) counts[item.state]++
  return counts
}

// ---------- recipes (validated and loaded in src-main/batch/recipe.ts) ----------

export const RECIPE_FORMAT = 'hdmea-batch-recipe'
export const RECIPE_VERSION = 1

export interface RecipeStep {
  step: string
  /** Only the parameters the user set; defaults are filled in by the step when it runs. */
  params: Record<string, unknown>
}

export interface Recipe {
  format: typeof RECIPE_FORMAT
  version: typeof RECIPE_VERSION
  name: string
  steps: RecipeStep[]
  /** Where the archives go; null means "given when the batch starts" (the CLI's --out). */
  outputDir: string | null
  /** Write a checkpoint after each step so an interrupted recording resumes from its last step. */
  checkpoint: boolean
}

// ---------- item ids ----------

/**
 * Why an item id cannot name files in the output folder (`<id>.h5`, `checkpoints/<id>.h5`,
 * `logs/<id>.log`), or null when it can. Ids come from file names, but a hand-edited queue.json or
 * an archive's dataset id can hold anything.
 */
export function unsafeItemIdReason(id: string): string | null {
  if (id.length === 0) return 'it is empty'
  if (id.length > 200) return 'it is longer than 200 characters'
  if (id === '.' || id === '..') return `'${id}' names a folder`
  if (/[/\\]/.test(id)) return 'it contains a path separator (/ or \\)'
  if (id.includes(':')) return "it contains ':' (a drive or stream name on Windows)"
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(id)) return 'it contains a control character'
  return null
}
