// Writes ArchiveContent into a new HDF5 file in the Python session-archive layout
// (docs/archive-format.md §1.10, §1.11, §A.3). The file is created fresh; callers write to a temp
// path and rename (see saveFile.ts).

import { type BoolNode, type GroupNode, type LeafNode, type NumericNode, type StringNode, type TreeNode, elementCount, storageFor } from '../../src-shared/tree'
import { FileAccessError, SessionError, throwIfAborted } from '../../src-shared/errors'
import {
  type ArchiveContent,
  HDMEA_VERSION,
  PIPELINE_PREFIX,
  SCHEMA,
  SCHEMA_ATTR,
  SESSION_INFO_PREFIX,
  WRITER_ROOT_ATTRS,
  WRITER_VERSION,
  WRITER_VERSION_ATTR,
  contentArrayBytes,
} from './content'
import { hdf5ErrorText } from '../../src-worker/hdf5/h5wasmModule'
import { type File, type H5Module, DEFAULT_SLAB_BYTES, STRUCT_DTYPE, attributeHolder, createEmptyAttribute, h5ready, openFile, writeNumericDataset } from './h5'

export interface WriteOptions {
  /** Arrays above this size are written in slabs (tests lower it). */
  slabBytes?: number
  /** Called as array data is written (bytes of numeric and boolean data). */
  onProgress?: (bytesDone: number, bytesTotal: number) => void
  /** Aborting stops the write with a CancelledError (the caller removes the partial file). */
  signal?: AbortSignal
  /** The progress total, when the content's arrays are not all in `content` yet (see valuesOf). */
  bytesTotal?: number
  /**
   * Gives a dataset whose values arrive later their values just before it is written, and returns how
   * to let them go after (the archive thread's save pulls large arrays one at a time, thread/).
   */
  valuesOf?: (leaf: LeafNode) => Promise<(() => void) | undefined>
}

interface Ctx {
  mod: H5Module
  file: File
  filePath: string
  slabBytes: number
  bytesTotal: number
  bytesDone: number
  sinceYield: number
  onProgress?: (bytesDone: number, bytesTotal: number) => void
  signal?: AbortSignal
  valuesOf?: WriteOptions['valuesOf']
}

/** Between datasets, after this much data, the event loop gets a turn (progress, IPC, cancel). */
const YIELD_EVERY_BYTES = 16 * 1024 * 1024

/** Writes `content` to a new file at `path` (truncating anything there). Closes the file in all cases. */
export async function writeArchive(path: string, content: ArchiveContent, options: WriteOptions = {}): Promise<void> {
  const mod = await h5ready()
  let file: File
  try {
    file = openFile(path, 'w')
  } catch (err) {
    throw new FileAccessError('FILE_LOCKED', `Cannot create archive file ${path}: ${errorText(err)}`, { path, cause: err })
  }
  const ctx: Ctx = {
    mod,
    file,
    filePath: path,
    slabBytes: options.slabBytes ?? DEFAULT_SLAB_BYTES,
    bytesTotal: options.bytesTotal ?? contentArrayBytes(content),
    bytesDone: 0,
    sinceYield: 0,
    onProgress: options.onProgress,
    signal: options.signal,
    valuesOf: options.valuesOf,
  }
  let failure: unknown = null
  try {
    throwIfAborted(ctx.signal)
    await writeContent(ctx, content)
    ctx.onProgress?.(ctx.bytesTotal, ctx.bytesTotal)
  } catch (err) {
    failure = err
  }
  try {
    file.close()
  } catch (err) {
    failure ??= wrapWriteError(ctx, 'the end of the file', err)
  }
  // After a failed write HDF5 keeps the file open even when close() reports success (an object of the
  // failed call is still open, or the last flush failed on a full disk): release the handle ourselves,
  // or the deleted temp file would hold its space until the process exits.
  if (failure) releaseFileHandles(mod, path)
  if (failure) throw failure
}

/** Closes every handle the HDF5 library's file system still holds on `path`. */
function releaseFileHandles(mod: unknown, path: string): void {
  const fs = (mod as { FS?: { streams?: Array<{ path?: string } | null>; close?: (s: unknown) => void } }).FS
  for (const stream of fs?.streams ?? []) {
    if (stream && stream.path === path) {
      try {
        fs!.close!(stream)
      } catch {
        // already closed
      }
    }
  }
}

async function writeContent(ctx: Ctx, c: ArchiveContent): Promise<void> {
  writeAttr(ctx, '/', 'dataset_id', strNode(c.datasetId))
  writeAttr(ctx, '/', 'created_at', strNode(c.createdAt ?? ''))
  writeAttr(ctx, '/', 'hdmea_version', strNode(HDMEA_VERSION))
  writeAttr(ctx, '/', WRITER_VERSION_ATTR, strNode(WRITER_VERSION))
  writeAttr(ctx, '/', SCHEMA_ATTR, strNode(SCHEMA))
  const pipelineExtras: Array<[string, LeafNode]> = []
  const sessionInfoExtras: Array<[string, LeafNode]> = []
  for (const [key, leaf] of c.extraRootAttrs) {
    if (key.startsWith(SESSION_INFO_PREFIX)) sessionInfoExtras.push([key.slice(SESSION_INFO_PREFIX.length), leaf])
    else if (key.startsWith(PIPELINE_PREFIX)) pipelineExtras.push([key.slice(PIPELINE_PREFIX.length), leaf])
    else if (!WRITER_ROOT_ATTRS.has(key)) writeAttr(ctx, '/', key, leaf)
  }

  if (hasContent(c.units)) await writeGroup(ctx, '/units', c.units, 'units')
  if (hasContent(c.metadata)) await writeGroup(ctx, '/metadata', c.metadata, 'plain')
  if (hasContent(c.stimulus)) await writeGroup(ctx, '/stimulus', c.stimulus, 'plain')
  if (c.sourceFiles.size > 0) {
    createGroup(ctx, '/source_files')
    for (const [k, v] of c.sourceFiles) writeAttr(ctx, '/source_files', k, strNode(v))
  }
  for (const [name, node] of c.extraGroups ?? []) {
    if (['units', 'metadata', 'stimulus', 'source_files', 'pipeline'].includes(name)) continue
    checkName(ctx, '/', name)
    if (node.kind === 'group') await writeGroup(ctx, `/${name}`, node, 'plain')
    else await writeDataset(ctx, `/${name}`, node)
  }

  createGroup(ctx, '/pipeline')
  // h5py writes a bool enum here; h5wasm cannot create enum types, so int8 1 (truthy in Python).
  writeAttr(ctx, '/pipeline', 'stage1_completed', { kind: 'bool', shape: [], data: Uint8Array.of(1) })
  writeAttr(ctx, '/pipeline', 'stage1_timestamp', strNode(c.savedAt ?? ''))
  for (const [k, v] of pipelineExtras) if (k !== 'stage1_completed' && k !== 'stage1_timestamp') writeAttr(ctx, '/pipeline', k, v)

  createGroup(ctx, '/pipeline/session_info')
  writeAttr(ctx, '/pipeline/session_info', 'saved_at', strNode(c.savedAt ?? ''))
  if (c.checkpointName) writeAttr(ctx, '/pipeline/session_info', 'checkpoint_name', strNode(c.checkpointName))
  for (const [k, v] of sessionInfoExtras) if (k !== 'saved_at' && k !== 'checkpoint_name') writeAttr(ctx, '/pipeline/session_info', k, v)
  if (c.completedSteps.length > 0) {
    await writeDataset(ctx, '/pipeline/session_info/completed_steps', strsNode([...new Set(c.completedSteps)].sort()))
  }
  if (c.warnings.length > 0) await writeDataset(ctx, '/pipeline/session_info/warnings', strsNode(c.warnings))
}

function hasContent(g: GroupNode): boolean {
  return g.children.size > 0 || g.attrs.size > 0
}

type GroupRole = 'units' | 'unit' | 'features' | 'plain'

async function writeGroup(ctx: Ctx, path: string, node: GroupNode, role: GroupRole): Promise<void> {
  createGroup(ctx, path)
  for (const [name, leaf] of node.attrs) writeAttr(ctx, path, name, leaf)
  for (const [name, child] of node.children) {
    checkName(ctx, path, name)
    const childPath = `${path}/${name}`
    if (child.kind === 'group') {
      const childRole: GroupRole = role === 'units' ? 'unit' : role === 'unit' && name === 'features' ? 'features' : 'plain'
      await writeGroup(ctx, childPath, child, childRole)
    } else if (role === 'features') {
      // The Python unit writer stores a bare array under features as features/<name>/data.
      createGroup(ctx, childPath)
      await writeDataset(ctx, `${childPath}/data`, child)
    } else {
      await writeDataset(ctx, childPath, child)
    }
  }
}

function checkName(ctx: Ctx, parent: string, name: string): void {
  if (name === '' || name === '.' || name.includes('/')) {
    throw new SessionError(
      `Cannot write ${ctx.filePath}: the key ${JSON.stringify(name)} under ${parent} is not a valid HDF5 name (empty, '.' or containing '/')`,
      { operation: 'save', path: ctx.filePath, code: 'DATA' },
    )
  }
}

function createGroup(ctx: Ctx, path: string): void {
  ctx.mod.create_group(ctx.file.file_id, path, false)
}

async function writeDataset(ctx: Ctx, path: string, leaf: LeafNode): Promise<void> {
  const letGo = await ctx.valuesOf?.(leaf)
  let bytes = 0
  try {
    writeDatasetValue(ctx, path, leaf)
    for (const [name, attr] of leaf.attrs ?? []) writeAttr(ctx, path, name, attr)
    if (leaf.kind === 'string') return
    bytes = leaf.data.byteLength
  } finally {
    letGo?.()
  }
  ctx.bytesDone += bytes
  ctx.sinceYield += bytes
  if (ctx.sinceYield >= YIELD_EVERY_BYTES) {
    ctx.sinceYield = 0
    ctx.onProgress?.(ctx.bytesDone, ctx.bytesTotal)
    await new Promise<void>((r) => setImmediate(r))
    throwIfAborted(ctx.signal)
  }
}

function writeDatasetValue(ctx: Ctx, path: string, leaf: LeafNode): void {
  try {
    switch (leaf.kind) {
      case 'numeric': {
        const data = checkedNumeric(leaf, path)
        writeNumericDataset(ctx.mod, ctx.file, path, leaf.dtype, leaf.shape, data, ctx.slabBytes)
        return
      }
      case 'bool':
        checkShape(leaf, path)
        writeNumericDataset(ctx.mod, ctx.file, path, 'int8', leaf.shape, boolBytes(leaf, path), ctx.slabBytes)
        return
      case 'string':
        checkStrings(leaf, path)
        ctx.file.create_dataset({ name: path, data: leaf.data, shape: leaf.shape, dtype: stringDtype(leaf) })
        return
    }
  } catch (err) {
    throw wrapWriteError(ctx, path, err)
  }
}

function writeAttr(ctx: Ctx, objPath: string, name: string, leaf: LeafNode): void {
  const where = `attribute ${name} of ${objPath}`
  try {
    const obj = attributeHolder(ctx.file, objPath)
    switch (leaf.kind) {
      case 'numeric': {
        const data = checkedNumeric(leaf, where)
        obj.create_attribute(name, attrNumeric(leaf.dtype, data, where), leaf.shape, STRUCT_DTYPE[leaf.dtype])
        return
      }
      case 'bool':
        checkShape(leaf, where)
        obj.create_attribute(name, new Int8Array(boolBytes(leaf, where)), leaf.shape, '<b')
        return
      case 'string':
        checkStrings(leaf, where)
        if (leaf.data.length === 0) createEmptyAttribute(ctx.mod, ctx.file, objPath, name, stringDtype(leaf), leaf.shape)
        else obj.create_attribute(name, leaf.data, leaf.shape, stringDtype(leaf))
        return
    }
  } catch (err) {
    throw wrapWriteError(ctx, where, err)
  }
}

function wrapWriteError(ctx: Ctx, where: string, err: unknown): Error {
  if (err instanceof SessionError || err instanceof FileAccessError) return err
  return new SessionError(`Cannot write ${where} to ${ctx.filePath}: ${errorText(err)}`, {
    operation: 'save',
    path: ctx.filePath,
    code: err instanceof RangeError || err instanceof TypeError ? 'DATA' : 'SESSION',
    cause: err,
  })
}

function checkShape(leaf: LeafNode, where: string): void {
  if (!Array.isArray(leaf.shape) || leaf.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new TypeError(`${where}: invalid shape ${JSON.stringify(leaf.shape)}`)
  }
  if (elementCount(leaf.shape) !== leaf.data.length) {
    throw new TypeError(`${where}: shape [${leaf.shape.join(', ')}] does not match ${leaf.data.length} values`)
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function checkStrings(leaf: StringNode, where: string): void {
  checkShape(leaf, where)
  for (const s of leaf.data) {
    if (typeof s !== 'string') throw new TypeError(`${where}: ${JSON.stringify(s)} is not a string`)
    if (s.includes('\u0000')) throw new TypeError(`${where}: strings cannot contain NUL characters (HDF5 would cut them there)`)
    if (LONE_SURROGATE.test(s)) throw new TypeError(`${where}: ${JSON.stringify(s)} holds a lone UTF-16 surrogate and has no UTF-8 form`)
  }
}

/** The node's data in the storage class of its dtype (converted if a caller put in another typed array). */
function checkedNumeric(leaf: NumericNode, where: string) {
  if (!(leaf.dtype in STRUCT_DTYPE)) throw new TypeError(`${where}: unknown dtype ${String(leaf.dtype)}`)
  checkShape(leaf, where)
  const Storage = storageFor(leaf.dtype)
  if (leaf.data instanceof Storage) return leaf.data
  const out = new Storage(leaf.data.length)
  out.set(leaf.data as never)
  return out
}

function boolBytes(leaf: BoolNode, where: string): Uint8Array {
  for (let i = 0; i < leaf.data.length; i++) {
    if (leaf.data[i] > 1) return Uint8Array.from(leaf.data, (v) => (v ? 1 : 0))
  }
  if (!(leaf.data instanceof Uint8Array)) throw new TypeError(`${where}: boolean data must be a Uint8Array`)
  return leaf.data
}

/** Attribute data as h5wasm wants it: BigInt arrays for 64-bit integers. */
function attrNumeric(dtype: NumericNode['dtype'], data: NumericNode['data'], where: string) {
  if (dtype !== 'int64' && dtype !== 'uint64') return data
  const out = dtype === 'int64' ? new BigInt64Array(data.length) : new BigUint64Array(data.length)
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (!Number.isInteger(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER || (dtype === 'uint64' && v < 0)) {
      throw new RangeError(`${where}: value ${v} cannot be stored as ${dtype}`)
    }
    out[i] = BigInt(v)
  }
  return out
}

const utf8 = new TextEncoder()

function stringDtype(leaf: StringNode): string {
  switch (leaf.encoding) {
    case 'vlen-ascii':
      return leaf.data.every(isAscii) ? 'A' : 'S'
    case 'fixed':
    case 'fixed-utf8': {
      const longest = leaf.data.reduce((m, s) => Math.max(m, utf8.encode(s).length), 1)
      const size = Math.max(leaf.itemSize ?? 1, longest)
      return `${leaf.encoding === 'fixed' && leaf.data.every(isAscii) ? 'A' : 'S'}${size}`
    }
    default:
      return 'S'
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false
  return true
}

function strNode(value: string): StringNode {
  return { kind: 'string', shape: [], data: [value] }
}

function strsNode(values: string[]): StringNode {
  return { kind: 'string', shape: [values.length], data: values }
}

/** An error's message for ours; an HDF5 error stack is reduced to HDF5's reason. */
export function errorText(err: unknown): string {
  return hdf5ErrorText(err)
}

export type { TreeNode }
