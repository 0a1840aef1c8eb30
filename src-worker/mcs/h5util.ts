// Small h5wasm helpers shared by the MCS readers: opening a file with clear errors, decoding the
// vendor's attribute encodings (fixed-length strings with NULs, 1-element numeric arrays, int64 as
// bigint), and reading rows of a compound table as raw bytes so big tables are parsed by field
// without building one JS array per row.

import { closeSync, openSync, readSync, statSync } from 'node:fs'
import h5wasm, { Module, type Dataset, type File as H5File, type Group } from 'h5wasm/node'
import { FileAccessError } from '../../src-shared/errors'
import { hdf5Reason, h5wasmReady } from '../hdf5/h5wasmModule'
import { assertDeclaredSizeFits } from './declaredSize'

export type AttrValue = number | string | number[] | string[]

/** h5wasm ready, with HDF5 errors thrown instead of printed (see ../hdf5/h5wasmModule). */
export async function h5ready(): Promise<void> {
  await h5wasmReady()
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]

/** HDF5 allows a user block before the superblock: the signature sits at 0, 512, 1024, 2048, ... */
function hasHdf5Signature(path: string, size: number): boolean {
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.alloc(8)
    for (let off = 0; off + 8 <= size; off = off === 0 ? 512 : off * 2) {
      readSync(fd, buf, 0, 8, off)
      if (HDF5_SIGNATURE.every((b, i) => buf[i] === b)) return true
      if (off > 1 << 24) break
    }
    return false
  } finally {
    closeSync(fd)
  }
}

/**
 * Opens an HDF5 file read-only for a reader of `kind` (e.g. 'CMCR'); every failure is a
 * FileAccessError naming the file: missing, a folder, not HDF5, or unreadable (truncated/corrupt).
 */
export function openHdf5ReadOnly(path: string, kind: string): H5File {
  let st
  try {
    st = statSync(path)
  } catch {
    throw new FileAccessError('FILE_NOT_FOUND', `${kind} file not found: ${path}`, { path })
  }
  if (st.isDirectory()) throw new FileAccessError('FILE_KIND', `${kind} path is a folder, not a file: ${path}`, { path })
  if (!hasHdf5Signature(path, st.size)) {
    throw new FileAccessError('FILE_KIND', `${kind} file is not an HDF5 file (no HDF5 signature): ${path}`, { path })
  }
  let file: H5File
  try {
    file = new h5wasm.File(path, 'r')
  } catch (err) {
    const why = hdf5Reason(String((err as Error)?.message ?? err))
    throw new FileAccessError('FILE_CORRUPT', `${kind} file cannot be opened by HDF5 (truncated or corrupt): ${path}${why ? ` (HDF5: ${why})` : ''}`, { path, cause: err })
  }
  if (!file.file_id || Number(file.file_id) < 0) {
    throw new FileAccessError('FILE_CORRUPT', `${kind} file cannot be opened by HDF5 (truncated or corrupt?): ${path}`, { path })
  }
  openFiles.set(String(file.file_id), { path, size: st.size })
  try {
    file.keys()
  } catch (err) {
    try {
      file.close()
    } catch {
      // the handle is unusable anyway
    }
    throw new FileAccessError('FILE_CORRUPT', `${kind} file is damaged (cannot list the root group): ${path}`, { path, cause: err })
  }
  return file
}

/** Path and size on disk of the files opened here, by HDF5 file id (ids are reused only after a close). */
const openFiles = new Map<string, { path: string; size: number }>()

/** Throws (FILE_CORRUPT, naming the file) when `ds` declares more data than its file can hold. */
export function checkDeclaredSize(ds: Dataset): void {
  const f = openFiles.get(String(ds.file_id))
  if (f) assertDeclaredSizeFits(f.path, f.size, ds)
}

/**
 * Opens `path` read-only (see openHdf5ReadOnly) and hands it to `build`, which takes ownership of the
 * open file; if `build` throws, the file is closed.
 */
export async function openHdf5With<T>(path: string, kind: string, build: (path: string, file: H5File) => T): Promise<T> {
  await h5ready()
  const file = openHdf5ReadOnly(path, kind)
  try {
    return build(path, file)
  } catch (err) {
    file.close()
    throw err
  }
}

/** Trailing NULs and spaces removed (the vendor stores the terminating NUL inside fixed-length strings). */
export function cleanString(s: string): string {
  return s.replace(/[\0\s]+$/, '')
}

function toNumber(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : Number(v)
}

/** One attribute value as the vendor means it: strings cleaned, 1-element arrays unwrapped, bigint -> number. */
export function decodeAttrValue(raw: unknown): AttrValue | undefined {
  if (raw === null || raw === undefined) return undefined
  if (typeof raw === 'string') return cleanString(raw)
  if (typeof raw === 'number' || typeof raw === 'bigint') return toNumber(raw)
  if (typeof raw === 'boolean') return raw ? 1 : 0
  if (ArrayBuffer.isView(raw)) {
    const arr = Array.from(raw as unknown as ArrayLike<number | bigint>, toNumber)
    return arr.length === 1 ? arr[0] : arr
  }
  if (Array.isArray(raw)) {
    if (raw.every((x) => typeof x === 'string')) {
      const s = raw.map(cleanString)
      return s.length === 1 ? s[0] : s
    }
    if (raw.every((x) => typeof x === 'number' || typeof x === 'bigint')) {
      const n = raw.map(toNumber)
      return n.length === 1 ? n[0] : n
    }
  }
  return undefined
}

export type ValueKind = 'int' | 'float' | 'string'

export interface TypedValue {
  value: AttrValue
  kind: ValueKind
}

function kindOfType(type: number): ValueKind | null {
  if (type === Module.H5T_class_t.H5T_INTEGER.value || type === Module.H5T_class_t.H5T_ENUM.value) return 'int'
  if (type === Module.H5T_class_t.H5T_FLOAT.value) return 'float'
  if (type === Module.H5T_class_t.H5T_STRING.value) return 'string'
  return null
}

function kindOfValue(raw: unknown): ValueKind | null {
  if (typeof raw === 'string') return 'string'
  if (Array.isArray(raw)) return raw.every((x) => typeof x === 'string') ? 'string' : raw.every((x) => typeof x === 'bigint' || Number.isInteger(x)) ? 'int' : 'float'
  if (raw instanceof Float32Array || raw instanceof Float64Array) return 'float'
  if (typeof raw === 'bigint' || typeof raw === 'boolean' || ArrayBuffer.isView(raw)) return 'int'
  return null
}

/**
 * All attributes of an object, decoded with their kind; unreadable or unsupported ones are skipped.
 * Reads each attribute with one metadata and one data call (h5wasm's `attrs` getter costs three),
 * and takes the kind from the typed array h5wasm returns.
 */
export function readAttributesTyped(obj: Group | Dataset): Record<string, TypedValue> {
  const out: Record<string, TypedValue> = {}
  let names: string[]
  try {
    names = Module.get_attribute_names(obj.file_id, obj.path)
  } catch {
    return out
  }
  for (const name of names) {
    try {
      const raw = obj.get_attribute(name, false)
      // a scalar number does not tell int from float: ask for the stored type
      const kind = typeof raw === 'number' ? kindOfType(Module.get_attribute_metadata(obj.file_id, obj.path, name).type) : kindOfValue(raw)
      const v = decodeAttrValue(raw)
      if (v !== undefined && kind) out[name] = { value: v, kind }
    } catch {
      // an attribute of an unsupported type is skipped, as the Python does
    }
  }
  return out
}

/** All attributes of an object, decoded; an attribute that cannot be read or decoded is skipped. */
export function readAttributes(obj: Group | Dataset): Record<string, AttrValue> {
  return attrValues(readAttributesTyped(obj))
}

/** The values of typed attributes, without their kinds. */
export function attrValues(typed: Record<string, TypedValue>): Record<string, AttrValue> {
  return Object.fromEntries(Object.entries(typed).map(([k, v]) => [k, v.value]))
}

export function attrNumber(attrs: Record<string, AttrValue>, name: string): number | undefined {
  const v = attrs[name]
  if (typeof v === 'number' && Number.isFinite(v)) return v
  if (Array.isArray(v) && typeof v[0] === 'number') return v[0] as number
  return undefined
}

export function attrString(attrs: Record<string, AttrValue>, name: string): string | undefined {
  const v = attrs[name]
  return typeof v === 'string' ? v : undefined
}

/** The object at `path`, or null when absent (never follows into a missing external target). */
export function getIfExists(parent: Group, path: string): Dataset | Group | null {
  try {
    const obj = parent.get(path)
    if (!obj) return null
    if (obj instanceof h5wasm.Dataset || obj instanceof h5wasm.Group) return obj
    return null
  } catch {
    return null
  }
}

export function isDataset(obj: unknown): obj is Dataset {
  return obj instanceof h5wasm.Dataset
}

export function isGroup(obj: unknown): obj is Group {
  return obj instanceof h5wasm.Group
}

/** Child names of a group without resolving any of them (external links stay unresolved). */
export function childNames(g: Group): string[] {
  try {
    return g.keys()
  } catch {
    return []
  }
}

// ---------- compound tables ----------

export interface FieldSpec {
  name: string
  offset: number
  size: number
  kind: 'int' | 'uint' | 'float' | 'string' | 'other'
  littleEndian: boolean
}

/** The fields of a compound dataset, in file order. Throws if the dataset is not compound. */
export function compoundFields(ds: Dataset): { rowSize: number; fields: FieldSpec[] } {
  const md = ds.metadata
  const ct = md.compound_type
  if (!ct) throw new Error(`${ds.path} is not a compound table`)
  const fields = ct.members.map((m): FieldSpec => {
    const kind =
      m.type === Module.H5T_class_t.H5T_INTEGER.value
        ? m.signed
          ? 'int'
          : 'uint'
        : m.type === Module.H5T_class_t.H5T_FLOAT.value
          ? 'float'
          : m.type === Module.H5T_class_t.H5T_STRING.value
            ? 'string'
            : 'other'
    return { name: m.name, offset: m.offset, size: m.size, kind, littleEndian: m.littleEndian }
  })
  return { rowSize: md.size, fields }
}

/** A reader of one numeric field from a row at byte offset `rowOff` of a DataView. */
export function numericFieldReader(f: FieldSpec): (view: DataView, rowOff: number) => number {
  const o = f.offset
  const le = f.littleEndian
  if (f.kind === 'float') {
    if (f.size === 8) return (v, r) => v.getFloat64(r + o, le)
    if (f.size === 4) return (v, r) => v.getFloat32(r + o, le)
  } else if (f.kind === 'int') {
    if (f.size === 8) return (v, r) => Number(v.getBigInt64(r + o, le))
    if (f.size === 4) return (v, r) => v.getInt32(r + o, le)
    if (f.size === 2) return (v, r) => v.getInt16(r + o, le)
    if (f.size === 1) return (v, r) => v.getInt8(r + o)
  } else if (f.kind === 'uint') {
    if (f.size === 8) return (v, r) => Number(v.getBigUint64(r + o, le))
    if (f.size === 4) return (v, r) => v.getUint32(r + o, le)
    if (f.size === 2) return (v, r) => v.getUint16(r + o, le)
    if (f.size === 1) return (v, r) => v.getUint8(r + o)
  }
  throw new Error(`field '${f.name}' is not numeric (kind ${f.kind}, ${f.size} bytes)`)
}

/**
 * Copies one numeric field of `count` packed rows into out[outStart + r·outStride]. One tight loop per
 * field type (a per-value reader function would be several times slower on large tables).
 */
export function readColumn(
  view: DataView,
  rowSize: number,
  count: number,
  f: FieldSpec,
  out: Float64Array | Float32Array,
  outStart = 0,
  outStride = 1,
  firstRow = 0,
): void {
  const le = f.littleEndian
  let at = firstRow * rowSize + f.offset
  let o = outStart
  const key = `${f.kind}${f.size}`
  switch (key) {
    case 'float8':
      for (let r = 0; r < count; r++, at += rowSize, o += outStride) out[o] = view.getFloat64(at, le)
      return
    case 'float4':
      for (let r = 0; r < count; r++, at += rowSize, o += outStride) out[o] = view.getFloat32(at, le)
      return
    // 64-bit integers from two 32-bit halves (no BigInt per value); exact below 2^53
    case 'int8': {
      const lo = le ? 0 : 4
      const hi = le ? 4 : 0
      for (let r = 0; r < count; r++, at += rowSize, o += outStride) out[o] = view.getInt32(at + hi, le) * 4294967296 + view.getUint32(at + lo, le)
      return
    }
    case 'uint8': {
      const lo = le ? 0 : 4
      const hi = le ? 4 : 0
      for (let r = 0; r < count; r++, at += rowSize, o += outStride) out[o] = view.getUint32(at + hi, le) * 4294967296 + view.getUint32(at + lo, le)
      return
    }
    case 'int4':
      for (let r = 0; r < count; r++, at += rowSize, o += outStride) out[o] = view.getInt32(at, le)
      return
    case 'uint4':
      for (let r = 0; r < count; r++, at += rowSize, o += outStride) out[o] = view.getUint32(at, le)
      return
    case 'int2':
      for (let r = 0; r < count; r++, at += rowSize, o += outStride) out[o] = view.getInt16(at, le)
      return
    case 'uint2':
      for (let r = 0; r < count; r++, at += rowSize, o += outStride) out[o] = view.getUint16(at, le)
      return
    case 'int1':
      for (let r = 0; r < count; r++, at += rowSize, o += outStride) out[o] = view.getInt8(at)
      return
    case 'uint1':
      for (let r = 0; r < count; r++, at += rowSize, o += outStride) out[o] = view.getUint8(at)
      return
    default:
      throw new Error(`field '${f.name}' is not numeric (kind ${f.kind}, ${f.size} bytes)`)
  }
}

/**
 * Raw bytes of rows [start, start+count) of a 1-D dataset without per-row decoding. Only valid for
 * types without variable-length members (checked by the caller through compoundFields).
 */
export function readRawRows(ds: Dataset, start: number, count: number): Uint8Array {
  const md = ds.metadata
  const nbytes = md.size * count
  if (count <= 0) return new Uint8Array(0)
  const ptr = Module._malloc(nbytes)
  if (!ptr) throw new Error(`cannot allocate ${nbytes} bytes to read ${ds.path}`)
  try {
    const status = Module.get_dataset_data(ds.file_id, ds.path, [BigInt(count)], [BigInt(start)], [1n], BigInt(ptr))
    if (typeof status === 'number' && status < 0) throw new Error(`HDF5 read of ${ds.path} rows ${start}..${start + count} failed`)
    return Module.HEAPU8.slice(ptr, ptr + nbytes)
  } finally {
    Module._free(ptr)
  }
}

/**
 * Reads rows [start, start+count) of a 1-D dataset into the wasm heap and hands `fn` a DataView on
 * them there (no copy out of the heap); the view is valid only during `fn`, which must not call h5wasm.
 */
export function withRawRows<T>(ds: Dataset, start: number, count: number, fn: (view: DataView) => T): T {
  const md = ds.metadata
  const nbytes = md.size * count
  if (count <= 0) return fn(new DataView(new ArrayBuffer(0)))
  const ptr = Module._malloc(nbytes)
  if (!ptr) throw new Error(`cannot allocate ${nbytes} bytes to read ${ds.path}`)
  try {
    const status = Module.get_dataset_data(ds.file_id, ds.path, [BigInt(count)], [BigInt(start)], [1n], BigInt(ptr))
    if (typeof status === 'number' && status < 0) throw new Error(`HDF5 read of ${ds.path} rows ${start}..${start + count} failed`)
    return fn(new DataView(Module.HEAPU8.buffer, ptr, nbytes))
  } finally {
    Module._free(ptr)
  }
}

/** A compound table's rows as records keyed by field name (for small tables: meta tables, Unit Info). */
export function readCompoundRecords(ds: Dataset): Array<Record<string, unknown>> {
  return readCompoundRecordsTyped(ds).records
}

/** Records plus the kind of every field (int/float/string; other member types are left out of `kinds`). */
export function readCompoundRecordsTyped(ds: Dataset): { records: Array<Record<string, unknown>>; kinds: Record<string, ValueKind> } {
  const kinds: Record<string, ValueKind> = {}
  for (const m of ds.metadata.compound_type?.members ?? []) {
    const k = kindOfType(m.type)
    if (k) kinds[m.name] = k
  }
  return { records: readCompoundRecordsRaw(ds), kinds }
}

function readCompoundRecordsRaw(ds: Dataset): Array<Record<string, unknown>> {
  checkDeclaredSize(ds)
  const md = ds.metadata
  const names = md.compound_type?.members.map((m) => m.name)
  if (!names) throw new Error(`${ds.path} is not a compound table`)
  const rows = ds.value as unknown[][] | null
  if (!rows) return []
  return rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i]])))
}

/** A record field looked up by name, case-insensitively, as a number. */
export function recordNumber(rec: Record<string, unknown>, name: string): number | undefined {
  const key = Object.keys(rec).find((k) => k.toLowerCase() === name.toLowerCase())
  if (key === undefined) return undefined
  const v = decodeAttrValue(rec[key])
  return typeof v === 'number' ? v : undefined
}

export function recordString(rec: Record<string, unknown>, name: string): string | undefined {
  const key = Object.keys(rec).find((k) => k.toLowerCase() === name.toLowerCase())
  if (key === undefined) return undefined
  const v = decodeAttrValue(rec[key])
  return typeof v === 'string' ? v : undefined
}
