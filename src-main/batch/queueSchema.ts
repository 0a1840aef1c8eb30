// The schema of the queue file (<out>/.hdmea-batch/queue.json) and of a cluster task's item state
// file (<out>/.hdmea-batch/items/<id>.json). Both can be edited by hand or left damaged by a full
// disk, so everything read back is checked: every message names the file and the field.

import { z } from 'zod'
import { ITEM_STATES, QUEUE_FORMAT, QUEUE_VERSION, unsafeItemIdReason } from '../../src-shared/batchModel'

const itemId = z.string().superRefine((id, ctx) => {
  const why = unsafeItemIdReason(id)
  if (why) ctx.addIssue({ code: 'custom', message: `is not a usable item id (${why})` })
})

const nullableText = z.string().nullable().optional()
const itemError = z.object({ code: z.string(), message: z.string(), path: z.string().optional(), step: z.string().optional() })

/** Where a cluster task of an item runs or ran (absent for the local engine). */
export const clusterTaskSchema = z.object({
  jobId: z.string(),
  arrayTaskId: z.number().int().nonnegative(),
  node: z.string().nullable().optional(),
  /** SLURM's state of the task when it was last looked at (RUNNING, PENDING, TIMEOUT, ...). */
  schedulerState: z.string().nullable().optional(),
})

/** The fields of an item's state, shared by queue.json's items and the per-item state files. */
const progressSchema = z.object({
  stepIndex: z.number(),
  stepCount: z.number(),
  stepId: z.string().nullable(),
  fraction: z.number(),
  message: z.string().optional(),
})

const stateFields = {
  state: z.enum(ITEM_STATES as [string, ...string[]]),
  progress: progressSchema.nullable().optional(),
  completedSteps: z.array(z.string()).optional(),
  error: itemError.nullable().optional(),
  note: nullableText,
  attempts: z.number().int().nonnegative().optional(),
  crashes: z.number().int().nonnegative().optional(),
  startedAt: nullableText,
  finishedAt: nullableText,
  elapsedS: z.number().nonnegative().optional(),
  cluster: clusterTaskSchema.nullable().optional(),
}

export const queueItemSchema = z.object({
  id: itemId,
  datasetId: itemId.optional(),
  cmcrPath: z.string().nullable().optional(),
  cmtrPath: z.string().nullable().optional(),
  origin: z.string().optional(),
  outputPath: z.string(),
  addedAt: z.string().optional(),
  ...stateFields,
})

export const itemStateSchema = z.object({
  format: z.literal('hdmea-batch-item'),
  id: itemId,
  updatedAt: z.string(),
  ...stateFields,
})

export const optionsSchema = z.object({
  concurrency: z.number(),
  workersPerItem: z.number(),
  overwrite: z.boolean(),
})

const slurmEngineSchema = z.object({
  kind: z.literal('slurm'),
  partition: z.string().nullable(),
  sbatchArgs: z.array(z.string()),
  maxParallel: z.number().int().positive(),
  pathMap: z.array(z.object({ from: z.string(), to: z.string() })),
  node: z.string(),
  cli: z.string(),
  resources: z.object({ cpus: z.number().int().positive(), memMB: z.number().int().positive(), timeMin: z.number().int().positive() }),
  submissions: z.array(z.object({ jobId: z.string(), indexes: z.array(z.number().int().nonnegative()), submittedAt: z.string() })),
})

export const engineSchema = z.discriminatedUnion('kind', [z.object({ kind: z.literal('local') }), slurmEngineSchema])

export const queueFileSchema = z.object({
  format: z.literal(QUEUE_FORMAT),
  version: z.literal(QUEUE_VERSION),
  outputDir: z.string().optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  recipe: z.unknown(),
  options: optionsSchema,
  engine: engineSchema.optional(),
  items: z.array(queueItemSchema),
})

export type ParsedQueueFile = z.infer<typeof queueFileSchema>
export type ParsedQueueItem = z.infer<typeof queueItemSchema>
export type ParsedItemState = z.infer<typeof itemStateSchema>

/** The first problem zod found, as "items[3].id is not a usable item id (...)". */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]
  const field = issue.path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '')
  const message = issue.code === 'custom' ? issue.message : `${issue.message.replace(/^Invalid input: /, '')}`
  return field ? `'${field}' ${message}` : message
}
