// The backend both transports call: one current session, steps run as jobs (progress, ETA, cancel),
// save / save as / checkpoint / resume, recent files, file checks and browsing, settings, a log, and
// chart data. Transports only move requests and events; every rule lives here. This class wires the
// parts together and maps request names onto them:
//   requestRegistry (dispatch), eventHub (events), activityLog (the log), pathGuard (allowed folders),
//   currentSession + sessionLifecycle (open/resume/save/checkpoint), stepJobs (steps), snapshot.

import { join, resolve } from 'node:path'
import type { AppInfo, EventName, Events, LogEntry, PluginReport, RequestName, SessionSnapshot, Settings, Transport } from '../../src-shared/contract'
import { RequestError } from '../../src-shared/wire'
import type { TaskPool } from '../pool/taskPool'
import type { StepDefinition } from '../steps/framework'
import { STEPS } from '../steps/index'
import { defaultPlaylistFiles } from '../steps/addSectionTime'
import { playlistNames, readConfigText } from '../stimulus/playlistCsv'
import { ActivityLog } from './activityLog'
import { chipMapData, eimageData, firingRateData, footprintData, lightReferenceData, rasterData, staData, unitTable } from './charts'
import { CurrentSession } from './currentSession'
import { type EventListener, EventHub } from './eventHub'
import { normalizeUserPath, probePath } from './fileAccess'
import { isInside, listDir } from './fileBrowser'
import { PathGuard } from './pathGuard'
import { type Handler, RequestRegistry } from './requestRegistry'
import { type DemoRecordingInfo, SessionLifecycle } from './sessionLifecycle'
import { SettingsStore } from './settings'
import { buildSnapshot, stepInfo } from './snapshot'
import { StepJobs } from './stepJobs'
import type { WorkbenchContext } from './workbenchContext'
import { defaultPython } from '../plugins/defaultPython'
import { PluginHost } from '../plugins/pluginHost'
import { resourcesDir } from '../resources'
import { SharedTaskPool, type WarmOutcome, threadsFor } from '../pool/sharedPool'
import { describeError } from '../../src-shared/errors'
import { discardSensorReaderSpare, prepareSensorReader } from '../../src-worker/eimage/readerThread'
import { archiveThreads } from '../archive/thread/archiveThreads'

export type { DemoRecordingInfo } from './sessionLifecycle'

export interface WorkbenchOptions {
  transport: Transport
  /** Default home of settings, artifacts, checkpoints and the demo recording. */
  workdir: string
  /** Where settings.json lives (Electron: userData). Defaults to <workdir>/.workbench. */
  configDir?: string
  /** Generates (if absent) and describes the demo recording. */
  demo?: () => Promise<DemoRecordingInfo>
  createPool?: () => TaskPool
  /** The built-in steps (defaults to the registry); plugin steps follow them. */
  steps?: StepDefinition<any>[]
  /** Step plugins (docs/plugins.md): the default folders, and folders or interpreter fixed at start (browser mode). */
  plugins?: { defaultFolders: string[]; folders?: string[]; python?: string }
  version?: string
  /**
   * Start the shared worker pool right after start-up, and again after a change of its budget, so the
   * first step finds its threads ready (the desktop app and the web host; docs/architecture.md).
   */
  prewarm?: boolean
  /** Makes the shared pool at a budget of threads (default: a pool of worker threads; tests pass a stand-in). */
  createSharedPool?: (threads: number) => TaskPool
}

export class WorkbenchService {
  readonly transport: Transport
  readonly workdir: string
  private readonly options: WorkbenchOptions
  private readonly store: SettingsStore
  private readonly requests = new RequestRegistry()
  private readonly events: EventHub
  private readonly log: ActivityLog
  private readonly guard: PathGuard
  private readonly current = new CurrentSession()
  private readonly jobs: StepJobs
  private readonly lifecycle: SessionLifecycle
  private readonly plugins: PluginHost
  private pluginsReady: Promise<unknown>
  /** The one worker pool the wizard's steps and the batch queue share (Settings: worker threads). */
  readonly taskPool: SharedTaskPool

  constructor(options: WorkbenchOptions) {
    this.options = options
    this.transport = options.transport
    this.workdir = resolve(options.workdir)
    this.store = new SettingsStore(join(options.configDir ?? join(this.workdir, '.workbench'), 'settings.json'), this.workdir, {
      pluginFolders: options.plugins?.defaultFolders ?? [],
    }, (message) => this.log.record('warn', message))
    // Browser mode: the allowed folders are those of this start (the working folder plus allowFolders()).
    if (this.transport === 'web') this.store.update({ allowedFolders: [this.workdir] })
    // Plugin folders and the interpreter run code: a browser page cannot change them, the host's start does.
    if (this.transport === 'web') {
      this.store.update({
        pluginFolders: options.plugins?.folders ?? options.plugins?.defaultFolders ?? [],
        python: options.plugins?.python ?? defaultPython(),
      })
    } else {
      if (options.plugins?.folders) this.store.update({ pluginFolders: options.plugins.folders })
      if (options.plugins?.python) this.store.update({ python: options.plugins.python })
    }
    this.events = new EventHub((message) => this.log.record('warn', message))
    this.log = new ActivityLog((entry) => this.events.emit('log', entry))
    for (const problem of this.store.problems) this.log.record('warn', problem)
    this.guard = new PathGuard(this.transport, () => this.store.settings.allowedFolders, () => [resourcesDir()])
    this.plugins = new PluginHost({
      builtIns: options.steps ?? STEPS,
      folders: () => this.store.settings.pluginFolders,
      runtime: { python: () => this.store.settings.python },
      log: (level, message) => this.log.add(level, message),
    })
    this.pluginsReady = this.plugins.reload()
    const ctx: WorkbenchContext = {
      steps: this.steps,
      current: this.current,
      store: this.store,
      guard: this.guard,
      log: this.log,
      emit: (name, payload) => this.emit(name, payload),
      snapshot: () => this.snapshot(),
      emitSession: () => this.emitSession(),
      requireIdle: (what) => this.jobs.requireIdle(what),
      requireNoSessionOperation: (what) => this.lifecycle.requireNoOperation(what),
    }
    this.taskPool = new SharedTaskPool(() => threadsFor(this.store.settings.workerThreads), options.createSharedPool)
    this.jobs = new StepJobs(ctx, options.createPool ?? (() => this.taskPool.borrow()))
    this.lifecycle = new SessionLifecycle(ctx, options.demo)
    this.registerAll()
    // After the caller's synchronous start-up (the window, the host's listen), never in its way.
    if (options.prewarm) {
      setImmediate(() =>
        this.taskPool.keepWarm((outcome) => {
          this.logWarmUp(outcome)
          if (outcome.reason === 'start') this.startSpareThreads()
        }),
      )
    }
  }

  /**
   * The threads a step or a save starts for itself: the electrical-image step's sensor reader and the
   * archive thread, started ahead once the pool is warm, and never while a step runs (on a machine with
   * few cores their start would take CPU from it): then once that step has finished.
   */
  private startSpareThreads(): void {
    if (this.jobs.running) {
      const off = this.onEvent((name) => {
        if (name !== 'job.finished') return
        off()
        this.startSpareThreads()
      })
      return
    }
    prepareSensorReader({ keep: true })
    archiveThreads()
      .prewarm()
      .catch((err: unknown) => this.log.add('warn', `Could not start the archive thread ahead (the first save or resume starts it): ${describeError(err).message}`))
  }

  private logWarmUp(outcome: WarmOutcome): void {
    const why = { start: 'at start', budget: 'for the new worker-threads setting', idle: 'renewed after an idle spell, giving back memory' }[outcome.reason]
    if ('error' in outcome) {
      this.log.add('warn', `Could not pre-warm the worker pool ${why} (steps start their threads themselves): ${describeError(outcome.error).message}`)
      return
    }
    const { threads, recordingProblem } = outcome.report
    const ready = threads.filter((t) => t.h5wasm).length
    const readers = threads.filter((t) => t.readers).length
    this.log.add('info', `Worker pool warm: ${threads.length} thread(s) started, HDF5 initialised in ${ready} of them, readers warmed in ${readers} (${outcome.seconds.toFixed(2)} s, ${why})`)
    if (recordingProblem) this.log.add('warn', `The worker threads' readers were not warmed (the first load compiles them): ${recordingProblem}`)
  }

  /** Built-in steps, then plugin steps (one array, updated in place when plugins are reloaded). */
  get steps(): StepDefinition<any>[] {
    return this.plugins.steps
  }

  /** Rediscovers the step plugins; the step list and the session's step table follow. */
  async reloadPlugins(): Promise<PluginReport> {
    this.jobs.requireIdle('reload plugins')
    this.pluginsReady = this.plugins.reload()
    await this.pluginsReady
    this.emitSession()
    return this.plugins.report
  }

  // ---------- plumbing used by the transports ----------

  /** Adds or replaces the handler of one request (the Electron shell adds the native dialogs; batch adds its own). */
  register<K extends RequestName>(name: K, handler: Handler<K>): void {
    this.requests.register(name, handler)
  }

  /** Adds folders to the browser-mode allow list (persisted in the settings). */
  allowFolders(folders: string[]): void {
    const current = this.store.settings.allowedFolders
    this.store.update({ allowedFolders: [...new Set([...current, ...folders.map((f) => resolve(f))])] })
  }

  onEvent(listener: EventListener): () => void {
    return this.events.on(listener)
  }

  emit<E extends EventName>(name: E, payload: Events[E]): void {
    this.events.emit(name, payload)
  }

  /** Runs one request by name; unknown names and bad params are errors like any other. */
  async dispatch(name: string, params: unknown): Promise<unknown> {
    await this.pluginsReady // the step list is complete before any request sees it
    return this.requests.dispatch(name, params)
  }

  async close(): Promise<void> {
    await this.jobs.close()
    await this.taskPool.destroy()
    if (this.options.prewarm) await discardSensorReaderSpare()
    await this.store.flush()
  }

  addLog(level: LogEntry['level'], message: string, step?: string): void {
    this.log.add(level, message, step)
  }

  /** Browser mode: every path parameter of a run of `stepId` must lie inside the allowed folders (real path). */
  async checkStepPaths(stepId: string, params: Record<string, unknown>): Promise<void> {
    const def = this.steps.find((s) => s.id === stepId)
    if (def) await this.guard.stepParams(def, params ?? {})
  }

  snapshot(): SessionSnapshot | null {
    return buildSnapshot(this.current, this.steps, this.jobs.running, this.store.settings.memoryWarningGb, this.remembered())
  }

  private remembered(): Record<string, Record<string, unknown>> {
    const s = this.current.session
    return s ? this.store.stepParams(s.datasetId) : {}
  }

  private emitSession(): SessionSnapshot | null {
    const snap = this.snapshot()
    if (snap?.memoryWarning && !this.current.memoryWarned) {
      this.current.memoryWarned = true
      this.log.add('warn', `Memory estimate ${(snap.memoryBytes / 1024 ** 3).toFixed(2)} GB is above the ${this.store.settings.memoryWarningGb} GB warning threshold`)
    }
    this.emit('session.changed', snap)
    return snap
  }

  // ---------- the handlers ----------

  private registerAll(): void {
    const session = () => this.current.require()
    this.register('app.info', () => this.appInfo())
    this.register('steps.list', () => this.steps.map(stepInfo))
    this.register('settings.get', () => this.store.settings)
    this.register('settings.set', async (p) => {
      if (this.transport === 'web') this.refuseWideningInBrowser(p)
      const foldersBefore = JSON.stringify(this.store.settings.pluginFolders)
      const s = this.store.update(p)
      if (p.workerThreads !== undefined) this.taskPool.budgetChanged()
      if (JSON.stringify(s.pluginFolders) !== foldersBefore) await this.reloadPlugins()
      this.emitSession()
      return s
    })
    this.register('plugins.list', () => this.plugins.report)
    this.register('plugins.reload', () => this.reloadPlugins())
    this.register('recent.list', () => ({
      recordings: this.store.state.recentRecordings,
      archives: this.store.state.recentArchives,
    }))
    this.register('files.list', async (p) => {
      this.guard.requireWebBrowsing()
      return listDir(p.dir, this.store.settings.allowedFolders, p.extensions)
    })
    this.register('files.check', async (p) => probePath(await this.guard.existing(p.path)))
    const noDialogs = () => {
      throw new RequestError('UNSUPPORTED', 'Native file dialogs exist only in the desktop app; use the file browser in this window')
    }
    this.register('dialog.open', noDialogs)
    this.register('dialog.save', noDialogs)
    this.register('session.get', () => this.snapshot())
    this.register('session.open', (p) => this.lifecycle.open(p))
    this.register('session.openDemo', () => this.lifecycle.openDemo())
    this.register('session.close', () => this.lifecycle.close())
    this.register('session.save', (p) => this.lifecycle.save(p))
    this.register('session.checkpoint', (p) => this.lifecycle.checkpoint(p))
    this.register('session.resume', (p) => this.lifecycle.resume(p.path))
    this.register('session.cancelOperation', () => this.lifecycle.cancelOperation())
    this.register('step.validate', (p) => this.jobs.validate(p.stepId, p.params))
    this.register('step.run', (p) => this.jobs.start(p.stepId, p.params))
    this.register('job.cancel', (p) => this.jobs.cancel(p.jobId))
    this.register('log.list', (p) => this.log.since(p.since ?? 0))
    this.register('stimulus.playlists', async (p) => {
      // The bundled playlist is always readable; any other file only inside the allowed folders.
      const bundled = defaultPlaylistFiles().playlist
      const path = p.path && resolve(normalizeUserPath(p.path)) !== bundled ? await this.guard.existing(p.path) : bundled
      return { path, names: playlistNames(await readConfigText(path, 'Playlist file'), path) }
    })
    this.register('chart.units', () => unitTable(session()))
    this.register('chart.lightReference', (p) => lightReferenceData(session(), p))
    this.register('chart.raster', (p) => rasterData(session(), p))
    this.register('chart.firingRate', (p) => firingRateData(session(), p))
    this.register('chart.sta', (p) => staData(session(), p))
    this.register('chart.eimage', (p) => eimageData(session(), p))
    this.register('chart.chipMap', () => chipMapData(session()))
    this.register('chart.footprint', (p) => footprintData(session(), p))
  }

  /** A browser page must not widen its own reach: the allowed folders are fixed when the host starts, and the output folder lies inside them. */
  private refuseWideningInBrowser(p: Partial<Settings>): void {
    for (const key of ['pluginFolders', 'python'] as const) {
      if (p[key] !== undefined && JSON.stringify(p[key]) !== JSON.stringify(this.store.settings[key])) {
        throw new RequestError('FORBIDDEN', `In browser mode ${key} is set when the web host starts (--plugins DIR, --python PATH)`, { parameter: key })
      }
    }
    const current = this.store.settings.allowedFolders.map((f) => resolve(f))
    if (p.allowedFolders !== undefined && !sameFolders(p.allowedFolders.map((f) => resolve(f)), current)) {
      throw new RequestError('FORBIDDEN', 'In browser mode the allowed folders are set when the web host starts (--allow DIR)', {
        parameter: 'allowedFolders',
      })
    }
    if (p.outputDir !== undefined && !current.some((r) => isInside(resolve(p.outputDir!), r))) {
      throw new RequestError('FORBIDDEN', `In browser mode the output folder must be inside an allowed folder (${current.join(', ')})`, {
        parameter: 'outputDir',
        path: p.outputDir,
      })
    }
  }

  private appInfo(): AppInfo {
    return {
      name: 'HD-MEA Workbench',
      version: this.options.version ?? '0.1.0',
      transport: this.transport,
      nativeDialogs: this.transport === 'electron',
      platform: process.platform,
      workdir: this.workdir,
      allowedFolders: this.store.settings.allowedFolders,
      demoAvailable: this.lifecycle.demoAvailable,
    }
  }
}

function sameFolders(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i])
}
