// Steps run as jobs: one at a time, with throttled progress and an ETA, cancel, and the outcome kept
// per step (summary or error) for the snapshot. Also the parameter check the wizard calls as you type.

import type { JobInfo, ValidationResult } from '../../src-shared/contract'
import { CancelledError } from '../../src-shared/errors'
import { RequestError, toWireError } from '../../src-shared/wire'
import { createTaskPool, type TaskPool } from '../pool/taskPool'
import type { PipelineSession } from '../session/session'
import { type StepDefinition, assertPrerequisites, missingPrerequisites, resolveParams, runStep } from '../steps/framework'
import type { WorkbenchContext } from './workbenchContext'

interface RunningJob extends JobInfo {
  controller: AbortController
}

const PROGRESS_INTERVAL_MS = 100

export class StepJobs {
  private job: RunningJob | null = null
  private pool: TaskPool | null = null
  private jobCounter = 0

  constructor(
    private readonly ctx: WorkbenchContext,
    private readonly createPool: () => TaskPool = () => createTaskPool(),
  ) {}

  get running(): JobInfo | null {
    return this.job
  }

  requireIdle(what: string): void {
    if (this.job) throw new RequestError('BUSY', `Cannot ${what} while ${this.job.stepId} is running; wait for it or cancel it`)
  }

  cancel(jobId: string): { cancelled: boolean } {
    if (!this.job || this.job.jobId !== jobId) return { cancelled: false }
    this.job.controller.abort()
    this.ctx.log.add('info', `Cancelling ${this.job.stepId}…`, this.job.stepId)
    return { cancelled: true }
  }

  async close(): Promise<void> {
    this.job?.controller.abort()
    await this.pool?.destroy()
    this.pool = null
  }

  private stepDef(id: string): StepDefinition<any> {
    const def = this.ctx.steps.find((s) => s.id === id)
    if (!def) throw new RequestError('UNKNOWN_STEP', `Unknown step '${id}' (available: ${this.ctx.steps.map((s) => s.id).join(', ') || 'none'})`)
    return def
  }

  validate(stepId: string, raw: Record<string, unknown>): ValidationResult {
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
    const session = this.ctx.current.session
    const missing = session ? missingPrerequisites(def, session) : def.prerequisites
    return { ok: Object.keys(errors).length === 0 && !general && missing.length === 0, errors, general, missing }
  }

  async start(stepId: string, raw: Record<string, unknown>): Promise<JobInfo> {
    this.ctx.current.require()
    this.ctx.requireIdle(`run ${stepId}`)
    this.ctx.requireNoSessionOperation(`run ${stepId}`)
    const def = this.stepDef(stepId)
    resolveParams(def, raw ?? {}) // parameter errors come back at once, naming the field
    await this.ctx.guard.stepParams(def, raw ?? {})
    // The checks above awaited: the session and the idle state are taken again, as they are now.
    const session = this.ctx.current.require()
    this.ctx.requireIdle(`run ${stepId}`)
    this.ctx.requireNoSessionOperation(`run ${stepId}`)
    assertPrerequisites(def, session)
    const job: RunningJob = {
      jobId: `job-${++this.jobCounter}-${Date.now().toString(36)}`,
      stepId,
      startedAt: Date.now(),
      controller: new AbortController(),
    }
    this.job = job
    const info: JobInfo = { jobId: job.jobId, stepId, startedAt: job.startedAt }
    this.ctx.emit('job.started', info)
    this.ctx.log.add('info', `Running ${stepId}…`, stepId)
    this.ctx.emitSession()
    void this.run(job, def, session, raw ?? {})
    return info
  }

  private async run(job: RunningJob, def: StepDefinition<any>, session: PipelineSession, raw: Record<string, unknown>): Promise<void> {
    const { current, log } = this.ctx
    let lastEmit = 0
    let lastMessage: string | undefined
    try {
      if (!this.pool) this.pool = this.createPool()
      const report = await runStep(def, session, raw, {
        pool: this.pool,
        signal: job.controller.signal,
        onProgress: (p) => {
          const now = Date.now()
          const done = p.fraction >= 1
          if (!done && now - lastEmit < PROGRESS_INTERVAL_MS && p.message === lastMessage) return
          lastEmit = now
          lastMessage = p.message
          const elapsed = (now - job.startedAt) / 1000
          const f = Math.min(1, Math.max(0, p.fraction))
          this.ctx.emit('job.progress', {
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
      current.stepErrors.delete(def.id)
      current.stepSummaries.set(def.id, report.summary)
      this.ctx.store.rememberStepParams(session.datasetId, def.id, raw)
      log.add('info', `${def.id}: ${report.summary} (${report.seconds.toFixed(1)} s)`, def.id)
      for (const w of report.warnings) log.add('warn', w, def.id)
      this.job = null
      this.ctx.emit('job.finished', {
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
      if (!cancelled) current.stepErrors.set(def.id, wire)
      log.add(cancelled ? 'warn' : 'error', cancelled ? `${def.id} cancelled; the session is unchanged` : `${def.id} failed: ${wire.message}`, def.id)
      this.job = null
      this.ctx.emit('job.finished', {
        jobId: job.jobId,
        stepId: def.id,
        status: cancelled ? 'cancelled' : 'failed',
        error: cancelled ? undefined : wire,
        warnings: [],
        seconds: (Date.now() - job.startedAt) / 1000,
      })
    } finally {
      this.job = null
      this.ctx.emitSession()
    }
  }
}
