// Plain JavaScript values <-> the session's tree nodes, for the plugin API. Plugins never see tree nodes:
// they read numbers, strings, typed arrays and read-only views, and write the same kinds of values.
//
// Writing: a JS number is float64, a bigint int64, a boolean bool, a string a string; a typed array keeps
// its element type (BigInt64Array -> int64, BigUint64Array -> uint64); an array of numbers (also nested,
// rectangular) is float64 with that shape; an array of strings a string list; a plain object a group.
// `typed(dtype, values, shape)` (exposed as api.int64() etc.) forces a dtype.

import {
  type GroupNode,
  type LeafNode,
  type NumericDtype,
  type TreeNode,
  elementCount,
  group,
  numeric,
} from '../../src-shared/tree'

const TYPED_MARK = Symbol.for('hdmea.plugin.typed')

/** A value with an explicit dtype, made by typed() (the plugin API's int64(), uint64(), ...). */
export interface TypedValue {
  readonly [TYPED_MARK]: true
  readonly dtype: NumericDtype
  readonly values: ArrayLike<number>
  readonly shape: number[]
}

const MAX_EXACT = 2 ** 53

export function typed(dtype: NumericDtype, value: number | bigint | ArrayLike<number | bigint>, shape?: number[]): TypedValue {
  const list: Array<number | bigint> = typeof value === 'number' || typeof value === 'bigint' ? [value] : Array.from(value as ArrayLike<number | bigint>)
  const values = list.map((v) => toFiniteNumber(v, dtype))
  const s = shape ?? (typeof value === 'number' || typeof value === 'bigint' ? [] : [values.length])
  if (elementCount(s) !== values.length) throw new TypeError(`shape [${s.join(', ')}] does not match ${values.length} values`)
  return { [TYPED_MARK]: true, dtype, values, shape: s }
}

function toFiniteNumber(v: number | bigint, dtype: NumericDtype): number {
  const n = typeof v === 'bigint' ? Number(v) : v
  if (typeof v === 'bigint' && (v > BigInt(MAX_EXACT) || v < -BigInt(MAX_EXACT))) {
    throw new RangeError(`${v} is beyond 2^53, which the workbench holds exactly`)
  }
  if (dtype !== 'float32' && dtype !== 'float64' && !Number.isInteger(n)) throw new TypeError(`${dtype} needs whole numbers (got ${n})`)
  return n
}

function isTyped(v: unknown): v is TypedValue {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[TYPED_MARK] === true
}

const TYPED_ARRAY_DTYPE = new Map<unknown, NumericDtype>([
  [Float64Array, 'float64'],
  [Float32Array, 'float32'],
  [Int8Array, 'int8'],
  [Uint8Array, 'uint8'],
  [Int16Array, 'int16'],
  [Uint16Array, 'uint16'],
  [Int32Array, 'int32'],
  [Uint32Array, 'uint32'],
])

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/** Shape of a nested rectangular array of numbers, or null if it is not one. */
function nestedShape(v: unknown[]): number[] | null {
  if (v.length === 0) return [0]
  if (v.every((x) => typeof x === 'number')) return [v.length]
  if (!v.every((x) => Array.isArray(x))) return null
  const inner = (v as unknown[][]).map(nestedShape)
  if (inner.some((s) => s === null)) return null
  const first = inner[0]!
  if (!inner.every((s) => s!.length === first.length && s!.every((d, i) => d === first[i]))) return null
  return [v.length, ...first]
}

/** Converts a plugin's value to a tree node; `where` names it in errors. */
export function toNode(value: unknown, where: string): TreeNode {
  if (isTyped(value)) return numeric(value.dtype, value.values, value.shape)
  switch (typeof value) {
    case 'number':
      return numeric('float64', [value], [])
    case 'bigint':
      return numeric('int64', [toFiniteNumber(value, 'int64')], [])
    case 'boolean':
      return { kind: 'bool', shape: [], data: Uint8Array.of(value ? 1 : 0) }
    case 'string':
      return { kind: 'string', shape: [], data: [value] }
  }
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) {
    const dtype = value instanceof BigInt64Array ? 'int64' : 'uint64'
    return numeric(dtype, Array.from(value, (v) => toFiniteNumber(v, dtype)))
  }
  if (ArrayBuffer.isView(value)) {
    const dtype = TYPED_ARRAY_DTYPE.get(value.constructor)
    if (!dtype) throw new TypeError(`${where}: ${value.constructor.name} is not a supported array type`)
    return numeric(dtype, (value as unknown as Float64Array).slice()) // a copy: later changes by the plugin do not leak in
  }
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((x) => typeof x === 'string')) return { kind: 'string', shape: [value.length], data: [...value] }
    if (value.length > 0 && value.every((x) => typeof x === 'boolean')) {
      return { kind: 'bool', shape: [value.length], data: Uint8Array.from(value, (b) => (b ? 1 : 0)) }
    }
    if (value.length > 0 && value.every((x) => typeof x === 'bigint')) return numeric('int64', value.map((v) => toFiniteNumber(v, 'int64')))
    const shape = nestedShape(value)
    if (!shape) throw new TypeError(`${where}: an array must hold numbers (rectangular if nested), strings, booleans or bigints`)
    const flat = (value as unknown[]).flat(Infinity) as number[]
    return numeric('float64', flat, shape)
  }
  if (isPlainObject(value)) {
    const g: GroupNode = group()
    for (const [k, v] of Object.entries(value)) {
      checkName(k, where)
      g.children.set(k, toNode(v, `${where}/${k}`))
    }
    return g
  }
  throw new TypeError(`${where}: cannot store ${value === null ? 'null' : value === undefined ? 'undefined' : typeof value} (use numbers, strings, booleans, arrays, typed arrays or objects)`)
}

/** Names of groups and datasets: no '/', not empty, not '.' or '..'. */
export function checkName(name: string, where: string): void {
  if (!name || name.includes('/') || name === '.' || name === '..') throw new TypeError(`${where}: '${name}' is not a valid name`)
}

/** A leaf as a plain value: a shape-() leaf as a number/boolean/string, arrays as copies. */
export function leafValue(leaf: LeafNode): unknown {
  if (leaf.kind === 'string') return leaf.shape.length === 0 ? leaf.data[0] : [...leaf.data]
  if (leaf.kind === 'bool') return leaf.shape.length === 0 ? leaf.data[0] !== 0 : Array.from(leaf.data, (b) => b !== 0)
  return leaf.shape.length === 0 ? Number(leaf.data[0]) : leaf.data.slice()
}
