// What a pipeline step is: a parameter schema with defaults and help, prerequisites, and a run that
// computes without touching the session and returns an `apply` that commits its results in one go.
// The wizard, the CLI and the batch queue all go through runStep(), so validation, prerequisites,
// warnings, cancel and "never half-written" hold everywhere.

import { ConfigurationError, CancelledError, throwIfAborted } from '../../src-shared/errors'
import type { PipelineSession } from '../session/session'
import type { TaskPool } from '../pool/taskPool'
import type { ParamInfo, ParamType } from '../../src-shared/stepParams'

export type { ParamType }

/** A step's parameter: what the wizard shows (ParamInfo, src-shared/stepParams.ts) plus a rule kept here. */
export interface ParamSpec extends Omit<ParamInfo, 'optional'> {
  optional?: boolean
  /** A rule across this parameter only, returning an error text or null. */
  check?: (value: unknown) => string | null
}

export interface Progress {
  /** 0..1 */
  fraction: number
  message?: string
  bytesDone?: number
  bytesTotal?: number
}

export interface StepContext {
  signal: AbortSignal
  progress(p: Progress): void
  /** A warning for the session, kept only if the step succeeds (its failure is the error itself). */
  warn(message: string): void
  pool: TaskPool
}

export interface StepOutcome {
  /** Commits the step's results to the session. Runs synchronously after the run succeeded. */
  apply(session: PipelineSession): void
  /** One line for the wizard, the CLI and the batch log. */
  summary: string
  /** Extra names recorded in completed_steps (e.g. add_cmtr_unit_info). */
  alsoCompleted?: string[]
}

export interface StepDefinition<P extends Record<string, unknown> = Record<string, unknown>> {
  /** The Python step name, recorded in completed_steps. */
  id: string
  title: string
  /** One or two sentences for the wizard. */
  description: string
  optional?: boolean
  params: ParamSpec[]
  /** Each inner list is "any of"; every list must be satisfied. */
  prerequisites: string[][]
  /** Checks across parameters after each one was validated; throw ConfigurationError. */
  validate?(params: P): void
  run(session: PipelineSession, params: P, ctx: StepContext): Promise<StepOutcome>
}

// ---------- parameters ----------

function fail(step: string, spec: ParamSpec, why: string): never {
  throw new ConfigurationError(`${step}: parameter '${spec.name}' ${why}`, { parameter: spec.name })
}

function checkBounds(step: string, spec: ParamSpec, v: number): void {
  if (spec.min !== undefined && (spec.exclusiveMin ? v <= spec.min : v < spec.min)) {
    fail(step, spec, `must be ${spec.exclusiveMin ? '>' : '>='} ${spec.min} (got ${v})`)
  }
  if (spec.max !== undefined && v > spec.max) fail(step, spec, `must be <= ${spec.max} (got ${v})`)
}

function toNumber(step: string, spec: ParamSpec, raw: unknown): number {
  const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(step, spec, `must be a number (got ${JSON.stringify(raw)})`)
  return v
}

function coerceParam(step: string, spec: ParamSpec, raw: unknown): unknown {
  switch (spec.type) {
    case 'number': {
      const v = toNumber(step, spec, raw)
      checkBounds(step, spec, v)
      return v
    }
    case 'integer': {
      const v = toNumber(step, spec, raw)
      if (!Number.isInteger(v)) fail(step, spec, `must be a whole number (got ${v})`)
      // Whole numbers are stored as int64 and counted with doubles: beyond 2^53 they are neither exact nor storable.
      if (!Number.isSafeInteger(v)) fail(step, spec, `must be a whole number between -9007199254740991 and 9007199254740991 (got ${v})`)
      checkBounds(step, spec, v)
      return v
    }
    case 'boolean':
      if (typeof raw === 'boolean') return raw
      if (raw === 'true' || raw === 'false') return raw === 'true'
      return fail(step, spec, `must be true or false (got ${JSON.stringify(raw)})`)
    case 'string':
    case 'path':
    case 'folder':
      if (typeof raw !== 'string' || raw.trim() === '') fail(step, spec, 'must be a non-empty text')
      return raw.trim()
    case 'enum':
      if (typeof raw !== 'string' || !spec.choices?.includes(raw)) {
        fail(step, spec, `must be one of ${spec.choices?.join(', ')} (got ${JSON.stringify(raw)})`)
      }
      return raw
    case 'range': {
      const arr = typeof raw === 'string' ? raw.split(/[,\s]+/).filter(Boolean) : raw
      if (!Array.isArray(arr) || arr.length !== 2) fail(step, spec, `must be two numbers [start, end] (got ${JSON.stringify(raw)})`)
      const pair = arr.map((x) => toNumber(step, spec, x)) as [number, number]
      if (spec.integer && !pair.every(Number.isInteger)) fail(step, spec, 'must hold whole numbers')
      return pair
    }
    case 'stringList': {
      const arr = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter(Boolean) : raw
      if (!Array.isArray(arr) || !arr.every((x) => typeof x === 'string')) fail(step, spec, 'must be a list of names')
      return arr
    }
  }
}

/** Validated parameters with defaults filled in. Unknown names are an error (a typo must not pass silently). */
export function resolveParams<P extends Record<string, unknown>>(def: StepDefinition<P>, raw: Record<string, unknown> = {}): P {
  const known = new Set(def.params.map((p) => p.name))
  for (const name of Object.keys(raw)) {
    if (!known.has(name)) {
      throw new ConfigurationError(`${def.id}: unknown parameter '${name}' (known: ${[...known].join(', ') || 'none'})`, {
        parameter: name,
      })
    }
  }
  const out: Record<string, unknown> = {}
  for (const spec of def.params) {
    const given = raw[spec.name]
    const value = given === undefined || given === null || given === '' ? spec.default : given
    if (value === null || value === undefined) {
      if (spec.optional) {
        out[spec.name] = null
        continue
      }
      fail(def.id, spec, 'is required')
    }
    const coerced = coerceParam(def.id, spec, value)
    const problem = spec.check?.(coerced)
    if (problem) fail(def.id, spec, problem)
    out[spec.name] = coerced
  }
  def.validate?.(out as P)
  return out as P
}

export function defaultParams(def: StepDefinition): Record<string, unknown> {
  return Object.fromEntries(def.params.map((p) => [p.name, p.default]))
}

// ---------- prerequisites ----------

/** The prerequisite groups not yet satisfied by the session, each as its list of alternatives. */
export function missingPrerequisites(def: StepDefinition, session: PipelineSession): string[][] {
  return def.prerequisites.filter((anyOf) => !session.hasCompleted(...anyOf))
}

export function assertPrerequisites(def: StepDefinition, session: PipelineSession): void {
  const missing = missingPrerequisites(def, session)
  if (missing.length > 0) {
    const need = missing.map((g) => g.join(' or ')).join(', then ')
    throw new ConfigurationError(`${def.id} needs ${need} to have run first`, { code: 'PREREQUISITE' })
  }
}

// ---------- running ----------

export interface RunStepOptions {
  pool: TaskPool
  signal?: AbortSignal
  onProgress?: (p: Progress) => void
}

export interface StepReport {
  step: string
  summary: string
  warnings: string[]
  seconds: number
}

/**
 * Validates, checks prerequisites, runs, and commits atomically. On error or cancel the session is
 * exactly as before. A rerun replaces the step's results (its apply() overwrites its own keys).
 */
export async function runStep(
  def: StepDefinition<any>,
  session: PipelineSession,
  rawParams: Record<string, unknown>,
  options: RunStepOptions,
): Promise<StepReport> {
  const params = resolveParams(def, rawParams)
  assertPrerequisites(def, session)
  const signal = options.signal ?? new AbortController().signal
  throwIfAborted(signal)
  const warnings: string[] = []
  const started = performance.now()
  const ctx: StepContext = {
    signal,
    pool: options.pool,
    warn: (m) => warnings.push(m),
    progress: (p) => options.onProgress?.(p),
  }
  const outcome = await def.run(session, params, ctx)
  if (signal.aborted) throw new CancelledError(`${def.id} cancelled; the session is unchanged`)
  outcome.apply(session)
  for (const w of warnings) session.addWarning(def.id, w)
  for (const extra of outcome.alsoCompleted ?? []) session.markStepComplete(extra)
  session.markStepComplete(def.id)
  options.onProgress?.({ fraction: 1, message: outcome.summary })
  return { step: def.id, summary: outcome.summary, warnings, seconds: (performance.now() - started) / 1000 }
}
