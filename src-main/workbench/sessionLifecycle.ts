// Opening, resuming, saving and checkpointing the current session. These run one at a time per
// workbench (a resume asked for during a save waits for it), and a save that finishes for a session
// that is no longer current changes nothing of the current one.

import { join, resolve } from 'node:path'
import type { ParamsOf, ResultOf, SessionOperation, SessionSnapshot } from '../../src-shared/contract'
import { CancelledError, WorkbenchError } from '../../src-shared/errors'
import { RequestError } from '../../src-shared/wire'
import { PipelineSession, createSession, isSafeFileStem } from '../session/session'
import { normalizeUserPath, probePath } from './fileAccess'
import type { WorkbenchContext } from './workbenchContext'

export interface DemoRecordingInfo {
  cmcrPath: string
  cmtrPath: string
  recommendedParams?: Record<string, Record<string, unknown>>
}

export class SessionLifecycle {
  constructor(
    private readonly ctx: WorkbenchContext,
    private readonly demo?: () => Promise<DemoRecordingInfo>,
  ) {}

  /** The session operation under way ('saving', 'resuming', ...), or null. */
  private running: string | null = null
  private queue: Promise<unknown> = Promise.resolve()
  /** Cancels the archive read or write under way (save, checkpoint, resume). */
  private archiveIo: AbortController | null = null

  /** Cancels the save, checkpoint or resume under way; false when none runs. */
  cancelOperation(): { cancelled: boolean } {
    if (!this.archiveIo || this.archiveIo.signal.aborted) return { cancelled: false }
    this.archiveIo.abort()
    return { cancelled: true }
  }

  /**
   * Runs an archive read or write with progress (`session.operation` events, at most every 100 ms) and
   * the cancel of cancelOperation().
   */
  private async withArchiveIo<T>(operation: SessionOperation['operation'], run: (io: { signal: AbortSignal; onProgress: (done: number, total: number) => void }) => Promise<T>): Promise<T> {
    const controller = new AbortController()
    this.archiveIo = controller
    let last = 0
    const emit = (bytesDone: number, bytesTotal: number) => this.ctx.emit('session.operation', { operation, bytesDone, bytesTotal })
    emit(0, 0)
    try {
      return await run({
        signal: controller.signal,
        onProgress: (done, total) => {
          const now = performance.now()
          if (now - last < 100 && done < total) return
          last = now
          emit(done, total)
        },
      })
    } finally {
      if (this.archiveIo === controller) this.archiveIo = null
      this.ctx.emit('session.operation', null)
    }
  }

  get demoAvailable(): boolean {
    return !!this.demo
  }

  /** Throws BUSY while a save, checkpoint, resume or open is under way (a step must not change the session meanwhile). */
  requireNoOperation(what: string): void {
    if (this.running) throw new RequestError('BUSY', `Cannot ${what} while the session is ${this.running}; wait for it to finish`)
  }

  /** Runs `op` after every session operation asked for before it. */
  private serial<T>(label: string, op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      this.running = label
      try {
        return await op()
      } finally {
        this.running = null
      }
    })
    this.queue = run.catch(() => undefined)
    return run
  }

  open(p: ParamsOf<'session.open'>): Promise<SessionSnapshot> {
    return this.serial('opening', () => this.openNow(p))
  }

  private async openNow(p: ParamsOf<'session.open'>): Promise<SessionSnapshot> {
    const { ctx } = this
    ctx.requireIdle('open another recording')
    if (p.outputDir) await ctx.guard.outputFolder(p.outputDir)
    const cmcr = p.cmcrPath ? await ctx.guard.existing(p.cmcrPath) : null
    const cmtr = p.cmtrPath ? await ctx.guard.existing(p.cmtrPath) : null
    if (!cmcr && !cmtr) throw new RequestError('CONFIGURATION', 'Choose a .cmcr file, a .cmtr file, or both', { parameter: 'cmcrPath' })
    if (cmcr) await probePath(cmcr, { expect: 'file' })
    if (cmtr) await probePath(cmtr, { expect: 'file' })
    const session = createSession({
      datasetId: p.datasetId?.trim() || undefined,
      cmcrPath: cmcr,
      cmtrPath: cmtr,
      outputDir: p.outputDir ? resolve(p.outputDir) : ctx.store.settings.outputDir,
    })
    this.replace(session)
    ctx.store.addRecentRecording({ cmcrPath: cmcr, cmtrPath: cmtr, datasetId: session.datasetId, openedAt: new Date().toISOString() })
    ctx.log.add('info', `Opened ${session.datasetId} (${[cmcr, cmtr].filter(Boolean).join(', ')})`)
    return ctx.snapshot()!
  }

  openDemo(): Promise<SessionSnapshot> {
    return this.serial('opening the demo', () => this.openDemoNow())
  }

  private async openDemoNow(): Promise<SessionSnapshot> {
    if (!this.demo) throw new RequestError('UNSUPPORTED', 'The demo recording is not available in this build')
    this.ctx.requireIdle('open the demo')
    this.ctx.log.add('info', 'Preparing the demo recording (generated once, a few seconds)…')
    const demo = await this.demo()
    const snap = await this.openNow({ cmcrPath: demo.cmcrPath, cmtrPath: demo.cmtrPath })
    this.ctx.current.recommended = demo.recommendedParams ?? {}
    return this.ctx.emitSession() ?? snap
  }

  resume(rawPath: string): Promise<SessionSnapshot> {
    return this.serial('resuming', () => this.resumeNow(rawPath))
  }

  private async resumeNow(rawPath: string): Promise<SessionSnapshot> {
    const { ctx } = this
    ctx.requireIdle('resume another session')
    const path = await ctx.guard.existing(rawPath)
    await probePath(path, { expect: 'file' })
    ctx.log.add('info', `Resuming from ${path}…`)
    let session: PipelineSession
    try {
      session = await this.withArchiveIo('resuming', (io) => PipelineSession.load(path, { outputDir: ctx.store.settings.outputDir, ...io }))
    } catch (err) {
      if (err instanceof CancelledError) ctx.log.add('info', `Resume from ${path} cancelled; the open session is unchanged`)
      throw err
    }
    this.replace(session)
    ctx.current.openedFrom = session.hdf5Path
    ctx.emitSession()
    ctx.store.addRecentArchive({ path, datasetId: session.datasetId, kind: 'opened', at: new Date().toISOString() })
    ctx.log.add('info', `Resumed ${session.datasetId}: ${session.unitCount} units, steps ${[...session.completedSteps].join(', ') || 'none'}`)
    return ctx.snapshot()!
  }

  close(): Promise<null> {
    return this.serial('closing', async () => {
      this.ctx.requireIdle('close the session')
      this.replace(null)
      return null
    })
  }

  private replace(session: PipelineSession | null): void {
    this.ctx.current.replace(session)
    this.ctx.emitSession()
  }

  save(p: ParamsOf<'session.save'>): Promise<ResultOf<'session.save'>> {
    return this.serial('saving', () => this.saveNow(p))
  }

  private async saveNow(p: ParamsOf<'session.save'>): Promise<ResultOf<'session.save'>> {
    const { ctx } = this
    const current = ctx.current
    const session = current.require()
    ctx.requireIdle('save')
    const target = p.path
      ? resolve(normalizeUserPath(p.path))
      : (current.savedPath ?? join(session.outputDir, `${session.datasetId}.h5`))
    await ctx.guard.target(target)
    const own = current.savedPath !== null && current.savedPath === target
    ctx.log.add('info', `Saving ${session.datasetId} to ${target}…`)
    let path: string
    try {
      // Without overwrite the target must still be absent when the new file is put in place (not only now).
      path = await this.withArchiveIo('saving', (io) => session.save(target, { overwrite: own || !!p.overwrite, ...io }))
    } catch (err) {
      if (err instanceof CancelledError) ctx.log.add('info', `Save to ${target} cancelled; the file there is unchanged`)
      if (err instanceof WorkbenchError && err.code === 'FILE_EXISTS') {
        throw new RequestError('FILE_EXISTS', `${target} already exists; confirm to overwrite it`, { path: target })
      }
      throw err
    }
    if (current.session !== session) {
      ctx.log.add('info', `Saved ${path} (for ${session.datasetId}, no longer the open session)`)
      return { path, snapshot: ctx.snapshot()! }
    }
    current.savedPath = path
    ctx.store.addRecentArchive({ path, datasetId: session.datasetId, kind: 'save', at: new Date().toISOString() })
    ctx.log.add('info', `Saved ${path}`)
    return { path, snapshot: ctx.emitSession()! }
  }

  checkpoint(p: ParamsOf<'session.checkpoint'>): Promise<{ path: string }> {
    return this.serial('writing a checkpoint', () => this.checkpointNow(p))
  }

  private async checkpointNow(p: ParamsOf<'session.checkpoint'>): Promise<{ path: string }> {
    const { ctx } = this
    const session = ctx.current.require()
    ctx.requireIdle('checkpoint')
    const done = ctx.steps.filter((s) => session.completedSteps.has(s.id)).map((s) => s.id)
    const name = p.name?.trim() || (done.length ? `after_${done[done.length - 1]}` : 'initial')
    if (!p.path && !isSafeFileStem(name)) {
      throw new RequestError('CONFIGURATION', `Checkpoint name '${name.slice(0, 80)}' cannot be part of a file name (no / \\ : * ? " < > | or control characters)`, {
        parameter: 'name',
      })
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, '-')
    const target = p.path
      ? resolve(normalizeUserPath(p.path))
      : join(session.outputDir, 'checkpoints', `${session.datasetId}_${name}_${stamp}.h5`)
    await ctx.guard.target(target)
    let path: string
    try {
      path = await this.withArchiveIo('writing a checkpoint', (io) => session.checkpoint(target, { checkpointName: name, overwrite: true, ...io }))
    } catch (err) {
      if (err instanceof CancelledError) ctx.log.add('info', `Checkpoint ${name} cancelled; nothing was written`)
      throw err
    }
    ctx.store.addRecentArchive({ path, datasetId: session.datasetId, kind: 'checkpoint', at: new Date().toISOString() })
    ctx.log.add('info', `Checkpoint ${name} written to ${path}`)
    ctx.emitSession()
    return { path }
  }
}
