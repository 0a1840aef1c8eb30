// Reads any hdmea archive (our writer, the Python session writer, the Python immediate store, and
// hybrids of the two) into the typed node model, keeping every dtype and shape (docs/archive-format.md §2.5, §A.3).

import { open, stat } from 'node:fs/promises'
import { type BoolNode, type GroupNode, type LeafNode, type NumericData, type StringNode, type TreeNode, group, storageFor } from '../../src-shared/tree'
import { CancelledError, FileAccessError, SessionError, throwIfAborted } from '../../src-shared/errors'
import { type ArchiveContent, type ArchiveFlavour, PIPELINE_PREFIX, SCHEMA_ATTR, SESSION_INFO_PREFIX, WRITER_VERSION_ATTR } from './content'
import { deriveCompletedSteps } from './derive'
import { type File, type H5Module, DTYPE_BYTES, H5T_ENUM, H5T_FLOAT, H5T_INTEGER, H5T_STRING, drainBytes, h5ready, numericDtypeOf, openFile, readNumericDataset } from './h5'
import { type DirectAttribute, type DirectHeader, type DirectType, DirectFile, DirectUnsupported, addressKey } from './h5direct'
import { errorText } from './writer'

interface Ctx {
  mod: H5Module
  file: File
  filePath: string
  skipped: string[]
  bytesTotal: number
  bytesDone: number
  sinceYield: number
  /** performance.now() at the last turn given to the event loop. */
  lastYieldAt: number
  onProgress?: (bytesDone: number, bytesTotal: number) => void
  signal?: AbortSignal
  /** Addresses of the groups being read, from the root down to the current one (a hard-link cycle leads back into them). */
  ancestors: Map<string, string>
  /** The file read directly from its bytes where its format allows (h5direct.ts); h5wasm answers the rest. */
  direct?: DirectFile
  /** Object header addresses of paths the direct reader has listed and not yet read. */
  addressOf: Map<string, number>
}

/** Archives nest a few levels (units/<id>/features/<name>/...); deeper than this is damage or an attack. */
export const MAX_GROUP_DEPTH = 64

export interface ReadOptions {
  /** Bytes of array data read so far, against the file size (a close upper bound of the data). */
  onProgress?: (bytesDone: number, bytesTotal: number) => void
  /** Aborting stops the read with a CancelledError. */
  signal?: AbortSignal
  /** false: ask h5wasm about every object, never read the file's bytes directly (tests compare the two). */
  direct?: boolean
}

/**
 * Between objects, after this much data or this much time, the event loop gets a turn (progress, IPC,
 * cancel, the web host's other requests): an archive of many small datasets or groups must not hold the
 * process for the whole load.
 */
const YIELD_EVERY_BYTES = 16 * 1024 * 1024
const YIELD_EVERY_MS = 20

interface H5Meta {
  type: number
  size: number
  signed: boolean
  littleEndian: boolean
  vlen: boolean
  cset?: number
  shape: number[] | null
  enum_type?: { members: Record<string, number>; type: number }
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])

/**
 * Checks the path is an existing regular file carrying the HDF5 signature (at 0 or a user-block
 * offset); returns its size.
 */
export async function checkHdf5File(path: string): Promise<number> {
  return (await locateHdf5(path)).size
}

/** checkHdf5File's checks; also returns where the HDF5 signature (the superblock) is. */
async function locateHdf5(path: string): Promise<{ size: number; signatureOffset: number }> {
  let st
  try {
    st = await stat(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new FileAccessError('FILE_NOT_FOUND', `Archive not found: ${path}`, { path, cause: err })
    throw new FileAccessError('FILE_LOCKED', `Cannot access archive ${path}: ${errorText(err)}`, { path, cause: err })
  }
  if (st.isDirectory()) {
    throw new FileAccessError('FILE_KIND', `${path} is a folder, not an HDF5 archive (.h5) file`, { path })
  }
  const handle = await open(path, 'r')
  try {
    const buf = Buffer.alloc(8)
    for (let offset = 0; offset === 0 || offset + 8 <= st.size; offset = offset === 0 ? 512 : offset * 2) {
      if ((await handle.read(buf, 0, 8, offset)).bytesRead === 8 && buf.equals(HDF5_SIGNATURE)) return { size: st.size, signatureOffset: offset }
      if (offset + 8 > st.size) break
    }
  } finally {
    await handle.close()
  }
  throw new FileAccessError(
    'FILE_KIND',
    st.size === 0 ? `${path} is empty, not an HDF5 archive` : `${path} is not an HDF5 file (no HDF5 signature)`,
    { path },
  )
}

/** Reads a whole archive into memory. Errors name the file and, where relevant, the HDF5 object. */
export async function readArchive(path: string, options: ReadOptions = {}): Promise<ArchiveContent> {
  throwIfAborted(options.signal)
  const { size: fileSize, signatureOffset } = await locateHdf5(path)
  const mod = await h5ready()
  let file: File
  try {
    file = openFile(path, 'r')
  } catch (err) {
    throw new FileAccessError('FILE_CORRUPT', `Cannot open ${path} as HDF5 (truncated or damaged?): ${errorText(err)}`, {
      path,
      cause: err,
    })
  }
  const ctx: Ctx = {
    mod,
    file,
    filePath: path,
    skipped: [],
    bytesTotal: fileSize,
    bytesDone: 0,
    sinceYield: 0,
    lastYieldAt: performance.now(),
    onProgress: options.onProgress,
    signal: options.signal,
    ancestors: new Map([[objectAddress(mod, file, '/'), '/']]),
    addressOf: new Map(),
  }
  try {
    if (options.direct !== false) ctx.direct = DirectFile.open(path, fileSize, signatureOffset)
  } catch {
    // unreadable for plain file reads: h5wasm reads everything
  }
  if (ctx.direct) ctx.addressOf.set('/', ctx.direct.rootAddress)
  try {
    const content = await readContent(ctx)
    ctx.onProgress?.(ctx.bytesTotal, ctx.bytesTotal)
    return content
  } catch (err) {
    if (err instanceof SessionError || err instanceof FileAccessError || err instanceof CancelledError) throw err
    throw new FileAccessError('FILE_CORRUPT', `Cannot read ${path}: ${errorText(err)}`, { path, cause: err })
  } finally {
    ctx.direct?.close()
    file.close()
  }
}

async function readContent(ctx: Ctx): Promise<ArchiveContent> {
  const rootAttrs = readAttrs(ctx, '/')
  const datasetId = rootAttrs.get('dataset_id')
  const id = datasetId?.kind === 'string' ? datasetId.data[0]?.trim() : undefined
  if (!id) {
    throw new SessionError(
      `${ctx.filePath} is not a workbench/hdmea archive: its root has no ${datasetId ? 'valid ' : ''}dataset_id attribute`,
      { operation: 'load', path: ctx.filePath, code: 'FILE_KIND' },
    )
  }
  const rootNames = childNames(ctx, '/')
  const readTop = async (name: string): Promise<GroupNode> => {
    if (!rootNames.includes(name)) return group()
    const node = await readObject(ctx, `/${name}`)
    if (node.kind !== 'group') throw new Error(`/${name} is a dataset, expected a group`)
    return node
  }
  const units = await readTop('units')
  const metadata = await readTop('metadata')
  const stimulus = await readTop('stimulus')

  const sourceFiles = new Map<string, string>()
  if (rootNames.includes('source_files')) {
    for (const [k, v] of readAttrs(ctx, '/source_files')) {
      const s = leafText(v)
      if (s) sourceFiles.set(k, s)
    }
    for (const n of childNames(ctx, '/source_files')) ctx.skipped.push(`/source_files/${n} (source files are attributes)`)
  }

  const extraRootAttrs = new Map<string, LeafNode>()
  const consumedRoot = new Set(['dataset_id', 'created_at', 'hdmea_version', WRITER_VERSION_ATTR, SCHEMA_ATTR])
  const rootSourceFiles = rootAttrs.get('source_files')
  if (rootSourceFiles?.kind === 'string') {
    // Immediate archives: a JSON string {"cmcr_path": ..., "cmtr_path": ..., "*_exists": ...}.
    consumedRoot.add('source_files')
    for (const [k, v] of Object.entries(parseJsonObject(rootSourceFiles.data[0] ?? ''))) {
      if (typeof v === 'string' && v !== '' && !sourceFiles.has(k)) sourceFiles.set(k, v)
    }
  }
  for (const [k, v] of rootAttrs) if (!consumedRoot.has(k)) extraRootAttrs.set(k, v)

  let savedAt = ''
  let checkpointName: string | undefined
  let completedSteps: string[] | undefined
  let warnings: string[] = []
  const hasSessionInfo = rootNames.includes('pipeline') && childNames(ctx, '/pipeline').includes('session_info')
  if (rootNames.includes('pipeline')) {
    for (const [k, v] of readAttrs(ctx, '/pipeline')) {
      // stage1_completed / stage1_timestamp are rewritten by every save.
      if (k !== 'stage1_completed' && k !== 'stage1_timestamp') extraRootAttrs.set(PIPELINE_PREFIX + k, v)
    }
    for (const n of childNames(ctx, '/pipeline')) if (n !== 'session_info') ctx.skipped.push(`/pipeline/${n} (not part of the session model)`)
    if (hasSessionInfo) {
      const info = '/pipeline/session_info'
      for (const [k, v] of readAttrs(ctx, info)) {
        if (k === 'saved_at') savedAt = leafText(v) ?? ''
        else if (k === 'checkpoint_name') checkpointName = leafText(v)
        else extraRootAttrs.set(SESSION_INFO_PREFIX + k, v)
      }
      const names = childNames(ctx, info)
      for (const n of names) if (n !== 'completed_steps' && n !== 'warnings') ctx.skipped.push(`${info}/${n} (not part of the session model)`)
      if (names.includes('completed_steps')) completedSteps = stringsOf(await readObject(ctx, `${info}/completed_steps`))
      if (names.includes('warnings')) warnings = stringsOf(await readObject(ctx, `${info}/warnings`))
    }
  }

  const extraGroups = new Map<string, TreeNode>()
  for (const name of rootNames) {
    if (!['units', 'metadata', 'stimulus', 'source_files', 'pipeline'].includes(name)) {
      extraGroups.set(name, await readObject(ctx, `/${name}`))
    }
  }

  const flavour: ArchiveFlavour = hasSessionInfo || rootAttrs.has('hdmea_version')
    ? 'session'
    : rootAttrs.has('hdmea_pipeline_version') || rootAttrs.has('stage1_params_hash')
      ? 'immediate'
      : 'unknown'
  const derived = completedSteps === undefined && !hasSessionInfo
  const content: ArchiveContent = {
    datasetId: id,
    createdAt: leafText(rootAttrs.get('created_at')) ?? '',
    savedAt,
    checkpointName,
    units,
    metadata,
    stimulus,
    sourceFiles,
    completedSteps: completedSteps ?? [],
    warnings,
    extraRootAttrs,
    extraGroups,
    flavour,
    skipped: ctx.skipped,
    derivedSteps: derived,
  }
  if (derived) content.completedSteps = deriveCompletedSteps(content, rootAttrs)
  return content
}

function childNames(ctx: Ctx, path: string): string[] {
  const links = directHeader(ctx, path)?.links
  if (!links) return ctx.mod.get_names(ctx.file.file_id, path, false)
  for (const link of links) if (link.address !== undefined) ctx.addressOf.set(joinPath(path, link.name), link.address)
  return links.map((l) => l.name)
}

/** The object's header as the direct reader sees it, or undefined when h5wasm has to answer. */
function directHeader(ctx: Ctx, path: string): DirectHeader | undefined {
  const address = ctx.addressOf.get(path)
  if (address === undefined || !ctx.direct) return undefined
  try {
    return ctx.direct.header(address)
  } catch {
    // Whatever the direct reader cannot parse, h5wasm reads (and reports, if the file is damaged).
    return undefined
  }
}

/** H5G_GROUP, H5G_DATASET or another h5wasm object type of the object at `path` (links followed). */
function objectType(ctx: Ctx, path: string): number {
  const kind = directHeader(ctx, path)?.kind
  if (kind === 'group') return ctx.mod.H5G_GROUP
  if (kind === 'dataset') return ctx.mod.H5G_DATASET
  return ctx.file.get_type(path)
}

function joinPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`
}

async function readObject(ctx: Ctx, path: string): Promise<TreeNode> {
  const type = objectType(ctx, path)
  if (type === ctx.mod.H5G_GROUP) return readGroup(ctx, path)
  if (type === ctx.mod.H5G_DATASET) {
    const leaf = await readDataset(ctx, path)
    if (leaf) return leaf
  }
  throw new Error(`${path} is neither a group nor a readable dataset`)
}

/** The object's address in the file (the bytes of an HDF5 object reference), as a key. */
function objectAddress(mod: H5Module, file: File, path: string): string {
  const ref = mod.create_object_reference(file.file_id, path) as unknown as ArrayLike<number>
  return Array.from(ref, (b) => b.toString(16).padStart(2, '0')).join('')
}

function depthOf(path: string): number {
  return path === '/' ? 0 : path.split('/').length - 1
}

async function readGroup(ctx: Ctx, path: string): Promise<GroupNode> {
  if (depthOf(path) > MAX_GROUP_DEPTH) {
    throw new FileAccessError(
      'FILE_CORRUPT',
      `${ctx.filePath}: groups are nested more than ${MAX_GROUP_DEPTH} levels deep (at ${path.slice(0, 120)}...); the archive is damaged or not a workbench/hdmea archive`,
      { path: ctx.filePath },
    )
  }
  const known = ctx.addressOf.get(path)
  const address = known !== undefined && ctx.direct ? addressKey(known) : objectAddress(ctx.mod, ctx.file, path)
  const earlier = ctx.ancestors.get(address)
  if (earlier !== undefined) {
    throw new FileAccessError(
      'FILE_CORRUPT',
      `${ctx.filePath}: the group ${path} is a hard link back to ${earlier}, which contains it (a cycle); the archive cannot be read as a tree`,
      { path: ctx.filePath },
    )
  }
  ctx.ancestors.set(address, path)
  try {
    return await readGroupContent(ctx, path)
  } finally {
    ctx.ancestors.delete(address)
  }
}

async function readGroupContent(ctx: Ctx, path: string): Promise<GroupNode> {
  await maybeYield(ctx)
  const g = group()
  for (const [k, v] of readAttrs(ctx, path)) g.attrs.set(k, v)
  let names = childNames(ctx, path)
  // Trial maps and other integer-keyed dicts were written with str(int) keys: restore numeric order.
  if (names.length > 1 && names.every((n) => /^\d+$/.test(n))) names = [...names].sort((a, b) => Number(a) - Number(b))
  for (const name of names) {
    const childPath = joinPath(path, name)
    const type = objectType(ctx, childPath)
    if (type === ctx.mod.H5G_GROUP) g.children.set(name, await readGroup(ctx, childPath))
    else if (type === ctx.mod.H5G_DATASET) {
      const leaf = await readDataset(ctx, childPath)
      if (leaf) g.children.set(name, leaf)
    } else ctx.skipped.push(`${childPath} (link or named datatype)`)
    ctx.addressOf.delete(childPath)
  }
  return g
}

async function readDataset(ctx: Ctx, path: string): Promise<LeafNode | undefined> {
  const leaf = readDatasetValue(ctx, path)
  if (!leaf) return undefined
  const attrs = readAttrs(ctx, path)
  if (attrs.size > 0) leaf.attrs = attrs
  if (leaf.kind !== 'string') {
    ctx.bytesDone += leaf.data.byteLength
    ctx.sinceYield += leaf.data.byteLength
  }
  await maybeYield(ctx)
  return leaf
}

async function maybeYield(ctx: Ctx): Promise<void> {
  if (ctx.sinceYield < YIELD_EVERY_BYTES && performance.now() - ctx.lastYieldAt < YIELD_EVERY_MS) return
  ctx.sinceYield = 0
  ctx.onProgress?.(Math.min(ctx.bytesDone, ctx.bytesTotal), ctx.bytesTotal)
  await new Promise<void>((r) => setImmediate(r))
  ctx.lastYieldAt = performance.now()
  throwIfAborted(ctx.signal)
}

function readDatasetValue(ctx: Ctx, path: string): LeafNode | undefined {
  try {
    const h = directHeader(ctx, path)
    if (h?.kind === 'dataset' && !h.valueUnsupported && h.type && h.layout && h.shape !== undefined) {
      try {
        return directDatasetValue(ctx, path, h)
      } catch (err) {
        if (!(err instanceof DirectUnsupported)) throw err
      }
    }
    const meta = ctx.mod.get_dataset_metadata(ctx.file.file_id, path) as unknown as H5Meta
    if (!meta.shape) {
      ctx.skipped.push(`${path} (empty dataspace)`)
      return undefined
    }
    const shape = [...meta.shape]
    if (meta.type === H5T_STRING) {
      const value = (ctx.file.get(path) as unknown as { value: unknown }).value
      return stringLeaf(value, shape, meta)
    }
    if (meta.type === H5T_INTEGER || meta.type === H5T_FLOAT || meta.type === H5T_ENUM) {
      const isEnum = meta.type === H5T_ENUM
      const dtype = numericDtypeOf(isEnum ? H5T_INTEGER : meta.type, meta.size, isEnum ? true : meta.signed)
      if (!dtype) {
        ctx.skipped.push(`${path} (${meta.size}-byte numbers are not supported)`)
        return undefined
      }
      if (!meta.littleEndian && meta.size > 1) {
        throw new SessionError(`${ctx.filePath}: dataset ${path} is big-endian, which this reader does not support`, {
          operation: 'load',
          path: ctx.filePath,
          code: 'DATA',
        })
      }
      const data = readNumericDataset(ctx.mod, ctx.file, path, dtype, shape)
      if (isEnum && isBoolEnum(meta)) return boolLeaf(data, shape)
      return { kind: 'numeric', dtype, shape, data }
    }
    ctx.skipped.push(`${path} (HDF5 type class ${meta.type} is not supported)`)
    return undefined
  } catch (err) {
    if (err instanceof SessionError || err instanceof FileAccessError) throw err
    throw new FileAccessError('FILE_CORRUPT', `Cannot read dataset ${path} in ${ctx.filePath}: ${errorText(err)}`, {
      path: ctx.filePath,
      cause: err,
    })
  }
}

/**
 * A dataset's value read directly: numbers from their contiguous or compact bytes, text from the bytes
 * or the global heap. Throws DirectUnsupported for what h5wasm should read (the caller then asks it).
 */
function directDatasetValue(ctx: Ctx, path: string, h: DirectHeader): LeafNode | undefined {
  const t = h.type!
  if (!h.shape) {
    ctx.skipped.push(`${path} (empty dataspace)`)
    return undefined
  }
  const shape = [...h.shape]
  const n = shape.reduce((a, b) => a * b, 1)
  const meta = metaOf(t, shape)
  if (t.typeClass === H5T_STRING) {
    return stringLeaf(directStrings(ctx.direct!, t, datasetBytes(ctx.direct!, h, n * (t.vlen ? 16 : t.size)), n), shape, meta)
  }
  if (t.typeClass !== H5T_INTEGER && t.typeClass !== H5T_FLOAT && t.typeClass !== H5T_ENUM) throw new DirectUnsupported('type class')
  const isEnum = t.typeClass === H5T_ENUM
  const dtype = numericDtypeOf(isEnum ? H5T_INTEGER : t.typeClass, t.size, isEnum ? true : t.signed)
  if (!dtype || (!t.littleEndian && t.size > 1)) throw new DirectUnsupported('dtype')
  const data = new (storageFor(dtype))(n)
  if (n > 0) {
    const bytes = n * DTYPE_BYTES[dtype]
    const describe = () => `dataset ${path}`
    const layout = h.layout!
    if (layout.kind === 'contiguous' && bytes > DIRECT_CACHED_BYTES) {
      // Straight from the file, past the block cache (which keeps headers).
      if (layout.address < 0 || layout.size < bytes) throw new DirectUnsupported('contiguous storage')
      if (dtype !== 'int64' && dtype !== 'uint64') {
        ctx.direct!.readInto(layout.address, new Uint8Array(data.buffer, data.byteOffset, bytes))
      } else {
        const per = Math.min(n, Math.floor(DIRECT_SLAB_BYTES / 8))
        const slab = new Uint8Array(per * 8)
        for (let i = 0; i < n; i += per) {
          const count = Math.min(per, n - i)
          const view = slab.subarray(0, count * 8)
          ctx.direct!.readInto(layout.address + i * 8, view)
          drainBytes(view, dtype, data, i, count, describe)
        }
      }
    } else {
      drainBytes(datasetBytes(ctx.direct!, h, bytes), dtype, data, 0, n, describe)
    }
  }
  if (isEnum && isBoolEnum(meta)) return boolLeaf(data, shape)
  return { kind: 'numeric', dtype, shape, data }
}

/** Contiguous datasets above this size are read from the file past the block cache; int64 ones in slabs of DIRECT_SLAB_BYTES. */
const DIRECT_CACHED_BYTES = 16 * 1024
const DIRECT_SLAB_BYTES = 4 * 1024 * 1024

/** The first `bytes` bytes of a dataset's storage (compact or contiguous). */
function datasetBytes(direct: DirectFile, h: DirectHeader, bytes: number): Uint8Array {
  const layout = h.layout!
  if (bytes === 0) return new Uint8Array(0)
  if (layout.kind === 'compact') {
    if (layout.data.length < bytes) throw new DirectUnsupported('compact storage')
    return layout.data
  }
  if (layout.address < 0 || layout.size < bytes) throw new DirectUnsupported('contiguous storage')
  return direct.bytes(layout.address, bytes)
}

const fixedDecoders = { ascii: new TextDecoder('ascii'), utf8: new TextDecoder('utf-8') }

/** Text elements as h5wasm returns them (its decoders: fixed-length up to the first NUL). */
function directStrings(direct: DirectFile, t: DirectType, bytes: Uint8Array, n: number): string[] {
  if (t.vlen) return direct.vlenStrings(bytes, n, t.cset === 1)
  const decoder = t.cset === 1 ? fixedDecoders.utf8 : fixedDecoders.ascii
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const item = bytes.subarray(i * t.size, (i + 1) * t.size)
    const nul = item.indexOf(0)
    out.push(decoder.decode(nul >= 0 ? item.subarray(0, nul) : item))
  }
  return out
}

/** The h5wasm metadata fields the reader's decisions use, for a type the direct reader parsed. */
function metaOf(t: DirectType, shape: number[] | null): H5Meta {
  return {
    type: t.typeClass,
    size: t.size,
    signed: t.signed,
    littleEndian: t.littleEndian,
    vlen: t.vlen,
    cset: t.cset,
    shape,
    enum_type: t.enumMembers ? { members: t.enumMembers, type: t.base!.typeClass } : undefined,
  }
}

/** An attribute's value in the form h5wasm's get_attribute returns it, read from the header's bytes. */
function directAttributeValue(ctx: Ctx, a: DirectAttribute, shape: number[]): unknown {
  const t = a.type!
  const n = shape.reduce((x, y) => x * y, 1)
  if (t.typeClass === H5T_STRING) {
    if (a.data.length < n * (t.vlen ? 16 : t.size)) throw new DirectUnsupported('attribute data')
    return directStrings(ctx.direct!, t, a.data, n)
  }
  const base = t.typeClass === H5T_ENUM ? t.base! : t
  if (base.typeClass !== H5T_INTEGER && base.typeClass !== H5T_FLOAT) throw new DirectUnsupported('attribute type')
  if (!base.littleEndian && base.size > 1) throw new DirectUnsupported('big-endian attribute')
  const Accessor = accessorOf(base)
  if (!Accessor || a.data.length < n * base.size) throw new DirectUnsupported('attribute data')
  return new Accessor(a.data.slice(0, n * base.size).buffer)
}

type Accessor = new (b: ArrayBuffer) => ArrayLike<number | bigint>

function accessorOf(t: DirectType): Accessor | undefined {
  if (t.typeClass === H5T_FLOAT) return t.size === 4 ? Float32Array : t.size === 8 ? Float64Array : undefined
  switch (t.size) {
    case 1:
      return t.signed ? Int8Array : Uint8Array
    case 2:
      return t.signed ? Int16Array : Uint16Array
    case 4:
      return t.signed ? Int32Array : Uint32Array
    case 8:
      return t.signed ? BigInt64Array : BigUint64Array
  }
  return undefined
}

/** Attribute names in h5wasm's order: by name, compared as UTF-8 bytes. */
function byName(attrs: DirectAttribute[]): DirectAttribute[] {
  if (attrs.length < 2) return attrs
  const key = new Map(attrs.map((a) => [a, Buffer.from(a.name, 'utf8')]))
  return [...attrs].sort((a, b) => Buffer.compare(key.get(a)!, key.get(b)!))
}

function readAttrs(ctx: Ctx, path: string): Map<string, LeafNode> {
  const h = directHeader(ctx, path)
  if (h && !h.attributesUnsupported) return readAttrsDirect(ctx, path, h)
  const names = ctx.mod.get_attribute_names(ctx.file.file_id, path) as string[]
  const out = new Map<string, LeafNode>()
  if (names.length === 0) return out
  const obj = path === '/' ? ctx.file : (ctx.file.get(path) as unknown as File)
  for (const name of names) readAttrH5wasm(ctx, path, obj, name, out)
  return out
}

function readAttrsDirect(ctx: Ctx, path: string, h: DirectHeader): Map<string, LeafNode> {
  const out = new Map<string, LeafNode>()
  if (h.attributes.length === 0) return out
  let obj: File | undefined
  for (const a of byName(h.attributes)) {
    const where = `attribute ${a.name} of ${path}`
    try {
      if (!a.shape) {
        ctx.skipped.push(`${path}@${a.name} (empty attribute)`)
        continue
      }
      if (a.type) {
        const shape = [...a.shape]
        const meta = metaOf(a.type, shape)
        const leaf = attrLeaf(directAttributeValue(ctx, a, shape), shape, meta, where)
        if (leaf) {
          out.set(a.name, leaf)
          continue
        }
      }
    } catch (err) {
      if (err instanceof SessionError || err instanceof FileAccessError) throw err
      if (!(err instanceof DirectUnsupported)) {
        throw new FileAccessError('FILE_CORRUPT', `Cannot read attribute ${a.name} of ${path} in ${ctx.filePath}: ${errorText(err)}`, {
          path: ctx.filePath,
          cause: err,
        })
      }
    }
    obj ??= path === '/' ? ctx.file : (ctx.file.get(path) as unknown as File)
    readAttrH5wasm(ctx, path, obj, a.name, out)
  }
  return out
}

function readAttrH5wasm(ctx: Ctx, path: string, obj: File, name: string, out: Map<string, LeafNode>): void {
  {
    try {
      const meta = ctx.mod.get_attribute_metadata(ctx.file.file_id, path, name) as unknown as H5Meta
      if (!meta.shape) {
        ctx.skipped.push(`${path}@${name} (empty attribute)`)
        return
      }
      const shape = [...meta.shape]
      const value = obj.get_attribute(name, false) as unknown
      const leaf = attrLeaf(value, shape, meta, `attribute ${name} of ${path}`)
      if (leaf) out.set(name, leaf)
      else ctx.skipped.push(`${path}@${name} (HDF5 type class ${meta.type} is not supported)`)
    } catch (err) {
      if (err instanceof SessionError || err instanceof FileAccessError) throw err
      throw new FileAccessError('FILE_CORRUPT', `Cannot read attribute ${name} of ${path} in ${ctx.filePath}: ${errorText(err)}`, {
        path: ctx.filePath,
        cause: err,
      })
    }
  }
}

function attrLeaf(value: unknown, shape: number[], meta: H5Meta, where: string): LeafNode | undefined {
  if (meta.type === H5T_STRING) return stringLeaf(value, shape, meta)
  if (meta.type !== H5T_INTEGER && meta.type !== H5T_FLOAT && meta.type !== H5T_ENUM) return undefined
  const isEnum = meta.type === H5T_ENUM
  const dtype = numericDtypeOf(isEnum ? H5T_INTEGER : meta.type, meta.size, isEnum ? true : meta.signed)
  if (!dtype) return undefined
  const values: ArrayLike<number | bigint> =
    ArrayBuffer.isView(value) ? (value as unknown as ArrayLike<number | bigint>) : [value as number | bigint]
  const n = values.length
  if (isEnum && isBoolEnum(meta)) {
    const data = new Uint8Array(n)
    for (let i = 0; i < n; i++) data[i] = Number(values[i]) !== 0 ? 1 : 0
    return { kind: 'bool', shape, data }
  }
  const Storage = dtype === 'int64' || dtype === 'uint64' ? Float64Array : undefined
  const data = (Storage ? new Storage(n) : numericStorage(dtype, n)) as NumericData
  for (let i = 0; i < n; i++) {
    const v = Number(values[i])
    if (typeof values[i] === 'bigint' && !Number.isSafeInteger(v)) {
      throw new RangeError(`${where}: ${dtype} value ${String(values[i])} exceeds 2^53 and cannot be represented exactly`)
    }
    data[i] = v
  }
  return { kind: 'numeric', dtype, shape, data }
}

function numericStorage(dtype: Exclude<ReturnType<typeof numericDtypeOf>, undefined>, n: number): NumericData {
  switch (dtype) {
    case 'int8':
      return new Int8Array(n)
    case 'uint8':
      return new Uint8Array(n)
    case 'int16':
      return new Int16Array(n)
    case 'uint16':
      return new Uint16Array(n)
    case 'int32':
      return new Int32Array(n)
    case 'uint32':
      return new Uint32Array(n)
    case 'float32':
      return new Float32Array(n)
    default:
      return new Float64Array(n)
  }
}

function isBoolEnum(meta: H5Meta): boolean {
  const m = meta.enum_type?.members
  return !!m && Object.keys(m).length === 2 && m.FALSE === 0 && m.TRUE === 1
}

function boolLeaf(data: NumericData, shape: number[]): BoolNode {
  const out = new Uint8Array(data.length)
  for (let i = 0; i < data.length; i++) out[i] = data[i] !== 0 ? 1 : 0
  return { kind: 'bool', shape, data: out }
}

function stringLeaf(value: unknown, shape: number[], meta: H5Meta): StringNode {
  const data = (Array.isArray(value) ? value : [value]).map((v) => (typeof v === 'string' ? v : String(v)))
  const utf8 = meta.cset === 1
  const node: StringNode = {
    kind: 'string',
    shape,
    data,
    encoding: meta.vlen ? (utf8 ? 'vlen-utf8' : 'vlen-ascii') : utf8 ? 'fixed-utf8' : 'fixed',
  }
  if (!meta.vlen) node.itemSize = meta.size
  return node
}

function leafText(leaf: LeafNode | undefined): string | undefined {
  if (!leaf || leaf.data.length !== 1) return undefined
  return leaf.kind === 'string' ? leaf.data[0] : String(leaf.data[0])
}

function stringsOf(node: TreeNode): string[] {
  if (node.kind === 'string') return [...node.data]
  if (node.kind === 'group') return []
  return Array.from(node.data as ArrayLike<number>, String)
}

function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}
