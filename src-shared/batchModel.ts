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
}

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
  items: BatchItem[]
}

export interface BatchSnapshot extends QueueFile {
  /** True while the runner works through the queue. */
  running: boolean
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
