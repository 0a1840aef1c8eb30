// The contract (contract.ts) as zod schemas, checked where messages cross a process boundary: every
// request's params when a transport hands them to the workbench (the web host is a network surface:
// anything can arrive), every event's payload before a transport sends it. The request schemas check
// the shape (names, types) and leave the rules about values (a positive threshold, an existing file) to
// the handlers, whose messages say more. The compiler keeps the schemas and the TypeScript table equal.

import { z } from 'zod'
import type { EventName, ParamsOf, RequestName } from './contract'
import { ITEM_STATES } from './batchModel'

const none = z.object({})
const text = z.string()
const optionalText = z.string().optional()
const dialogFilter = z.object({ name: z.string(), extensions: z.array(z.string()) })
const batchOptions = z.object({ concurrency: z.number(), workersPerItem: z.number(), overwrite: z.boolean() })
const stepParams = z.record(z.string(), z.unknown())

export const REQUEST_PARAMS = {
  'app.info': none,
  'steps.list': none,
  'settings.get': none,
  'settings.set': z.object({
    memoryWarningGb: z.number().optional(),
    outputDir: optionalText,
    allowedFolders: z.array(z.string()).optional(),
    pluginFolders: z.array(z.string()).optional(),
    python: optionalText,
    workerThreads: z.number().optional(),
  }),
  'plugins.list': none,
  'plugins.reload': none,
  'recent.list': none,
  'files.list': z.object({ dir: optionalText, extensions: z.array(z.string()).optional() }),
  'files.check': z.object({ path: text }),
  'dialog.open': z.object({
    title: optionalText,
    filters: z.array(dialogFilter).optional(),
    directory: z.boolean().optional(),
    multiple: z.boolean().optional(),
    defaultPath: optionalText,
  }),
  'dialog.save': z.object({ title: optionalText, filters: z.array(dialogFilter).optional(), defaultPath: optionalText }),
  'session.get': none,
  'session.open': z.object({
    cmcrPath: z.string().nullable().optional(),
    cmtrPath: z.string().nullable().optional(),
    datasetId: optionalText,
    outputDir: optionalText,
  }),
  'session.openDemo': none,
  'session.close': none,
  'session.save': z.object({ path: optionalText, overwrite: z.boolean().optional() }),
  'session.checkpoint': z.object({ path: optionalText, name: optionalText }),
  'session.resume': z.object({ path: text }),
  'session.cancelOperation': none,
  'step.validate': z.object({ stepId: text, params: stepParams }),
  'step.run': z.object({ stepId: text, params: stepParams }),
  'job.cancel': z.object({ jobId: text }),
  'log.list': z.object({ since: z.number().optional() }),
  'log.report': z.object({ level: z.enum(['warn', 'error']), source: z.literal('renderer'), message: text, stack: optionalText }),
  'log.diagnostics': none,
  'log.openFolder': none,
  'app.takeOpenRequests': none,
  'stimulus.playlists': z.object({ path: optionalText }),
  'chart.units': none,
  'chart.lightReference': z.object({
    channel: optionalText,
    startS: z.number().optional(),
    endS: z.number().optional(),
    maxPoints: z.number().optional(),
  }),
  'chart.raster': z.object({ unitId: text, movie: optionalText, binS: z.number().optional() }),
  'chart.firingRate': z.object({ unitId: text, maxPoints: z.number().optional() }),
  'chart.sta': z.object({ unitId: text, feature: optionalText }),
  'chart.eimage': z.object({ unitId: text }),
  'chart.chipMap': none,
  'chart.footprint': z.object({ unitId: text, threshold: z.number().optional() }),
  'batch.get': none,
  'batch.open': z.object({ outputDir: text, recipe: z.unknown().optional(), options: batchOptions.partial().optional(), fresh: z.boolean().optional() }),
  'batch.close': none,
  'batch.add': z.object({ paths: z.array(z.string()) }),
  'batch.start': none,
  'batch.stop': none,
  'batch.cancel': z.object({ id: optionalText }),
  'batch.retry': z.object({ id: optionalText }),
  'batch.remove': z.object({ id: text }),
  'batch.setOptions': batchOptions.partial(),
  'batch.setRecipe': z.object({ recipe: z.unknown() }),
  'batch.defaultRecipe': none,
  'batch.loadRecipe': z.object({ path: text }),
  'batch.saveRecipe': z.object({ path: text, recipe: z.unknown().optional() }),
  'batch.log': z.object({ id: text }),
} satisfies { [K in RequestName]: z.ZodType<ParamsOf<K>> }

// The other direction: every field the table declares is in the schema (a field missing from a schema
// would be stripped before the handler sees it). A request whose params differ fails to compile here.
type Mismatched = {
  [K in RequestName]: string extends keyof ParamsOf<K> ? never : [Exclude<keyof ParamsOf<K>, keyof z.output<(typeof REQUEST_PARAMS)[K]>>] extends [never] ? never : K
}[RequestName]
const requestSchemasMatch: [Mismatched] extends [never] ? true : Mismatched = true
void requestSchemasMatch

// Events: the fields the renderer relies on; larger nested data passes as it is (main built it).
const wireError = z.looseObject({ code: z.string(), message: z.string(), path: z.string().optional(), parameter: z.string().optional() })
const jobInfo = z.looseObject({ jobId: z.string(), stepId: z.string(), startedAt: z.number() })
const openRequest = z.union([
  z.looseObject({ kind: z.literal('recording'), cmcrPath: z.string().nullable(), cmtrPath: z.string().nullable() }),
  z.looseObject({ kind: z.literal('archive'), path: z.string() }),
])
const batchItem = z.looseObject({
  id: z.string(),
  state: z.enum(ITEM_STATES as [string, ...string[]]),
  outputPath: z.string(),
  attempts: z.number(),
  error: wireError.nullable(),
})
const batchSnapshot = z.looseObject({
  outputDir: z.string(),
  running: z.boolean(),
  readOnly: z.boolean(),
  items: z.array(batchItem),
  options: batchOptions,
})
const sessionSnapshot = z.looseObject({
  datasetId: z.string(),
  saveState: z.enum(['deferred', 'saved']),
  modifiedSinceSave: z.boolean(),
  hdf5Path: z.string().nullable(),
  outputDir: z.string(),
  unitCount: z.number(),
  memoryBytes: z.number(),
  completedSteps: z.array(z.string()),
  warnings: z.array(z.looseObject({ step: z.string().nullable(), message: z.string() })),
  steps: z.array(z.looseObject({ id: z.string(), state: z.enum(['done', 'ready', 'blocked', 'running', 'failed']), missing: z.array(z.array(z.string())) })),
  suggestedParams: z.record(z.string(), stepParams),
  runningJob: jobInfo.nullable(),
})

export const EVENT_PAYLOADS = {
  'session.changed': sessionSnapshot.nullable(),
  'session.operation': z
    .looseObject({ operation: z.enum(['saving', 'writing a checkpoint', 'resuming']), bytesDone: z.number(), bytesTotal: z.number() })
    .nullable(),
  'job.started': jobInfo,
  'job.progress': z.looseObject({
    jobId: z.string(),
    stepId: z.string(),
    fraction: z.number(),
    message: optionalText,
    elapsedSeconds: z.number(),
    etaSeconds: z.number().nullable(),
  }),
  'job.finished': z.looseObject({
    jobId: z.string(),
    stepId: z.string(),
    status: z.enum(['done', 'failed', 'cancelled']),
    summary: optionalText,
    warnings: z.array(z.string()),
    error: wireError.optional(),
    seconds: z.number(),
  }),
  log: z.looseObject({ seq: z.number(), time: z.string(), level: z.enum(['info', 'warn', 'error']), message: z.string(), step: optionalText }),
  'menu.command': z.looseObject({ command: z.enum(['open', 'save', 'saveAs', 'checkpoint', 'resume']) }),
  'app.openFile': openRequest,
  'batch.changed': batchSnapshot.nullable(),
  'batch.item': batchItem,
  'batch.log': z.looseObject({ id: z.string(), line: z.string() }),
} satisfies { [E in EventName]: z.ZodType }
