// A read-only view of one unit together with the recording's metadata and stimulus trees. The same
// view works over a live PipelineSession and over the content of a loaded archive, since both hold
// units/metadata/stimulus as GroupNodes. Values are returned as copies, so extractors cannot alter them.

import { type GroupNode, type LeafNode, type TreeNode, asFloat64, asNumber, asString, getNode } from '../../src-shared/tree'

export interface ViewSource {
  units: GroupNode
  metadata: GroupNode
  stimulus: GroupNode
}

export class FeatureInputError extends Error {
  constructor(
    readonly unitId: string,
    readonly inputPath: string,
    problem: string,
  ) {
    super(`${unitId}: input '${inputPath}' ${problem}`)
    this.name = 'FeatureInputError'
  }
}

const SCOPES = ['unit', 'metadata', 'stimulus'] as const
export type ViewScope = (typeof SCOPES)[number]

/** Splits 'unit/spike_times' into its scope and the path inside it; anything else is a programming error. */
export function parseViewPath(path: string): { scope: ViewScope; inner: string; attr?: string } {
  const parts = path.split('/').filter((p) => p.length > 0)
  const scope = parts[0] as ViewScope
  if (!SCOPES.includes(scope) || parts.length < 2) {
    throw new RangeError(`feature input path '${path}' must start with unit/, metadata/ or stimulus/ and name something inside`)
  }
  const last = parts[parts.length - 1]
  if (last.startsWith('@')) return { scope, inner: parts.slice(1, -1).join('/'), attr: last.slice(1) }
  return { scope, inner: parts.slice(1).join('/') }
}

export class UnitView {
  constructor(
    private readonly source: ViewSource,
    readonly unitId: string,
  ) {
    const u = source.units.children.get(unitId)
    if (!u || u.kind !== 'group') throw new RangeError(`unit '${unitId}' not found`)
  }

  private root(scope: ViewScope): GroupNode {
    if (scope === 'unit') return this.source.units.children.get(this.unitId) as GroupNode
    return scope === 'metadata' ? this.source.metadata : this.source.stimulus
  }

  private lookup(path: string): TreeNode | undefined {
    const { scope, inner, attr } = parseViewPath(path)
    const root = this.root(scope)
    const node = inner ? getNode(root, inner) : root
    if (attr === undefined) return node
    return node?.kind === 'group' ? node.attrs.get(attr) : undefined
  }

  private leaf(path: string): LeafNode {
    const node = this.lookup(path)
    if (!node) throw new FeatureInputError(this.unitId, path, 'is missing')
    if (node.kind === 'group') throw new FeatureInputError(this.unitId, path, 'is a group, not a dataset')
    return node
  }

  has(path: string): boolean {
    return this.lookup(path) !== undefined
  }

  /** The values of a numeric dataset as float64 (a copy), in C order. */
  getArray(path: string): Float64Array {
    const node = this.leaf(path)
    const values = asFloat64(node)
    if (!values) throw new FeatureInputError(this.unitId, path, `is ${node.kind}, not numeric`)
    return values === node.data ? values.slice() : values
  }

  shape(path: string): number[] {
    return [...this.leaf(path).shape]
  }

  /** A one-element numeric (or numeric-string) dataset or attribute, whatever its stored shape. */
  getScalar(path: string): number {
    const v = asNumber(this.leaf(path))
    if (v === undefined) throw new FeatureInputError(this.unitId, path, 'is not a single number')
    return v
  }

  getString(path: string): string {
    const v = asString(this.leaf(path))
    if (v === undefined) throw new FeatureInputError(this.unitId, path, 'is not a single text value')
    return v
  }

  /** Child names of a group (empty when the path is missing or is a dataset). */
  keys(path: string): string[] {
    const node = this.lookup(path)
    return node?.kind === 'group' ? [...node.children.keys()] : []
  }
}

/** Views of every unit of a session or of a loaded archive, in the source's unit order. */
export function unitViews(source: ViewSource): UnitView[] {
  return [...source.units.children.keys()].map((id) => new UnitView(source, id))
}
