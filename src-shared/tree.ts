// The typed node model of a session's data trees (units, metadata, stimulus) and of archive contents.
//
// Every value keeps the dtype and shape it has (or will have) on disk, so a subtree loaded from an
// archive and never touched is written back unchanged. int64/uint64 values are held in Float64Array
// (exact below 2^53, which covers sample indices of any real recording); `dtype` records the on-disk type.

export type IntegerDtype = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
export type FloatDtype = 'float32' | 'float64'
export type NumericDtype = IntegerDtype | FloatDtype

export type NumericData =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array

/**
 * How a string was stored, so an untouched string is written back the same way where possible.
 * 'fixed' is a fixed-length ASCII string (MCS files), 'fixed-utf8' a fixed-length UTF-8 one.
 */
export type StringEncoding = 'vlen-utf8' | 'vlen-ascii' | 'fixed' | 'fixed-utf8'

/** Attributes attached to a dataset in an archive (e.g. `spike_times@unit` of the immediate store); kept for resave. */
interface DatasetAttrs {
  attrs?: Map<string, LeafNode>
}

export interface NumericNode extends DatasetAttrs {
  kind: 'numeric'
  dtype: NumericDtype
  /** [] for a scalar (rank-0 dataspace); [1] is a one-element array and is never collapsed. */
  shape: number[]
  data: NumericData
}

/** Booleans: h5py writes an int8 enum {FALSE, TRUE}; we write int8 0/1 (h5wasm cannot create enums). */
export interface BoolNode extends DatasetAttrs {
  kind: 'bool'
  shape: number[]
  data: Uint8Array
}

export interface StringNode extends DatasetAttrs {
  kind: 'string'
  shape: number[]
  data: string[]
  encoding?: StringEncoding
  /** Bytes per element of a fixed-length string type (grown on write if a value no longer fits). */
  itemSize?: number
}

export type LeafNode = NumericNode | BoolNode | StringNode

export interface GroupNode {
  kind: 'group'
  /** Insertion order is the listing order; readers insert numeric-string keys in numeric order. */
  children: Map<string, TreeNode>
  attrs: Map<string, LeafNode>
}

export type TreeNode = GroupNode | LeafNode

const STORAGE: Record<NumericDtype, new (n: number) => NumericData> = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: Float64Array,
  uint64: Float64Array,
  float32: Float32Array,
  float64: Float64Array,
}

/** The typed-array class that holds values of a dtype in memory. */
export function storageFor(dtype: NumericDtype): new (n: number) => NumericData {
  return STORAGE[dtype]
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

// ---------- builders ----------

export function group(children: Record<string, TreeNode> = {}, attrs: Record<string, LeafNode> = {}): GroupNode {
  return { kind: 'group', children: new Map(Object.entries(children)), attrs: new Map(Object.entries(attrs)) }
}

/** A numeric dataset. `values` is copied into the storage class of `dtype` unless it already is one. */
export function numeric(dtype: NumericDtype, values: ArrayLike<number>, shape?: number[]): NumericNode {
  const Storage = STORAGE[dtype]
  const data = values instanceof Storage ? (values as NumericData) : (() => {
    const out = new Storage(values.length)
    for (let i = 0; i < values.length; i++) out[i] = values[i]
    return out
  })()
  const s = shape ?? [data.length]
  if (elementCount(s) !== data.length) {
    throw new RangeError(`shape [${s.join(', ')}] does not match ${data.length} values`)
  }
  return { kind: 'numeric', dtype, shape: s, data }
}

/** A shape-() numeric scalar. */
export function scalar(dtype: NumericDtype, value: number): NumericNode {
  return numeric(dtype, [value], [])
}

export const f64 = (v: ArrayLike<number>, shape?: number[]) => numeric('float64', v, shape)
export const f32 = (v: ArrayLike<number>, shape?: number[]) => numeric('float32', v, shape)
export const i64 = (v: ArrayLike<number>, shape?: number[]) => numeric('int64', v, shape)
export const u64 = (v: ArrayLike<number>, shape?: number[]) => numeric('uint64', v, shape)
export const f64Scalar = (v: number) => scalar('float64', v)
export const i64Scalar = (v: number) => scalar('int64', v)

export function str(value: string): StringNode {
  return { kind: 'string', shape: [], data: [value] }
}

export function strs(values: string[]): StringNode {
  return { kind: 'string', shape: [values.length], data: [...values] }
}

export function bool(value: boolean): BoolNode {
  return { kind: 'bool', shape: [], data: Uint8Array.of(value ? 1 : 0) }
}

// ---------- paths ----------

function splitPath(path: string): string[] {
  return path.split('/').filter((p) => p.length > 0)
}

/** The node at a '/'-separated path below `root`, or undefined. */
export function getNode(root: GroupNode, path: string): TreeNode | undefined {
  let node: TreeNode = root
  for (const part of splitPath(path)) {
    if (node.kind !== 'group') return undefined
    const next: TreeNode | undefined = node.children.get(part)
    if (!next) return undefined
    node = next
  }
  return node
}

export function getGroup(root: GroupNode, path: string): GroupNode | undefined {
  const n = getNode(root, path)
  return n?.kind === 'group' ? n : undefined
}

/** Sets the node at `path`, creating intermediate groups; an existing non-group on the way is an error. */
export function setNode(root: GroupNode, path: string, node: TreeNode): void {
  const parts = splitPath(path)
  if (parts.length === 0) throw new Error('setNode: empty path')
  let g = root
  for (const part of parts.slice(0, -1)) {
    let next = g.children.get(part)
    if (!next) {
      next = group()
      g.children.set(part, next)
    }
    if (next.kind !== 'group') throw new Error(`setNode: '${part}' in '${path}' is a dataset, not a group`)
    g = next
  }
  g.children.set(parts[parts.length - 1], node)
}

export function deleteNode(root: GroupNode, path: string): boolean {
  const parts = splitPath(path)
  const parent = parts.length > 1 ? getGroup(root, parts.slice(0, -1).join('/')) : root
  return parent ? parent.children.delete(parts[parts.length - 1]) : false
}

// ---------- coercion at the point of use (archives in the wild store scalars as () or (1,)) ----------

/** A number from a numeric/bool leaf of one element, or a numeric string. Undefined if not coercible. */
export function asNumber(node: TreeNode | undefined): number | undefined {
  if (!node) return undefined
  if (node.kind === 'numeric' || node.kind === 'bool') return node.data.length === 1 ? Number(node.data[0]) : undefined
  if (node.kind === 'string' && node.data.length === 1) {
    const v = Number(node.data[0])
    return node.data[0].trim() !== '' && Number.isFinite(v) ? v : undefined
  }
  return undefined
}

export function asString(node: TreeNode | undefined): string | undefined {
  if (!node) return undefined
  if (node.kind === 'string' && node.data.length === 1) return node.data[0]
  if (node.kind === 'numeric' && node.data.length === 1) return String(node.data[0])
  return undefined
}

/** Tolerates bool nodes, 0/1 integers and the strings "True"/"False" (a Python artefact). */
export function asBool(node: TreeNode | undefined): boolean | undefined {
  if (!node) return undefined
  if (node.kind === 'string' && node.data.length === 1) {
    const s = node.data[0].trim().toLowerCase()
    if (s === 'true') return true
    if (s === 'false') return false
    return undefined
  }
  const n = asNumber(node)
  return n === undefined ? undefined : n !== 0
}

/** The values of a numeric leaf as a Float64Array view or copy (for computation). */
export function asFloat64(node: TreeNode | undefined): Float64Array | undefined {
  if (!node || node.kind !== 'numeric') return undefined
  return node.data instanceof Float64Array ? node.data : Float64Array.from(node.data)
}

/** Children of a group whose keys are all non-negative integers, in numeric order. */
export function numericChildren(g: GroupNode): Array<[number, TreeNode]> {
  const out: Array<[number, TreeNode]> = []
  for (const [k, v] of g.children) {
    if (!/^\d+$/.test(k)) return []
    out.push([Number(k), v])
  }
  return out.sort((a, b) => a[0] - b[0])
}

// ---------- size ----------

/** Bytes held by every typed array (and, approximately, every string) below a node, attributes included. */
export function treeBytes(node: TreeNode): number {
  switch (node.kind) {
    case 'numeric':
    case 'bool':
      return node.data.byteLength
    case 'string':
      return node.data.reduce((a, s) => a + 2 * s.length, 0)
    case 'group': {
      let total = 0
      for (const a of node.attrs.values()) total += treeBytes(a)
      for (const c of node.children.values()) total += treeBytes(c)
      return total
    }
  }
}

/** Deep copy (typed arrays copied), used where a caller must not share buffers with the session. */
export function cloneNode<T extends TreeNode>(node: T): T {
  switch (node.kind) {
    case 'group': {
      const g = group()
      for (const [k, v] of node.children) g.children.set(k, cloneNode(v))
      for (const [k, v] of node.attrs) g.attrs.set(k, cloneNode(v))
      return g as T
    }
    case 'string':
      return withClonedAttrs({ ...node, shape: [...node.shape], data: [...node.data] } as LeafNode) as T
    default:
      return withClonedAttrs({ ...node, shape: [...node.shape], data: node.data.slice() } as LeafNode) as T
  }
}

function withClonedAttrs(leaf: LeafNode): LeafNode {
  if (leaf.attrs) leaf.attrs = new Map([...leaf.attrs].map(([k, v]) => [k, cloneNode(v)]))
  return leaf
}
