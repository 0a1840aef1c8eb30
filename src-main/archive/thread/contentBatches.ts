// An archive's content cut into bounded batches for the trip between the main thread and an archive
// thread, and put together again on the other side. Pure: no threads, no I/O (the plumbing is in
// archiveThreads.ts and threadEntry.ts).
//
// Why batches: one postMessage of a whole session would hold the sending and the receiving thread for
// the structured clone of everything (a session may hold 1 GB of arrays or 100,000 small datasets).
// Each batch carries at most `maxNodes` nodes and `maxBytes` bytes of array data, so neither side is
// ever busy with one message for long:
//  * small arrays are copied, back to back, into one packed buffer per batch (copying exactly the bytes
//    of each view: a structured clone of a view would copy its whole underlying buffer);
//  * arrays larger than a batch follow their node as slabs of at most `maxBytes`, copied into the
//    array allocated on the receiving side;
//  * the bytes of a batch go into a buffer the sender chooses (`bufferFor`): by default a new one,
//    transferred; a writer reuses a few SharedArrayBuffers instead, so a 1 GB save allocates nothing
//    per batch on the main thread (no garbage, no collector pauses there);
//  * with `deferAtLeast`, a save's large datasets travel as their shape alone; the archive thread asks
//    for each one's values as it writes it (slabBatches), so it never holds a second copy of the session;
//  * with `handOver`, arrays that own their whole buffer are handed over as that buffer (transferred,
//    no copy); the sender must not use them afterwards (the archive thread's freshly read arrays).
// Nodes are numbered in the order sent, depth first, each naming its parent by number, so the receiver
// rebuilds every Map in the sender's order.

import type { GroupNode, LeafNode, StringEncoding, TreeNode } from '../../../src-shared/tree'
import type { ArchiveContent, ArchiveFlavour } from '../content'

export interface BatchLimits {
  /** Array bytes per batch (packed small arrays, or one slab of a large one). */
  maxBytes: number
  /** Nodes (groups, datasets, attributes) per batch. */
  maxNodes: number
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxBytes: 8 * 1024 * 1024, maxNodes: 2000 }

/** Arrays at least this large that own their buffer are handed over whole when `handOver` is set. */
const HAND_OVER_MIN_BYTES = 64 * 1024

/** The typed-array classes a leaf's data may have; the receiver rebuilds the same class. */
const ARRAY_TYPES = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const
type ArrayTypeName = keyof typeof ARRAY_TYPES
const ARRAY_TYPE_NAMES = Object.keys(ARRAY_TYPES) as ArrayTypeName[]
export type AnyTypedArray = InstanceType<(typeof ARRAY_TYPES)[ArrayTypeName]>

/** Where a leaf's values travel. */
export type DataRef =
  /** `bytes` bytes at `offset` of the batch's packed buffer. */
  | { in: 'packed'; type: ArrayTypeName; offset: number; bytes: number }
  /** The batch's `buffers[index]`, handed over whole. */
  | { in: 'buffer'; type: ArrayTypeName; index: number }
  /** `length` values, sent in the slab batches that follow. */
  | { in: 'slabs'; type: ArrayTypeName; length: number }
  /** `length` values, sent later as slab batches when the receiver asks for them (a save's large arrays). */
  | { in: 'deferred'; type: ArrayTypeName; length: number }
  /** Not a typed array (a caller's mistake the writer reports): sent as it is. */
  | { in: 'inline'; value: unknown }

export type NodeBody =
  | { kind: 'group' }
  | { kind: 'numeric'; dtype: string; shape: number[]; data: DataRef }
  | { kind: 'bool'; shape: number[]; data: DataRef }
  | { kind: 'string'; shape: number[]; data: string[]; encoding?: StringEncoding; itemSize?: number }

export interface NodeRecord {
  /** Number of the parent node, or -1 for a top-level slot (see SLOT_*). */
  parent: number
  /** The child's or attribute's name, or the slot. */
  name: string
  /** An attribute of the parent (a group or a dataset), not a child. */
  attr?: true
  body: NodeBody
}

export interface ContentBatch {
  /** Number of this batch's first record (records are numbered across all batches). */
  first: number
  /** Records in this batch. */
  count: number
  /** The records, column by column (packRecords): typed arrays clone far faster than objects. */
  columns?: RecordColumns
  packed?: Uint8Array
  buffers?: ArrayBuffer[]
  /** A slab of a large array: its values from element `offset` on. */
  slab?: { node: number; offset: number; data: Uint8Array }
}

/** NodeRecords as columns: one typed array per number field, the names as one array of strings. */
export interface RecordColumns {
  parents: Int32Array
  names: string[]
  /** Four codes per record: kind (+ ATTR_FLAG), dtype, array type, where the values are (see *_CODES). */
  codes: Uint8Array
  /** Two numbers per record: packed offset, buffer index or slab length; packed bytes. */
  nums: Float64Array
  /** Record i's shape is dims[shapeAt[i] .. shapeAt[i + 1]). */
  shapeAt: Int32Array
  dims: Float64Array
  /** What does not fit a column, by record index in the batch: string data, inline values, unknown dtypes. */
  extras: Array<{ i: number; strings?: string[]; encoding?: StringEncoding; itemSize?: number; value?: unknown; dtype?: string }>
}

const KIND_CODES = ['group', 'numeric', 'bool', 'string'] as const
const ATTR_FLAG = 8
const DTYPE_CODES = ['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64']
const UNKNOWN_DTYPE = 255
const WHERE_CODES = ['none', 'packed', 'buffer', 'slabs', 'inline', 'deferred'] as const

export function packRecords(records: NodeRecord[]): RecordColumns {
  const n = records.length
  const c: RecordColumns = {
    parents: new Int32Array(n),
    names: new Array<string>(n),
    codes: new Uint8Array(4 * n),
    nums: new Float64Array(2 * n),
    shapeAt: new Int32Array(n + 1),
    dims: new Float64Array(records.reduce((a, r) => a + (r.body.kind === 'group' ? 0 : r.body.shape.length), 0)),
    extras: [],
  }
  let d = 0
  for (let i = 0; i < n; i++) {
    const { parent, name, attr, body } = records[i]
    c.parents[i] = parent
    c.names[i] = name
    c.codes[4 * i] = KIND_CODES.indexOf(body.kind) + (attr ? ATTR_FLAG : 0)
    c.shapeAt[i] = d
    if (body.kind !== 'group') for (const dim of body.shape) c.dims[d++] = dim
    if (body.kind === 'string') {
      const extra: RecordColumns['extras'][number] = { i, strings: body.data }
      if (body.encoding !== undefined) extra.encoding = body.encoding
      if (body.itemSize !== undefined) extra.itemSize = body.itemSize
      c.extras.push(extra)
    } else if (body.kind !== 'group') {
      if (body.kind === 'numeric') {
        const code = DTYPE_CODES.indexOf(body.dtype)
        c.codes[4 * i + 1] = code >= 0 ? code : UNKNOWN_DTYPE
        if (code < 0) c.extras.push({ i, dtype: body.dtype })
      }
      const ref = body.data
      c.codes[4 * i + 3] = WHERE_CODES.indexOf(ref.in)
      if (ref.in === 'inline') c.extras.push({ i, value: ref.value })
      else {
        c.codes[4 * i + 2] = ARRAY_TYPE_NAMES.indexOf(ref.type)
        c.nums[2 * i] = ref.in === 'packed' ? ref.offset : ref.in === 'buffer' ? ref.index : ref.length
        if (ref.in === 'packed') c.nums[2 * i + 1] = ref.bytes
      }
    }
  }
  c.shapeAt[n] = d
  return c
}

export function unpackRecords(c: RecordColumns): NodeRecord[] {
  const n = c.parents.length
  const extras = new Map<number, RecordColumns['extras']>()
  for (const e of c.extras) {
    const list = extras.get(e.i)
    if (list) list.push(e)
    else extras.set(e.i, [e])
  }
  const out = new Array<NodeRecord>(n)
  for (let i = 0; i < n; i++) {
    const code = c.codes[4 * i]
    const kind = KIND_CODES[code & ~ATTR_FLAG]
    if (kind === undefined) throw new Error(`archive transfer: unknown node kind ${code}`)
    const shape = Array.from(c.dims.subarray(c.shapeAt[i], c.shapeAt[i + 1]))
    const more = extras.get(i) ?? []
    let body: NodeBody
    if (kind === 'group') body = { kind }
    else if (kind === 'string') {
      const e = more.find((x) => x.strings !== undefined)
      body = { kind, shape, data: e?.strings ?? [] }
      if (e?.encoding !== undefined) body.encoding = e.encoding
      if (e?.itemSize !== undefined) body.itemSize = e.itemSize
    } else {
      const where = WHERE_CODES[c.codes[4 * i + 3]]
      let data: DataRef
      if (where === 'inline') data = { in: 'inline', value: more.find((x) => 'value' in x)?.value }
      else {
        const type = ARRAY_TYPE_NAMES[c.codes[4 * i + 2]]
        const a = c.nums[2 * i]
        if (where === 'packed') data = { in: 'packed', type, offset: a, bytes: c.nums[2 * i + 1] }
        else if (where === 'buffer') data = { in: 'buffer', type, index: a }
        else if (where === 'slabs') data = { in: 'slabs', type, length: a }
        else if (where === 'deferred') data = { in: 'deferred', type, length: a }
        else throw new Error(`archive transfer: node data of unknown kind ${c.codes[4 * i + 3]}`)
      }
      if (kind === 'numeric') {
        const dcode = c.codes[4 * i + 1]
        const dtype = dcode === UNKNOWN_DTYPE ? String(more.find((x) => x.dtype !== undefined)?.dtype) : DTYPE_CODES[dcode]
        body = { kind, dtype, shape, data }
      } else body = { kind, shape, data }
    }
    const record: NodeRecord = { parent: c.parents[i], name: c.names[i], body }
    if (code & ATTR_FLAG) record.attr = true
    out[i] = record
  }
  return out
}

/** Everything of an ArchiveContent that is not a tree (small; sent with the start or end message). */
export interface ContentHeader {
  datasetId: string
  createdAt: string
  savedAt: string
  checkpointName?: string
  sourceFiles: Array<[string, string]>
  completedSteps: string[]
  warnings: string[]
  hasExtraGroups: boolean
  flavour?: ArchiveFlavour
  skipped?: string[]
  derivedSteps?: boolean
}

const SLOT_GROUP = 'group:'
const SLOT_ROOT_ATTR = 'attr:'
const TOP_SLOTS = ['units', 'metadata', 'stimulus'] as const

export function contentHeader(c: ArchiveContent): ContentHeader {
  const h: ContentHeader = {
    datasetId: c.datasetId,
    createdAt: c.createdAt,
    savedAt: c.savedAt,
    sourceFiles: [...c.sourceFiles],
    completedSteps: [...c.completedSteps],
    warnings: [...c.warnings],
    hasExtraGroups: c.extraGroups !== undefined,
  }
  if (c.checkpointName !== undefined) h.checkpointName = c.checkpointName
  if (c.flavour !== undefined) h.flavour = c.flavour
  if (c.skipped !== undefined) h.skipped = [...c.skipped]
  if (c.derivedSteps !== undefined) h.derivedSteps = c.derivedSteps
  return h
}

/** The buffers of a batch to transfer with it: its own ones (shared memory is shared, not moved). */
export function transferListOf(batch: ContentBatch): ArrayBuffer[] {
  const list: ArrayBuffer[] = []
  const own = (view: Uint8Array | undefined) => {
    if (view && view.buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) list.push(view.buffer)
  }
  own(batch.packed)
  if (batch.buffers) list.push(...batch.buffers)
  own(batch.slab?.data)
  return list
}

/**
 * Where the bytes of batch number `index` go (`bytes` of them). The sender may reuse a buffer once the
 * batch that used it was acknowledged (batchStream.ts keeps at most BATCH_WINDOW unacknowledged).
 */
export type BufferFor = (index: number, bytes: number) => Uint8Array

const newBuffer: BufferFor = (_index, bytes) => new Uint8Array(bytes)

function typeNameOf(data: unknown): ArrayTypeName | undefined {
  if (!ArrayBuffer.isView(data) || data instanceof DataView) return undefined
  const name = data.constructor.name as ArrayTypeName
  return name in ARRAY_TYPES && data instanceof ARRAY_TYPES[name] ? name : undefined
}

function ownsWholeBuffer(data: AnyTypedArray): boolean {
  return data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
}

function align8(n: number): number {
  return (n + 7) & ~7
}

interface Pending {
  parent: number
  name: string
  attr: boolean
  node: TreeNode
}

/**
 * The batches of `content`'s trees (units, metadata, stimulus, extra groups, extra root attributes), in
 * order. Lazy: each step does a bounded amount of work, so a sender can give its event loop a turn
 * between batches. Without `handOver` the content's arrays are only read, never detached.
 */
export function* encodeContent(
  content: ArchiveContent,
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
  opts: {
    handOver?: boolean
    bufferFor?: BufferFor
    /** Datasets (not attributes) with at least this many bytes of values are sent only when asked for (slabBatches). */
    deferAtLeast?: number
    /** Told the number of each deferred node and its values. */
    onDeferred?: (node: number, values: AnyTypedArray) => void
  } = {},
): Generator<ContentBatch> {
  const bufferFor = opts.bufferFor ?? newBuffer
  let index = 0 // number of the batch being made
  const maxBytes = Math.max(8, Math.floor(limits.maxBytes / 8) * 8)
  const maxNodes = Math.max(1, limits.maxNodes)
  const stack: Pending[] = []
  const slots: Array<[string, TreeNode]> = TOP_SLOTS.map((s) => [s, content[s]])
  for (const [name, node] of content.extraGroups ?? []) slots.push([SLOT_GROUP + name, node])
  for (const [key, leaf] of content.extraRootAttrs) slots.push([SLOT_ROOT_ATTR + key, leaf])
  for (let i = slots.length - 1; i >= 0; i--) stack.push({ parent: -1, name: slots[i][0], attr: false, node: slots[i][1] })

  let next = 0 // number of the next record
  // The batch being filled; its records become columns when it is sealed.
  let batch: { first: number; records: NodeRecord[]; buffers?: ArrayBuffer[] } = { first: 0, records: [] }
  // Small arrays of the current batch, copied into one buffer when it is sent.
  let smalls: Array<{ data: AnyTypedArray; offset: number }> = []
  let packedBytes = 0
  // Strings travel inside the records; counted (about) towards the batch's bytes as well.
  let stringBytes = 0

  const seal = (): ContentBatch => {
    const out: ContentBatch = { first: batch.first, count: batch.records.length, columns: packRecords(batch.records) }
    if (batch.buffers) out.buffers = batch.buffers
    if (smalls.length > 0) {
      const packed = bufferFor(index, packedBytes)
      for (const s of smalls) packed.set(new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength), s.offset)
      out.packed = packed
    }
    index++
    batch = { first: out.first + out.count, records: [] }
    smalls = []
    packedBytes = 0
    stringBytes = 0
    return out
  }

  while (stack.length > 0) {
    const item = stack.pop()!
    const { node } = item
    const number = next++
    let slabsOf: AnyTypedArray | undefined
    let body: NodeBody
    if (node.kind === 'group') {
      body = { kind: 'group' }
    } else if (node.kind === 'string') {
      let bytes = 0
      for (const s of node.data) bytes += 2 * (s?.length ?? 0)
      if (packedBytes + stringBytes + bytes > maxBytes && batch.records.length > 0) yield seal()
      stringBytes += bytes
      body = { kind: 'string', shape: [...node.shape], data: node.data }
      if (node.encoding !== undefined) body.encoding = node.encoding
      if (node.itemSize !== undefined) body.itemSize = node.itemSize
    } else {
      const data = node.data as unknown
      const type = typeNameOf(data)
      let ref: DataRef
      if (!type) {
        ref = { in: 'inline', value: data }
      } else {
        const array = data as AnyTypedArray
        if (opts.deferAtLeast !== undefined && !item.attr && item.parent !== -1 && array.byteLength >= opts.deferAtLeast) {
          ref = { in: 'deferred', type, length: array.length }
          opts.onDeferred?.(number, array)
        } else if (opts.handOver && array.byteLength >= HAND_OVER_MIN_BYTES && ownsWholeBuffer(array)) {
          batch.buffers ??= []
          ref = { in: 'buffer', type, index: batch.buffers.length }
          batch.buffers.push(array.buffer as ArrayBuffer)
        } else if (array.byteLength > maxBytes) {
          ref = { in: 'slabs', type, length: array.length }
          slabsOf = array
        } else {
          if (align8(packedBytes) + stringBytes + array.byteLength > maxBytes && batch.records.length > 0) yield seal()
          const offset = align8(packedBytes)
          smalls.push({ data: array, offset })
          packedBytes = offset + array.byteLength
          ref = { in: 'packed', type, offset, bytes: array.byteLength }
        }
      }
      body = node.kind === 'numeric' ? { kind: 'numeric', dtype: node.dtype, shape: [...node.shape], data: ref } : { kind: 'bool', shape: [...node.shape], data: ref }
    }
    const record: NodeRecord = { parent: item.parent, name: item.name, body }
    if (item.attr) record.attr = true
    batch.records.push(record)

    if (slabsOf) {
      yield seal()
      for (const slab of slabBatches(number, slabsOf, maxBytes, bufferFor, index, batch.first)) {
        index++
        yield slab
      }
    } else if (batch.records.length >= maxNodes) {
      yield seal()
    }

    // Children before attributes on the stack means attributes are sent first; order within each is kept.
    if (node.kind === 'group') {
      const children = [...node.children]
      for (let i = children.length - 1; i >= 0; i--) stack.push({ parent: number, name: children[i][0], attr: false, node: children[i][1] })
      const attrs = [...node.attrs]
      for (let i = attrs.length - 1; i >= 0; i--) stack.push({ parent: number, name: attrs[i][0], attr: true, node: attrs[i][1] })
    } else if (node.attrs && node.attrs.size > 0) {
      const attrs = [...node.attrs]
      for (let i = attrs.length - 1; i >= 0; i--) stack.push({ parent: number, name: attrs[i][0], attr: true, node: attrs[i][1] })
    }
  }
  if (batch.records.length > 0) yield seal()
}

/**
 * The values of node `node` as slab batches of at most `maxBytes`, each copied into the buffer
 * `bufferFor` gives for batch number `firstIndex`, `firstIndex + 1`, ... (`first`: the record number
 * the slabs travel under; the receiver goes by `slab.node`).
 */
export function* slabBatches(node: number, values: AnyTypedArray, maxBytes: number, bufferFor: BufferFor = newBuffer, firstIndex = 0, first = 0): Generator<ContentBatch> {
  const bpe = values.BYTES_PER_ELEMENT
  const perSlab = Math.max(1, Math.floor(maxBytes / bpe))
  let index = firstIndex
  for (let offset = 0; offset < values.length; offset += perSlab) {
    const count = Math.min(perSlab, values.length - offset)
    const data = bufferFor(index++, count * bpe)
    data.set(new Uint8Array(values.buffer, values.byteOffset + offset * bpe, count * bpe))
    yield { first, count: 0, slab: { node, offset, data } }
  }
}

/** Puts the batches of encodeContent together again, in the order they were made. */
export class ContentAssembler {
  private readonly nodes: TreeNode[] = []
  private readonly slots = new Map<string, TreeNode>()
  /** Large arrays still waiting for slabs: node number -> values still missing. */
  private readonly missing = new Map<number, number>()
  /** Deferred datasets: the leaf -> its node number and where its values will come from. */
  private readonly deferred = new Map<TreeNode, { node: number; type: ArrayTypeName; length: number; order: number }>()
  /** The deferred leaves in the order sent (the order a writer walks the tree in). */
  private readonly deferredInOrder: TreeNode[] = []
  /** Deferred nodes whose values were asked for (expectValues) and not let go yet. */
  private readonly expected = new Set<number>()

  /** Nodes received so far. */
  get count(): number {
    return this.nodes.length
  }

  add(batch: ContentBatch): void {
    if (batch.slab) {
      this.addSlab(batch.slab)
      return
    }
    if (batch.first !== this.nodes.length) {
      throw new Error(`archive transfer: batch starting at node ${batch.first} arrived after ${this.nodes.length} nodes (out of order or lost)`)
    }
    const records = batch.columns ? unpackRecords(batch.columns) : []
    if (records.length !== batch.count) throw new Error(`archive transfer: a batch of ${batch.count} nodes carries ${records.length}`)
    for (const record of records) this.addRecord(record, batch)
  }

  private addRecord(record: NodeRecord, batch: ContentBatch): void {
    const number = this.nodes.length
    const node = this.materialise(record.body, batch, number)
    this.nodes.push(node)
    if (record.body.kind !== 'group' && record.body.kind !== 'string' && record.body.data.in === 'deferred') {
      const { type, length } = record.body.data
      this.deferred.set(node, { node: number, type, length, order: this.deferredInOrder.length })
      this.deferredInOrder.push(node)
    }
    if (record.parent === -1) {
      this.slots.set(record.name, node)
      return
    }
    const parent = this.nodes[record.parent]
    if (!parent || record.parent >= number) throw new Error(`archive transfer: node ${number} names an unknown parent ${record.parent}`)
    if (record.attr) {
      if (node.kind === 'group') throw new Error(`archive transfer: attribute ${record.name} is a group`)
      if (parent.kind === 'group') parent.attrs.set(record.name, node)
      else (parent.attrs ??= new Map()).set(record.name, node)
    } else {
      if (parent.kind !== 'group') throw new Error(`archive transfer: ${record.name} is placed under a dataset`)
      parent.children.set(record.name, node)
    }
  }

  private materialise(body: NodeBody, batch: ContentBatch, number: number): TreeNode {
    switch (body.kind) {
      case 'group':
        return { kind: 'group', children: new Map(), attrs: new Map() }
      case 'string': {
        const leaf: LeafNode = { kind: 'string', shape: body.shape, data: body.data }
        if (body.encoding !== undefined) leaf.encoding = body.encoding
        if (body.itemSize !== undefined) leaf.itemSize = body.itemSize
        return leaf
      }
      case 'numeric':
        return { kind: 'numeric', dtype: body.dtype as never, shape: body.shape, data: this.values(body.data, batch, number) as never }
      case 'bool':
        return { kind: 'bool', shape: body.shape, data: this.values(body.data, batch, number) as never }
    }
  }

  private values(ref: DataRef, batch: ContentBatch, number: number): unknown {
    if (ref.in === 'inline') return ref.value
    const Type = ARRAY_TYPES[ref.type]
    if (!Type) throw new Error(`archive transfer: unknown array type ${String(ref.type)}`)
    switch (ref.in) {
      case 'packed': {
        if (!batch.packed || ref.offset + ref.bytes > batch.packed.byteLength) throw new Error(`archive transfer: node ${number} lies outside its batch's data`)
        // A copy: each array owns its buffer, as an array read from a file does.
        return new Type(batch.packed.slice(ref.offset, ref.offset + ref.bytes).buffer)
      }
      case 'buffer': {
        const buffer = batch.buffers?.[ref.index]
        if (!buffer) throw new Error(`archive transfer: node ${number} names a missing buffer`)
        return new Type(buffer)
      }
      case 'slabs':
        return this.awaitSlabs(number, ref.type, ref.length)
      case 'deferred':
        // Empty until the writer asks for the values (expectValues), and emptied again after (letGo).
        return new Type(0)
    }
  }

  /** A new array of `length` values for node `node`, to be filled by its slab batches. */
  private awaitSlabs(node: number, type: ArrayTypeName, length: number): AnyTypedArray {
    if (length > 0) this.missing.set(node, length)
    return new ARRAY_TYPES[type](length)
  }

  private addSlab(slab: NonNullable<ContentBatch['slab']>): void {
    const target = this.nodes[slab.node]
    const left = this.missing.get(slab.node)
    if (!target || target.kind === 'group' || target.kind === 'string' || left === undefined) {
      throw new Error(`archive transfer: a slab for node ${slab.node}, which expects none`)
    }
    const array = target.data as unknown as AnyTypedArray
    const part = slab.data
    const at = slab.offset * array.BYTES_PER_ELEMENT
    if (at + part.byteLength > array.byteLength) throw new Error(`archive transfer: a slab beyond the end of node ${slab.node}`)
    new Uint8Array(array.buffer, array.byteOffset + at, part.byteLength).set(part)
    const still = left - part.byteLength / array.BYTES_PER_ELEMENT
    if (still > 0) this.missing.set(slab.node, still)
    else this.missing.delete(slab.node)
  }

  /**
   * Makes room for the values of the deferred dataset `leaf` and of the deferred datasets that follow it,
   * up to `aheadBytes` in all (at least `leaf`'s), unless already done; their values then arrive as slab
   * batches (add). Returns the node numbers newly expected (to ask the sender for), or undefined when
   * `leaf` is not deferred.
   */
  expectValues(leaf: TreeNode, aheadBytes = 0): number[] | undefined {
    const first = this.deferred.get(leaf)
    if (!first) return undefined
    if (this.expected.has(first.node)) return []
    const out: number[] = []
    let bytes = 0
    for (let i = first.order; i < this.deferredInOrder.length; i++) {
      const next = this.deferredInOrder[i]
      const d = this.deferred.get(next)!
      const size = d.length * ARRAY_TYPES[d.type].BYTES_PER_ELEMENT
      if (out.length > 0 && bytes + size > aheadBytes) break
      if (this.expected.has(d.node)) continue
      ;(next as { data: unknown }).data = this.awaitSlabs(d.node, d.type, d.length)
      this.expected.add(d.node)
      out.push(d.node)
      bytes += size
    }
    return out
  }

  /** The node number of the deferred dataset `leaf` (undefined if it is not deferred). */
  deferredNode(leaf: TreeNode): number | undefined {
    return this.deferred.get(leaf)?.node
  }

  /** Whether every value of node `node` has arrived. */
  complete(node: number): boolean {
    return !this.missing.has(node)
  }

  /** Empties a deferred dataset again once it was written (its values are the sender's to keep). */
  letGo(leaf: TreeNode): void {
    const d = this.deferred.get(leaf)
    if (!d) return
    this.missing.delete(d.node)
    this.expected.delete(d.node)
    ;(leaf as { data: unknown }).data = new ARRAY_TYPES[d.type](0)
  }

  /** The whole content; `expectedNodes` (from the sender) guards against a lost batch. */
  finish(header: ContentHeader, expectedNodes: number): ArchiveContent {
    if (this.nodes.length !== expectedNodes) throw new Error(`archive transfer: ${this.nodes.length} of ${expectedNodes} nodes arrived`)
    if (this.missing.size > 0) throw new Error(`archive transfer: ${this.missing.size} large arrays arrived incomplete`)
    const groupSlot = (name: string): GroupNode => {
      const n = this.slots.get(name)
      if (n?.kind !== 'group') throw new Error(`archive transfer: ${name} is missing`)
      return n
    }
    const extraGroups = new Map<string, TreeNode>()
    const extraRootAttrs = new Map<string, LeafNode>()
    for (const [slot, node] of this.slots) {
      if (slot.startsWith(SLOT_GROUP)) extraGroups.set(slot.slice(SLOT_GROUP.length), node)
      else if (slot.startsWith(SLOT_ROOT_ATTR) && node.kind !== 'group') extraRootAttrs.set(slot.slice(SLOT_ROOT_ATTR.length), node)
    }
    const content: ArchiveContent = {
      datasetId: header.datasetId,
      createdAt: header.createdAt,
      savedAt: header.savedAt,
      units: groupSlot('units'),
      metadata: groupSlot('metadata'),
      stimulus: groupSlot('stimulus'),
      sourceFiles: new Map(header.sourceFiles),
      completedSteps: header.completedSteps,
      warnings: header.warnings,
      extraRootAttrs,
    }
    if (header.checkpointName !== undefined) content.checkpointName = header.checkpointName
    if (header.hasExtraGroups) content.extraGroups = extraGroups
    if (header.flavour !== undefined) content.flavour = header.flavour
    if (header.skipped !== undefined) content.skipped = header.skipped
    if (header.derivedSteps !== undefined) content.derivedSteps = header.derivedSteps
    return content
  }
}
