// The backend both transports call: one current session, steps run as jobs (progress, ETA, cancel),
// save / save as / checkpoint / resume, recent files, file checks and browsing, settings, a log, and
// chart data. Transports only move requests and events; every rule lives here.

import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type {
  AppInfo,
  EventName,
  Events,
  JobInfo,
  LogEntry,
  ParamInfo,
  ParamsOf,
  RequestName,
  ResultOf,
  SessionSnapshot,
  StepInfo,
  StepStatus,
  Transport,
  ValidationResult,
  WireError,
} from '../../src-shared/contract'
import { isRequestName } from '../../src-shared/contract'
import { RequestError, toWireError } from '../../src-shared/wire'
import { createTaskPool, type TaskPool } from '../pool/taskPool'
import { CancelledError } from '../../src-shared/errors'
import { PipelineSession, createSession } from '../session/session'
import {
  type StepDefinition,
  assertPrerequisites,
  defaultParams,
  missingPrerequisites,
  resolveParams,
  runStep,
} from '../steps/framework'
import { STEPS } from '../steps/index'
import { eimageData, firingRateData, lightReferenceData, rasterData, staData, unitTable } from './charts'
import { classifyPath, normalizeUserPath, probePath } from './fileAccess'
import { isInside, listDir } from './fileBrowser'
import { SettingsStore } from './settings'

export interface DemoRecordingInfo {
  cmcrPath: string
  cmtrPath: string
  recommendedParams?: Record<string, Record<string, unknown>>
}

export interface WorkbenchOptions {
  transport: Transport
  /** Default home of settings, artifacts, checkpoints and the demo recording. */
  workdir: string
  /** Where settings.json lives (Electron: userData). Defaults to <workdir>/.workbench. */
  configDir?: string
  /** Generates (if absent) and describes the demo recording. */
  demo?: () => Promise<DemoRecordingInfo>
  createPool?: () => TaskPool
  /** The step list (defaults to the registry). */
  steps?: StepDefinition<any>[]
  version?: string
}

type Handler<K extends RequestName> = (params: ParamsOf<K>) => Promise<ResultOf<K>> | ResultOf<K>
type EventListener = <E extends EventName>(name: E, payload: Events[E]) => void

interface RunningJob extends JobInfo {
  controller: AbortController
}

const MAX_LOG = 2000
const PROGRESS_INTERVAL_MS = 100

export class WorkbenchService {
  readonly transport: Transport
  readonly workdir: string
  private readonly store: SettingsStore
  private readonly handlers = new Map<string, Handler<any>>()
  private readonly listeners = new Set<EventListener>()
  private readonly options: WorkbenchOptions
  private session: PipelineSession | null = null
  /** The file this service last saved the session to (a plain Save goes there again without asking). */
  private savedPath: string | null = null
  private openedFrom: string | null = null
  private job: RunningJob | null = null
  private pool: TaskPool | null = null
  private stepErrors = new Map<string, WireError>()
  private stepSummaries = new Map<string, string>()
  private recommended: Record<string, Record<string, unknown>> = {}
  private log: LogEntry[] = []
  private logSeq = 0
  private memoryWarned = false
  private jobCounter = 0

  constructor(options: WorkbenchOptions) {
    this.options = options
    this.transport = options.transport
    this.workdir = resolve(options.workdir)
    this.store = new SettingsStore(join(options.configDir ?? join(this.workdir, '.workbench'), 'settings.json'), this.workdir)
    // Browser mode: the allowed folders are those of this start (the working folder plus allowFolders()).
    if (this.transport === 'web') this.store.update({ allowedFolders: [this.workdir] })
    this.registerAll()
  }

  get steps(): StepDefinition<any>[] {
    return this.options.steps ?? STEPS
  }

  // ---------- plumbing used by the transports ----------

  /** Adds or replaces the handler of one request (the Electron shell adds the native dialogs; batch adds its own). */
  register<K extends RequestName>(name: K, handler: Handler<K>): void {
    this.handlers.set(name, handler)
  }

  /** Adds folders to the browser-mode allow list (persisted in the settings). */
  allowFolders(folders: string[]): void {
    const current = this.store.settings.allowedFolders
    this.store.update({ allowedFolders: [...new Set([...current, ...folders.map((f) => resolve(f))])] })
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  emit<E extends EventName>(name: E, payload: Events[E]): void {
    for (const l of this.listeners) {
      try {
        l(name, payload)
      } catch (err) {
        // A broken listener (a closed socket) must not stop the others; noted without another event,
        // which could fail the same way.
        this.pushLog({ seq: ++this.logSeq, time: new Date().toISOString(), level: 'warn', message: `event listener failed: ${toWireError(err).message}` })
      }
    }
  }

  /** Runs one request by name; unknown names and bad params are errors like any other. */
  async dispatch(name: string, params: unknown): Promise<unknown> {
    if (!isRequestName(name) || !this.handlers.has(name)) {
      throw new RequestError('UNKNOWN_REQUEST', `Unknown request '${name}'`)
    }
    if (params !== undefined && (params === null || typeof params !== 'object' || Array.isArray(params))) {
      throw new RequestError('BAD_REQUEST', `Request '${name}' needs an object of parameters`)
    }
    return await this.handlers.get(name)!((params ?? {}) as never)
  }

  async close(): Promise<void> {
    this.job?.controller.abort()
    await this.pool?.destroy()
    this.pool = null
  }

  // ---------- the handlers ----------

  private registerAll(): void {
    this.register('app.info', () => this.appInfo())
    this.register('steps.list', () => this.steps.map(stepInfo))
    this.register('settings.get', () => this.store.settings)
    this.register('settings.set', (p) => {
      if (this.transport === 'web') {
        // A browser page must not widen its own reach: the allowed folders are fixed when the host starts,
        // and the output folder has to lie inside them.
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
      const s = this.store.update(p)
      this.emitSession()
      return s
    })
    this.register('recent.list', () => ({
      recordings: this.store.state.recentRecordings,
      archives: this.store.state.recentArchives,
    }))
    this.register('files.list', async (p) => {
      this.requireWebBrowsing()
      return listDir(p.dir, this.store.settings.allowedFolders, p.extensions)
    })
    this.register('files.check', async (p) => {
      const path = await this.guardExisting(p.path)
      return probePath(path)
    })
    const noDialogs = () => {
      throw new RequestError('UNSUPPORTED', 'Native file dialogs exist only in the desktop app; use the file browser in this window')
    }
    this.register('dialog.open', noDialogs)
    this.register('dialog.save', noDialogs)
    this.register('session.get', () => this.snapshot())
    this.register('session.open', (p) => this.openRecording(p))
    this.register('session.openDemo', () => this.openDemo())
    this.register('session.close', () => {
      this.requireIdle('close the session')
      this.replaceSession(null)
      return null
    })
    this.register('session.save', (p) => this.save(p))
    this.register('session.checkpoint', (p) => this.checkpoint(p))
    this.register('session.resume', (p) => this.resume(p.path))
    this.register('step.validate', (p) => this.validate(p.stepId, p.params))
    this.register('step.run', (p) => this.startStep(p.stepId, p.params))
    this.register('job.cancel', (p) => {
      if (!this.job || this.job.jobId !== p.jobId) return { cancelled: false }
      this.job.controller.abort()
      this.addLog('info', `Cancelling ${this.job.stepId}…`, this.job.stepId)
      return { cancelled: true }
    })
    this.register('log.list', (p) => this.log.filter((e) => e.seq > (p.since ?? 0)))
    this.register('chart.units', () => unitTable(this.requireSession()))
    this.register('chart.lightReference', (p) => lightReferenceData(this.requireSession(), p))
    this.register('chart.raster', (p) => rasterData(this.requireSession(), p))
    this.register('chart.firingRate', (p) => firingRateData(this.requireSession(), p))
    this.register('chart.sta', (p) => staData(this.requireSession(), p))
    this.register('chart.eimage', (p) => eimageData(this.requireSession(), p))
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
      demoAvailable: !!this.options.demo,
    }
  }

  // ---------- session lifecycle ----------

  private async openRecording(p: ParamsOf<'session.open'>): Promise<SessionSnapshot> {
    this.requireIdle('open another recording')
    if (p.outputDir && this.transport === 'web') this.assertAllowed(resolve(p.outputDir))
    const cmcr = p.cmcrPath ? await this.guardExisting(p.cmcrPath) : null
    const cmtr = p.cmtrPath ? await this.guardExisting(p.cmtrPath) : null
    if (!cmcr && !cmtr) throw new RequestError('CONFIGURATION', 'Choose a .cmcr file, a .cmtr file, or both', { parameter: 'cmcrPath' })
    if (cmcr) await probePath(cmcr, { expect: 'file' })
    if (cmtr) await probePath(cmtr, { expect: 'file' })
    const session = createSession({
      datasetId: p.datasetId?.trim() || undefined,
      cmcrPath: cmcr,
      cmtrPath: cmtr,
      outputDir: p.outputDir ? resolve(p.outputDir) : this.store.settings.outputDir,
    })
    this.replaceSession(session)
    this.store.addRecentRecording({ cmcrPath: cmcr, cmtrPath: cmtr, datasetId: session.datasetId, openedAt: new Date().toISOString() })
    this.addLog('info', `Opened ${session.datasetId} (${[cmcr, cmtr].filter(Boolean).join(', ')})`)
    return this.snapshot()!
  }

  private async openDemo(): Promise<SessionSnapshot> {
    if (!this.options.demo) throw new RequestError('UNSUPPORTED', 'The demo recording is not available in this build')
    this.requireIdle('open the demo')
    this.addLog('info', 'Preparing the demo recording (generated once, a few seconds)…')
    const demo = await this.options.demo()
    const snap = await this.openRecording({ cmcrPath: demo.cmcrPath, cmtrPath: demo.cmtrPath })
    this.recommended = demo.recommendedParams ?? {}
    return this.emitSession() ?? snap
  }

  private async resume(rawPath: string): Promise<SessionSnapshot> {
    this.requireIdle('resume another session')
    const path = await this.guardExisting(rawPath)
    await probePath(path, { expect: 'file' })
    this.addLog('info', `Resuming from ${path}…`)
    const session = await PipelineSession.load(path, { outputDir: this.store.settings.outputDir })
    this.replaceSession(session)
    this.openedFrom = session.hdf5Path
    this.emitSession()
    this.store.addRecentArchive({ path, datasetId: session.datasetId, kind: 'opened', at: new Date().toISOString() })
    this.addLog('info', `Resumed ${session.datasetId}: ${session.unitCount} units, steps ${[...session.completedSteps].join(', ') || 'none'}`)
    return this.snapshot()!
  }

  private replaceSession(session: PipelineSession | null): void {
    this.session = session
    this.savedPath = null
    this.openedFrom = null
    this.stepErrors.clear()
    this.stepSummaries.clear()
    this.recommended = {}
    this.memoryWarned = false
    this.emitSession()
  }

  private async save(p: ParamsOf<'session.save'>): Promise<ResultOf<'session.save'>> {
    const session = this.requireSession()
    this.requireIdle('save')
    const target = p.path
      ? resolve(normalizeUserPath(p.path))
      : (this.savedPath ?? join(session.outputDir, `${session.datasetId}.h5`))
    await this.guardTarget(target)
    const own = this.savedPath !== null && this.savedPath === target
    if (existsSync(target) && !own && !p.overwrite) {
      throw new RequestError('FILE_EXISTS', `${target} already exists; confirm to overwrite it`, { path: target })
    }
    this.addLog('info', `Saving ${session.datasetId} to ${target}…`)
    const path = await session.save(target, { overwrite: true })
    this.savedPath = path
    this.store.addRecentArchive({ path, datasetId: session.datasetId, kind: 'save', at: new Date().toISOString() })
    this.addLog('info', `Saved ${path}`)
    return { path, snapshot: this.emitSession()! }
  }

  private async checkpoint(p: ParamsOf<'session.checkpoint'>): Promise<{ path: string }> {
    const session = this.requireSession()
    this.requireIdle('checkpoint')
    const done = this.steps.filter((s) => session.completedSteps.has(s.id)).map((s) => s.id)
    const name = p.name?.trim() || (done.length ? `after_${done[done.length - 1]}` : 'initial')
    const stamp = new Date().toISOString().replace(/[:.]/g, '-')
    const target = p.path
      ? resolve(normalizeUserPath(p.path))
      : join(session.outputDir, 'checkpoints', `${session.datasetId}_${name}_${stamp}.h5`)
    await this.guardTarget(target)
    const path = await session.checkpoint(target, { checkpointName: name, overwrite: true })
    this.store.addRecentArchive({ path, datasetId: session.datasetId, kind: 'checkpoint', at: new Date().toISOString() })
    this.addLog('info', `Checkpoint ${name} written to ${path}`)
    this.emitSession()
    return { path }
  }

  // ---------- steps ----------

  private stepDef(id: string): StepDefinition<any> {
    const def = this.steps.find((s) => s.id === id)
    if (!def) throw new RequestError('UNKNOWN_STEP', `Unknown step '${id}' (available: ${this.steps.map((s) => s.id).join(', ') || 'none'})`)
    return def
  }

  private validate(stepId: string, raw: Record<string, unknown>): ValidationResult {
    const def = this.stepDef(stepId)
    const errors: Record<string, string> = {}
    for (const spec of def.params) {
      try {
        resolveParams({ ...def, params: [spec], validate: undefined }, { [spec.name]: raw?.[spec.name] })
      } catch (err) {
        errors[spec.name] = toWireError(err).message
      }
    }
    let general: string | null = null
    const unknown = Object.keys(raw ?? {}).filter((k) => !def.params.some((p) => p.name === k))
    if (unknown.length) general = `${stepId}: unknown parameter(s) ${unknown.join(', ')}`
    if (Object.keys(errors).length === 0 && !general) {
      try {
        resolveParams(def, raw ?? {})
      } catch (err) {
        const w = toWireError(err)
        if (w.parameter && def.params.some((p) => p.name === w.parameter)) errors[w.parameter] = w.message
        else general = w.message
      }
    }
    const missing = this.session ? missingPrerequisites(def, this.session) : def.prerequisites
    return { ok: Object.keys(errors).length === 0 && !general && missing.length === 0, errors, general, missing }
  }

  private startStep(stepId: string, raw: Record<string, unknown>): JobInfo {
    const session = this.requireSession()
    this.requireIdle(`run ${stepId}`)
    const def = this.stepDef(stepId)
    resolveParams(def, raw ?? {}) // parameter errors come back at once, naming the field
    assertPrerequisites(def, session)
    const job: RunningJob = {
      jobId: `job-${++this.jobCounter}-${Date.now().toString(36)}`,
      stepId,
      startedAt: Date.now(),
      controller: new AbortController(),
    }
    this.job = job
    const info: JobInfo = { jobId: job.jobId, stepId, startedAt: job.startedAt }
    this.emit('job.started', info)
    this.addLog('info', `Running ${stepId}…`, stepId)
    this.emitSession()
    void this.runJob(job, def, session, raw ?? {})
    return info
  }

  private async runJob(job: RunningJob, def: StepDefinition<any>, session: PipelineSession, raw: Record<string, unknown>): Promise<void> {
    let lastEmit = 0
    let lastMessage: string | undefined
    try {
      const pool = this.getPool()
      const report = await runStep(def, session, raw, {
        pool,
        signal: job.controller.signal,
        onProgress: (p) => {
          const now = Date.now()
          const done = p.fraction >= 1
          if (!done && now - lastEmit < PROGRESS_INTERVAL_MS && p.message === lastMessage) return
          lastEmit = now
          lastMessage = p.message
          const elapsed = (now - job.startedAt) / 1000
          const f = Math.min(1, Math.max(0, p.fraction))
          this.emit('job.progress', {
            jobId: job.jobId,
            stepId: job.stepId,
            fraction: f,
            message: p.message,
            elapsedSeconds: elapsed,
            etaSeconds: f >= 0.02 && f < 1 && elapsed >= 0.3 ? (elapsed * (1 - f)) / f : f >= 1 ? 0 : null,
            bytesDone: p.bytesDone,
            bytesTotal: p.bytesTotal,
          })
        },
      })
      this.stepErrors.delete(def.id)
      this.stepSummaries.set(def.id, report.summary)
      this.store.rememberStepParams(session.datasetId, def.id, raw)
      this.addLog('info', `${def.id}: ${report.summary} (${report.seconds.toFixed(1)} s)`, def.id)
      for (const w of report.warnings) this.addLog('warn', w, def.id)
      this.job = null
      this.emit('job.finished', {
        jobId: job.jobId,
        stepId: def.id,
        status: 'done',
        summary: report.summary,
        warnings: report.warnings,
        seconds: report.seconds,
      })
    } catch (err) {
      const cancelled = err instanceof CancelledError || job.controller.signal.aborted
      const wire = toWireError(err)
      if (!cancelled) this.stepErrors.set(def.id, wire)
      this.addLog(cancelled ? 'warn' : 'error', cancelled ? `${def.id} cancelled; the session is unchanged` : `${def.id} failed: ${wire.message}`, def.id)
      this.job = null
      this.emit('job.finished', {
        jobId: job.jobId,
        stepId: def.id,
        status: cancelled ? 'cancelled' : 'failed',
        error: cancelled ? undefined : wire,
        warnings: [],
        seconds: (Date.now() - job.startedAt) / 1000,
      })
    } finally {
      this.job = null
      this.emitSession()
    }
  }

  private getPool(): TaskPool {
    if (!this.pool) this.pool = (this.options.createPool ?? (() => createTaskPool()))()
    return this.pool
  }

  // ---------- snapshot and events ----------

  snapshot(): SessionSnapshot | null {
    const s = this.session
    if (!s) return null
    const memoryWarningBytes = this.store.settings.memoryWarningGb * 1024 ** 3
    const memoryBytes = s.memoryEstimateBytes
    const steps: StepStatus[] = this.steps.map((def) => {
      const missing = missingPrerequisites(def, s)
      const lastError = this.stepErrors.get(def.id)
      const state =
        this.job?.stepId === def.id ? 'running' : lastError ? 'failed' : s.completedSteps.has(def.id) ? 'done' : missing.length ? 'blocked' : 'ready'
      return { id: def.id, state, missing, lastError, lastSummary: this.stepSummaries.get(def.id) }
    })
    return {
      datasetId: s.datasetId,
      saveState: s.saveState === 'saved' ? 'saved' : 'deferred',
      modifiedSinceSave: s.isModifiedSinceSave,
      hdf5Path: this.savedPath,
      openedFrom: this.openedFrom,
      outputDir: resolve(s.outputDir),
      sourceFiles: Object.fromEntries(s.sourceFiles),
      unitCount: s.unitCount,
      memoryBytes,
      memoryWarningBytes,
      memoryWarning: memoryBytes > memoryWarningBytes,
      completedSteps: [...s.completedSteps].sort(),
      warnings: s.warnings.map((w) => ({ step: w.step, message: w.message })),
      steps,
      suggestedParams: this.suggestedParams(s),
      runningJob: this.job ? { jobId: this.job.jobId, stepId: this.job.stepId, startedAt: this.job.startedAt } : null,
      createdAt: s.createdAt,
      savedAt: s.savedAt,
    }
  }

  /** Defaults, then values the session implies (its source files), then the demo's advice, then the last used. */
  private suggestedParams(s: PipelineSession): Record<string, Record<string, unknown>> {
    const remembered = this.store.stepParams(s.datasetId)
    const fromSession: Record<string, unknown> = {
      cmcr_path: s.sourceFiles.get('cmcr_path'),
      cmtr_path: s.sourceFiles.get('cmtr_path'),
    }
    const out: Record<string, Record<string, unknown>> = {}
    for (const def of this.steps) {
      const known = new Set(def.params.map((p) => p.name))
      const merged: Record<string, unknown> = { ...defaultParams(def) }
      for (const layer of [fromSession, this.recommended[def.id] ?? {}, remembered[def.id] ?? {}]) {
        for (const [k, v] of Object.entries(layer)) if (known.has(k) && v !== undefined) merged[k] = v
      }
      out[def.id] = merged
    }
    return out
  }

  private emitSession(): SessionSnapshot | null {
    const snap = this.snapshot()
    if (snap?.memoryWarning && !this.memoryWarned) {
      this.memoryWarned = true
      this.addLog('warn', `Memory estimate ${(snap.memoryBytes / 1024 ** 3).toFixed(2)} GB is above the ${this.store.settings.memoryWarningGb} GB warning threshold`)
    }
    this.emit('session.changed', snap)
    return snap
  }

  addLog(level: LogEntry['level'], message: string, step?: string): void {
    const entry: LogEntry = { seq: ++this.logSeq, time: new Date().toISOString(), level, message, step }
    this.pushLog(entry)
    this.emit('log', entry)
  }

  private pushLog(entry: LogEntry): void {
    this.log.push(entry)
    if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG)
  }

  // ---------- guards ----------

  private requireSession(): PipelineSession {
    if (!this.session) throw new RequestError('NO_SESSION', 'No session is open; open a recording, the demo, or resume a checkpoint first')
    return this.session
  }

  private requireIdle(what: string): void {
    if (this.job) throw new RequestError('BUSY', `Cannot ${what} while ${this.job.stepId} is running; wait for it or cancel it`)
  }

  private requireWebBrowsing(): void {
    if (this.transport !== 'web') throw new RequestError('UNSUPPORTED', 'The server-side file browser is for browser mode; use the Open dialog')
  }

  /** Browser mode reads only inside the allowed folders; returns the normalised absolute path. */
  private async guardExisting(raw: string): Promise<string> {
    const path = normalizeUserPath(String(raw ?? ''))
    if (!path) throw new RequestError('FILE_NOT_FOUND', 'No file was given')
    const kind = classifyPath(path).kind
    if (process.platform !== 'win32' && (kind === 'drive' || kind === 'unc')) await probePath(path) // explains why it cannot be used here
    if (this.transport === 'web') this.assertAllowed(resolve(path))
    return this.transport === 'web' ? resolve(path) : path
  }

  /** Browser mode writes only inside the allowed folders. */
  private async guardTarget(target: string): Promise<void> {
    if (this.transport !== 'web') return
    this.assertAllowed(dirname(target))
  }

  private assertAllowed(path: string): void {
    const roots = this.store.settings.allowedFolders.map((r) => resolve(r))
    if (!roots.some((r) => isInside(path, r))) {
      throw new RequestError('FORBIDDEN', `${path} is outside the folders this browser session may use (${roots.join(', ')}); add it in Settings`, {
        path,
      })
    }
  }
}

function sameFolders(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i])
}

function stepInfo(def: StepDefinition<any>): StepInfo {
  return {
    id: def.id,
    title: def.title,
    description: def.description,
    optional: !!def.optional,
    prerequisites: def.prerequisites,
    params: def.params.map(
      (p): ParamInfo => ({
        name: p.name,
        label: p.label,
        type: p.type,
        default: p.default,
        help: p.help,
        optional: !!p.optional,
        min: p.min,
        max: p.max,
        exclusiveMin: p.exclusiveMin,
        choices: p.choices,
        integer: p.integer,
      }),
    ),
  }
}
