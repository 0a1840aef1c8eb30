// The API a JavaScript step plugin sees (docs/plugins.md): read-only views of the session, writes that
// are collected during the run and committed only when the step succeeds, warnings, progress and cancel.
// Nothing else of the app is reachable from it.

import { CancelledError } from '../../src-shared/errors'
import { type GroupNode, type NumericDtype, type TreeNode, setNode } from '../../src-shared/tree'
import type { PipelineSession } from '../session/session'
import type { StepContext } from '../steps/framework'
import { type TreeView, treeView } from './treeView'
import { type TypedValue, checkName, toNode, typed } from './values'

export interface PluginApi {
  readonly datasetId: string
  /** Steps the session has completed (a copy). */
  readonly completedSteps: string[]
  readonly units: TreeView
  readonly metadata: TreeView
  readonly stimulus: TreeView
  /** Unit ids in numeric order (unit_2 before unit_10). */
  unitIds(): string[]
  /** The view of one unit (its spike_times, features, attributes). */
  unit(unitId: string): TreeView
  /** Stores units/<unitId>/features/<name>/{data, metadata}, replacing an earlier one of that name. */
  addFeature(unitId: string, name: string, data: unknown, metadata?: Record<string, unknown>): void
  /** Stores metadata/<path> ('a/b' makes the groups on the way). */
  addMetadata(path: string, value: unknown): void
  /** Stores stimulus/<path>. */
  addStimulus(path: string, value: unknown): void
  /** A warning kept in the session's warnings (only if the step succeeds). */
  warn(message: string): void
  /** Moves the progress bar (fraction 0..1). Throws the cancellation once the user pressed Cancel. */
  progress(fraction: number, message?: string): void
  /** Lets the app breathe in a long loop: progress and Cancel get through. Throws once cancelled. */
  yieldToApp(): Promise<void>
  readonly signal: AbortSignal
  readonly cancelled: boolean
  throwIfCancelled(): void
  typed(dtype: NumericDtype, values: number | bigint | ArrayLike<number | bigint>, shape?: number[]): TypedValue
  int64(values: number | bigint | ArrayLike<number | bigint>, shape?: number[]): TypedValue
  uint64(values: number | bigint | ArrayLike<number | bigint>, shape?: number[]): TypedValue
  int32(values: number | ArrayLike<number>, shape?: number[]): TypedValue
  float32(values: number | ArrayLike<number>, shape?: number[]): TypedValue
}

/** The API object and the writes it collected (applied by commit() after a successful run). */
export interface ApiHandle {
  api: PluginApi
  writes(): number
  commit(session: PipelineSession): void
}

function splitPath(path: string, where: string): string[] {
  const parts = String(path).split('/').filter((p) => p !== '')
  if (parts.length === 0) throw new TypeError(`${where}: an empty path`)
  for (const p of parts) checkName(p, where)
  return parts
}

/** A dataset on the way to `parts` in the tree would make setNode fail at commit: refuse it now. */
function checkWay(root: GroupNode, parts: string[], where: string): void {
  let g: GroupNode = root
  for (const part of parts.slice(0, -1)) {
    const next: TreeNode | undefined = g.children.get(part)
    if (!next) return
    if (next.kind !== 'group') throw new TypeError(`${where}: '${part}' is a dataset, not a group`)
    g = next
  }
}

export function createPluginApi(session: PipelineSession, ctx: StepContext): ApiHandle {
  const pending: Array<(s: PipelineSession) => void> = []
  const check = () => {
    if (ctx.signal.aborted) throw new CancelledError()
  }
  const put = (tree: 'metadata' | 'stimulus', path: string, value: unknown) => {
    const where = `${tree === 'metadata' ? 'addMetadata' : 'addStimulus'}('${path}')`
    const parts = splitPath(path, where)
    checkWay(session[tree], parts, where)
    const node = toNode(value, where)
    pending.push((s) => {
      setNode(s[tree], parts.join('/'), node)
      s.touch()
    })
  }
  const api: PluginApi = {
    datasetId: session.datasetId,
    completedSteps: [...session.completedSteps].sort(),
    units: treeView(session.units),
    metadata: treeView(session.metadata),
    stimulus: treeView(session.stimulus),
    unitIds: () => session.unitIds(),
    unit(unitId) {
      return treeView(session.unit(unitId))
    },
    addFeature(unitId, name, data, metadata = {}) {
      const where = `addFeature('${unitId}', '${name}')`
      session.unit(unitId) // an unknown unit fails here, naming it
      checkName(name, where)
      const dataNode = toNode(data, `${where} data`)
      const meta = toNode(metadata, `${where} metadata`)
      if (meta.kind !== 'group') throw new TypeError(`${where}: metadata must be an object`)
      pending.push((s) => s.addFeature(unitId, name, dataNode, Object.fromEntries(meta.children)))
    },
    addMetadata: (path, value) => put('metadata', path, value),
    addStimulus: (path, value) => put('stimulus', path, value),
    warn(message) {
      ctx.warn(String(message))
    },
    progress(fraction, message) {
      check()
      const f = Number(fraction)
      ctx.progress({ fraction: Number.isFinite(f) ? Math.min(1, Math.max(0, f)) : 0, message: message === undefined ? undefined : String(message) })
    },
    async yieldToApp() {
      await new Promise((r) => setImmediate(r))
      check()
    },
    signal: ctx.signal,
    get cancelled() {
      return ctx.signal.aborted
    },
    throwIfCancelled: check,
    typed,
    int64: (v, shape) => typed('int64', v, shape),
    uint64: (v, shape) => typed('uint64', v, shape),
    int32: (v, shape) => typed('int32', v, shape),
    float32: (v, shape) => typed('float32', v, shape),
  }
  return {
    api: Object.freeze(api),
    writes: () => pending.length,
    commit(s) {
      for (const w of pending) w(s)
    },
  }
}

