// What the renderer sees of the workbench: the session snapshot (state of each step, memory, save
// state, suggested parameters) and the step list. Pure functions of the workbench's state.

import { resolve } from 'node:path'
import type { JobInfo, ParamInfo, SessionSnapshot, StepInfo, StepStatus } from '../../src-shared/contract'
import type { PipelineSession } from '../session/session'
import { type StepDefinition, defaultParams, missingPrerequisites } from '../steps/framework'
import type { CurrentSession } from './currentSession'

export function buildSnapshot(
  current: CurrentSession,
  steps: StepDefinition<any>[],
  job: JobInfo | null,
  memoryWarningGb: number,
  remembered: Record<string, Record<string, unknown>>,
): SessionSnapshot | null {
  const s = current.session
  if (!s) return null
  const memoryWarningBytes = memoryWarningGb * 1024 ** 3
  const memoryBytes = s.memoryEstimateBytes
  const stepStates: StepStatus[] = steps.map((def) => {
    const missing = missingPrerequisites(def, s)
    const lastError = current.stepErrors.get(def.id)
    const state =
      job?.stepId === def.id ? 'running' : lastError ? 'failed' : s.completedSteps.has(def.id) ? 'done' : missing.length ? 'blocked' : 'ready'
    return { id: def.id, state, missing, lastError, lastSummary: current.stepSummaries.get(def.id) }
  })
  return {
    datasetId: s.datasetId,
    saveState: s.saveState === 'saved' ? 'saved' : 'deferred',
    modifiedSinceSave: s.isModifiedSinceSave,
    hdf5Path: current.savedPath,
    openedFrom: current.openedFrom,
    outputDir: resolve(s.outputDir),
    sourceFiles: Object.fromEntries(s.sourceFiles),
    unitCount: s.unitCount,
    memoryBytes,
    memoryWarningBytes,
    memoryWarning: memoryBytes > memoryWarningBytes,
    completedSteps: [...s.completedSteps].sort(),
    warnings: s.warnings.map((w) => ({ step: w.step, message: w.message })),
    steps: stepStates,
    suggestedParams: suggestedParams(s, steps, current.recommended, remembered),
    runningJob: job ? { jobId: job.jobId, stepId: job.stepId, startedAt: job.startedAt } : null,
    createdAt: s.createdAt,
    savedAt: s.savedAt,
  }
}

/**
 * Defaults, then the demo's advice, then the parameters last used for this dataset (parameters only:
 * remembered file and folder paths may belong to another copy of the recording), and the session's own
 * recording files last: they always win, also when the session has none of one kind (raw only).
 */
function suggestedParams(
  s: PipelineSession,
  steps: StepDefinition<any>[],
  recommended: Record<string, Record<string, unknown>>,
  remembered: Record<string, Record<string, unknown>>,
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {}
  for (const def of steps) {
    const known = new Set(def.params.map((p) => p.name))
    const isPath = new Set(def.params.filter((p) => p.type === 'path' || p.type === 'folder' || p.name === 'dataset_id').map((p) => p.name))
    const merged: Record<string, unknown> = { ...defaultParams(def) }
    for (const [k, v] of Object.entries(recommended[def.id] ?? {})) if (known.has(k) && v !== undefined) merged[k] = v
    for (const [k, v] of Object.entries(remembered[def.id] ?? {})) if (known.has(k) && !isPath.has(k) && v !== undefined) merged[k] = v
    for (const k of ['cmcr_path', 'cmtr_path']) if (known.has(k)) merged[k] = s.sourceFiles.get(k) ?? null
    out[def.id] = merged
  }
  return out
}

export function stepInfo(def: StepDefinition<any>): StepInfo {
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
