// The one contract between the renderer and the main process: every request (name, params, result) and
// every event (name, payload). Both transports (Electron IPC and the local web host) carry exactly this
// table, and the renderer imports it type-only. To add a request: add a row to `Requests`, its name to
// REQUEST_NAMES, and a handler in the workbench service; the preload and both transports pick it up.
// Everything here is plain JSON data (no typed arrays, no class instances).

import type { BatchItem, BatchOptions, BatchSnapshot, Recipe } from './batchModel'
import type { ParamInfo, ParamType } from './stepParams'

export type { BatchItem, BatchOptions, BatchSnapshot, ParamInfo, ParamType, Recipe }

// ---------- shared data shapes ----------

/** How errors travel: a stable code, a message naming the file and the problem, and the file if any. */
export interface WireError {
  code: string
  message: string
  path?: string
  /** The parameter the error concerns (validation errors), so the form can show it next to the field. */
  parameter?: string
  /** True when trying again may succeed (a locked file, an unreachable network share). */
  retryable?: boolean
}

export type Reply<T> = { ok: true; result: T } | { ok: false; error: WireError }

export type Transport = 'electron' | 'web'

export interface AppInfo {
  name: string
  version: string
  transport: Transport
  /** Native open/save dialogs exist (Electron); otherwise the renderer uses the server-side browser. */
  nativeDialogs: boolean
  platform: string
  workdir: string
  /** Folders the server-side file browser may show (browser mode). */
  allowedFolders: string[]
  demoAvailable: boolean
}

export interface StepInfo {
  id: string
  title: string
  description: string
  optional: boolean
  params: ParamInfo[]
  /** Each inner list is "any of"; every list must be satisfied. */
  prerequisites: string[][]
}

export type StepState = 'done' | 'ready' | 'blocked' | 'running' | 'failed'

export interface StepStatus {
  id: string
  state: StepState
  /** Prerequisite groups not yet satisfied (each a list of alternatives). */
  missing: string[][]
  /** The last error of this step in this session, if its last run failed. */
  lastError?: WireError
  /** The summary of its last successful run in this session. */
  lastSummary?: string
}

export interface SessionWarningInfo {
  step: string | null
  message: string
}

export interface SessionSnapshot {
  datasetId: string
  saveState: 'deferred' | 'saved'
  modifiedSinceSave: boolean
  /** The file a plain Save writes to without asking (the last file this session was saved to here). */
  hdf5Path: string | null
  /** The archive this session was resumed from, if any. */
  openedFrom: string | null
  outputDir: string
  sourceFiles: Record<string, string>
  unitCount: number
  memoryBytes: number
  memoryWarningBytes: number
  memoryWarning: boolean
  completedSteps: string[]
  warnings: SessionWarningInfo[]
  steps: StepStatus[]
  /** Parameters the wizard should start from per step: defaults, then what the session and the demo suggest, then the last used. */
  suggestedParams: Record<string, Record<string, unknown>>
  runningJob: JobInfo | null
  createdAt: string
  savedAt: string | null
}

export interface JobInfo {
  jobId: string
  stepId: string
  startedAt: number
}

export interface JobProgress {
  jobId: string
  stepId: string
  fraction: number
  message?: string
  elapsedSeconds: number
  /** Estimated seconds left, null until enough progress was seen. */
  etaSeconds: number | null
  bytesDone?: number
  bytesTotal?: number
}

export interface JobFinished {
  jobId: string
  stepId: string
  status: 'done' | 'failed' | 'cancelled'
  summary?: string
  warnings: string[]
  error?: WireError
  seconds: number
}

export interface ValidationResult {
  ok: boolean
  /** Per-parameter error text. */
  errors: Record<string, string>
  /** An error across parameters or about prerequisites. */
  general: string | null
  missing: string[][]
}

export interface RecentRecording {
  cmcrPath: string | null
  cmtrPath: string | null
  datasetId: string
  openedAt: string
}

export interface RecentArchive {
  path: string
  datasetId: string
  kind: 'save' | 'checkpoint' | 'opened'
  at: string
}

export interface Settings {
  /** The memory estimate above which the session panel warns, in GB (GiB). */
  memoryWarningGb: number
  /** Where sessions are saved by default and checkpoints go (a checkpoints/ folder inside). */
  outputDir: string
  /** Browser mode: the folders the file browser may show. */
  allowedFolders: string[]
  /** Folders searched for step plugins (docs/plugins.md), in this order. */
  pluginFolders: string[]
  /** The Python interpreter that `{python}` stands for in a Python plugin's command. */
  python: string
  /** Worker threads shared by the wizard's steps and the batch queue; 0 means all cores. */
  workerThreads: number
}

/** One step plugin found in a plugin folder, loaded or refused with the reason. */
export interface PluginInfo {
  /** Null when the plugin could not be read far enough to know its id. */
  id: string | null
  kind: 'javascript' | 'python'
  /** The .mjs file or the folder holding step.json. */
  location: string
  title?: string
  status: 'loaded' | 'error'
  error?: string
}

export interface PluginReport {
  folders: Array<{ path: string; exists: boolean }>
  plugins: PluginInfo[]
  /** When the last discovery ran (ISO time). */
  loadedAt: string
}

export interface FileEntry {
  name: string
  path: string
  kind: 'dir' | 'file'
  size: number
  modified: string
}

export interface DirListing {
  dir: string
  parent: string | null
  entries: FileEntry[]
  roots: string[]
}

export interface LogEntry {
  seq: number
  time: string
  level: 'info' | 'warn' | 'error'
  message: string
  step?: string
}

/** An error of the window, reported so it reaches the log on disk (worker errors reach main with their task). */
export interface ErrorReport {
  level: 'warn' | 'error'
  source: 'renderer'
  message: string
  stack?: string
}

/** A file the app was asked to open from outside (double-click, "Open with", a second launch). */
export type OpenRequest =
  | { kind: 'recording'; cmcrPath: string | null; cmtrPath: string | null }
  | { kind: 'archive'; path: string }

export interface DialogFilter {
  name: string
  extensions: string[]
}

// ---------- chart data (plain arrays, already reduced in main) ----------

export interface SectionBound {
  movie: string
  trial: number
  startS: number
  endS: number
}

export interface LightReferenceData {
  channels: string[]
  channel: string
  rateHz: number
  durationS: number
  /** Decimated (min/max per bucket) samples: times in seconds and values. */
  t: number[]
  y: number[]
  /** Detected frame times in seconds inside the window (every `frameStride`-th when there are many). */
  frames: number[]
  frameStride: number
  frameCount: number
  /** Every movie of the section table in table order (not only those in the window): stable colours on zoom. */
  movies: string[]
  sections: SectionBound[]
  pointsInWindow: number
}

export interface UnitRow {
  id: string
  row: number | null
  col: number | null
  spikeCount: number
  rateHz: number | null
  snr: number | null
  /** Largest |STA − its mean| of the unit's first visual STA (stimulus intensity units), null without one. */
  staPeak: number | null
}

export interface UnitTableData {
  units: UnitRow[]
  durationS: number | null
}

export interface RasterData {
  unitId: string
  movies: string[]
  movie: string | null
  binS: number
  trialDurationS: number
  /** One row per trial: spike times in seconds from the trial start. */
  trials: number[][]
  psthEdgesS: number[]
  psthRateHz: number[]
}

export interface FiringRateData {
  unitId: string
  t: number[]
  rateHz: number[]
}

export interface CubeData {
  unitId: string
  feature: string | null
  /** Features of this kind available for the unit (e.g. sta_<movie> names). */
  features: string[]
  frames: number
  rows: number
  cols: number
  /** frames x (rows*cols) values, row-major within a frame; null where the value is not finite. */
  data: Array<Array<number | null>>
  min: number
  max: number
  /** The frame with the largest absolute deviation, a good first frame to show. */
  peakFrame: number
  /** What frame 0 is relative to the spike (cover_range start in frames, or -pre samples), when recorded. */
  firstOffset: number | null
  /** Finite minimum and maximum of each frame (per-frame colour scales). */
  frameMin: number[]
  frameMax: number[]
  /** Robust range: the 0.1st and 99.9th percentiles of all values, and the 99.9th of |value|. */
  robustLo: number
  robustHi: number
  robustAbs: number
  /** The unit's own electrode (1-based Unit Info row and column), when the session records it. */
  unitRow: number | null
  unitCol: number | null
}

export interface ChipMapData {
  rows: number
  cols: number
  /** Units drawn on the array (1-based row/col inside it), with the unit table's columns. */
  placed: UnitRow[]
  /** Dot diameters in pixels, parallel to `placed`: area grows with the spike count. */
  sizes: number[]
  /** Units without a usable position, and why. */
  unplaced: Array<{ id: string; reason: string }>
}

export interface FootprintData {
  unitId: string
  rows: number
  cols: number
  threshold: number
  /** Electrodes whose peak |eimage| over the lags reaches `threshold` x the largest, 1-based, strongest first. */
  cells: Array<{ row: number; col: number; rel: number }>
  peakRow: number | null
  peakCol: number | null
}

// ---------- the table ----------

type NoParams = Record<string, never>

export interface Requests {
  'app.info': { params: NoParams; result: AppInfo }
  'steps.list': { params: NoParams; result: StepInfo[] }
  'settings.get': { params: NoParams; result: Settings }
  'settings.set': { params: Partial<Settings>; result: Settings }
  'plugins.list': { params: NoParams; result: PluginReport }
  /** Discovers the plugins again (after a change of folders or files); the step list changes with it. */
  'plugins.reload': { params: NoParams; result: PluginReport }
  'recent.list': { params: NoParams; result: { recordings: RecentRecording[]; archives: RecentArchive[] } }
  'files.list': { params: { dir?: string; extensions?: string[] }; result: DirListing }
  'files.check': { params: { path: string }; result: { path: string; size: number; kind: 'dir' | 'file' } }
  /** Native dialogs (Electron only; the web host answers UNSUPPORTED). */
  'dialog.open': {
    params: { title?: string; filters?: DialogFilter[]; directory?: boolean; multiple?: boolean; defaultPath?: string }
    result: { paths: string[] }
  }
  'dialog.save': { params: { title?: string; filters?: DialogFilter[]; defaultPath?: string }; result: { path: string | null } }
  'session.get': { params: NoParams; result: SessionSnapshot | null }
  'session.open': {
    params: { cmcrPath?: string | null; cmtrPath?: string | null; datasetId?: string; outputDir?: string }
    result: SessionSnapshot
  }
  'session.openDemo': { params: NoParams; result: SessionSnapshot }
  'session.close': { params: NoParams; result: null }
  /** Save to `path` (Save as) or to the session's file / default path. An existing other file needs overwrite. */
  'session.save': { params: { path?: string; overwrite?: boolean }; result: { path: string; snapshot: SessionSnapshot } }
  'session.checkpoint': { params: { path?: string; name?: string }; result: { path: string } }
  'session.resume': { params: { path: string }; result: SessionSnapshot }
  /** Cancels the save, checkpoint or resume under way (its request then fails with CANCELLED; nothing saved is changed). */
  'session.cancelOperation': { params: NoParams; result: { cancelled: boolean } }
  'step.validate': { params: { stepId: string; params: Record<string, unknown> }; result: ValidationResult }
  /** Starts a step as a job; progress and the outcome arrive as events. */
  'step.run': { params: { stepId: string; params: Record<string, unknown> }; result: JobInfo }
  'job.cancel': { params: { jobId: string }; result: { cancelled: boolean } }
  'log.list': { params: { since?: number }; result: LogEntry[] }
  /** Writes an error of the window into the log (on disk too). */
  'log.report': { params: ErrorReport; result: null }
  /** Versions, OS, memory, the session's state and the last 200 lines of the log file, as text. */
  'log.diagnostics': { params: NoParams; result: { text: string; logFile: string | null } }
  /** Opens the log folder in the file manager (desktop); browser mode answers with the path only. */
  'log.openFolder': { params: NoParams; result: { path: string | null; opened: boolean } }
  /** Files the app was asked to open before the window listened (drained once; later ones come as app.openFile). */
  'app.takeOpenRequests': { params: NoParams; result: OpenRequest[] }
  /** The playlist names in a playlist file (default: the bundled one), for the wizard's playlist choice. */
  'stimulus.playlists': { params: { path?: string }; result: { path: string; names: string[] } }
  'chart.units': { params: NoParams; result: UnitTableData }
  'chart.lightReference': {
    params: { channel?: string; startS?: number; endS?: number; maxPoints?: number }
    result: LightReferenceData
  }
  'chart.raster': { params: { unitId: string; movie?: string; binS?: number }; result: RasterData }
  'chart.firingRate': { params: { unitId: string; maxPoints?: number }; result: FiringRateData }
  'chart.sta': { params: { unitId: string; feature?: string }; result: CubeData }
  'chart.eimage': { params: { unitId: string }; result: CubeData }
  'chart.chipMap': { params: NoParams; result: ChipMapData }
  'chart.footprint': { params: { unitId: string; threshold?: number }; result: FootprintData }
  // Batch queue (src-main/batch, docs/batch.md): one open batch, an output folder with its saved queue.
  'batch.get': { params: NoParams; result: BatchSnapshot | null }
  'batch.open': {
    params: { outputDir: string; recipe?: unknown; options?: Partial<BatchOptions>; fresh?: boolean }
    result: BatchSnapshot
  }
  'batch.close': { params: NoParams; result: null }
  /** Folders, mapping CSVs or .cmcr/.cmtr files; notes say what was not queued and why. */
  'batch.add': { params: { paths: string[] }; result: { added: string[]; notes: string[]; snapshot: BatchSnapshot } }
  'batch.start': { params: NoParams; result: BatchSnapshot }
  'batch.stop': { params: NoParams; result: BatchSnapshot }
  /** Without an id: every queued and running item. */
  'batch.cancel': { params: { id?: string }; result: BatchSnapshot }
  /** Without an id: every failed item. */
  'batch.retry': { params: { id?: string }; result: BatchSnapshot }
  'batch.remove': { params: { id: string }; result: BatchSnapshot }
  'batch.setOptions': { params: Partial<BatchOptions>; result: BatchSnapshot }
  'batch.setRecipe': { params: { recipe: unknown }; result: BatchSnapshot }
  'batch.defaultRecipe': { params: NoParams; result: Recipe }
  'batch.loadRecipe': { params: { path: string }; result: Recipe }
  'batch.saveRecipe': { params: { path: string; recipe?: unknown }; result: { path: string } }
  'batch.log': { params: { id: string }; result: { id: string; text: string } }
}

/** A session operation that reads or writes an archive, with the array bytes done so far of the total. */
export interface SessionOperation {
  operation: 'saving' | 'writing a checkpoint' | 'resuming'
  bytesDone: number
  bytesTotal: number
}

export interface Events {
  'session.changed': SessionSnapshot | null
  /** A save, checkpoint or resume under way and its progress; null when it ended. */
  'session.operation': SessionOperation | null
  'job.started': JobInfo
  'job.progress': JobProgress
  'job.finished': JobFinished
  log: LogEntry
  /** Menu accelerators (Ctrl+O, Ctrl+S, Ctrl+Shift+S) forwarded to the renderer. */
  'menu.command': { command: 'open' | 'save' | 'saveAs' | 'checkpoint' | 'resume' }
  /** Open this file as the Open action would (asking about unsaved work first): a double-clicked .cmcr, .cmtr or .h5. */
  'app.openFile': OpenRequest
  'batch.changed': BatchSnapshot | null
  'batch.item': BatchItem
  'batch.log': { id: string; line: string }
}

export type RequestName = keyof Requests
export type EventName = keyof Events
export type ParamsOf<K extends RequestName> = Requests[K]['params']
export type ResultOf<K extends RequestName> = Requests[K]['result']

/** Every request name at runtime (the preload and transports only pass these). Checked against the table. */
export const REQUEST_NAMES = [
  'app.info',
  'steps.list',
  'settings.get',
  'settings.set',
  'plugins.list',
  'plugins.reload',
  'recent.list',
  'files.list',
  'files.check',
  'dialog.open',
  'dialog.save',
  'session.get',
  'session.open',
  'session.openDemo',
  'session.close',
  'session.save',
  'session.checkpoint',
  'session.resume',
  'session.cancelOperation',
  'step.validate',
  'step.run',
  'job.cancel',
  'log.list',
  'log.report',
  'log.diagnostics',
  'log.openFolder',
  'app.takeOpenRequests',
  'stimulus.playlists',
  'chart.units',
  'chart.lightReference',
  'chart.raster',
  'chart.firingRate',
  'chart.sta',
  'chart.eimage',
  'chart.chipMap',
  'chart.footprint',
  'batch.get',
  'batch.open',
  'batch.close',
  'batch.add',
  'batch.start',
  'batch.stop',
  'batch.cancel',
  'batch.retry',
  'batch.remove',
  'batch.setOptions',
  'batch.setRecipe',
  'batch.defaultRecipe',
  'batch.loadRecipe',
  'batch.saveRecipe',
  'batch.log',
] as const satisfies readonly RequestName[]

export const EVENT_NAMES = [
  'session.changed',
  'session.operation',
  'job.started',
  'job.progress',
  'job.finished',
  'log',
  'menu.command',
  'app.openFile',
  'batch.changed',
  'batch.item',
  'batch.log',
] as const satisfies readonly EventName[]

// Compile-time check that the runtime lists name every row of the tables (a missing name fails here).
type Missing<All, Listed> = Exclude<All, Listed>
const requestListComplete: Missing<RequestName, (typeof REQUEST_NAMES)[number]> extends never ? true : never = true
const eventListComplete: Missing<EventName, (typeof EVENT_NAMES)[number]> extends never ? true : never = true
void requestListComplete
void eventListComplete

export function isRequestName(name: string): name is RequestName {
  return (REQUEST_NAMES as readonly string[]).includes(name)
}

export function isEventName(name: string): name is EventName {
  return (EVENT_NAMES as readonly string[]).includes(name)
}

/** What the preload exposes as `window.workbench` (raw: replies, not thrown errors, cross the bridge). */
export interface PreloadBridge {
  readonly transport: 'electron'
  invoke(name: string, params: unknown): Promise<Reply<unknown>>
  /** Subscribes to every contract event; returns the unsubscribe function. */
  on(listener: (event: string, payload: unknown) => void): () => void
  /** The file-system path of a file dropped onto the window. */
  pathForFile(file: File): string | null
}

/** The typed API the renderer uses over either transport. */
export interface WorkbenchApi {
  readonly transport: Transport
  invoke<K extends RequestName>(name: K, params: ParamsOf<K>): Promise<ResultOf<K>>
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void
  /** Electron only: the file-system path of a dropped File. */
  pathForFile?(file: File): string | null
}

/** Electron channel names. */
export const requestChannel = (name: RequestName): string => `workbench:req:${name}`
export const EVENT_CHANNEL = 'workbench:event'
