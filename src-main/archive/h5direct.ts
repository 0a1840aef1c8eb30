// Reads the structure of an HDF5 file straight from its bytes, for the archive reader's fast path
// (docs/archive-speed.md). Going through h5wasm costs tens of microseconds per object (every call
// opens the object by its full path from the root); an archive of 100,000 small datasets spends most
// of its load there. This module understands only the file format h5py writes by default and our
// writer writes (superblock version 0/1, version-1 object headers, groups as symbol tables, contiguous
// or compact datasets, attributes in the object header). Anything else throws DirectUnsupported, and
// the reader asks h5wasm about that object instead, so the fast path never decides a hard case.
// Format reference: the HDF5 File Format Specification, version 3 (superblock, object header
// messages, v1 B-tree, local and global heaps).

// Synchronous reads, as h5wasm's own: the codec runs in the archive threads (issue 12), and each read
// is a 64 KB block or one dataset's bytes.
/* eslint-disable layers/no-sync-fs */
import { closeSync, openSync, readSync } from 'node:fs'

/** This object (or file) uses a part of the format the direct reader leaves to h5wasm. */
export class DirectUnsupported extends Error {}

const UNDEF = -1
const BLOCK = 64 * 1024
/** Blocks kept in memory (16 MB): headers of neighbouring objects sit close together in the file. */
const MAX_BLOCKS = 256

export interface DirectType {
  /** HDF5 type class as h5wasm reports it (vlen strings report H5T_STRING, 3). */
  typeClass: number
  size: number
  signed: boolean
  littleEndian: boolean
  vlen: boolean
  /** 0 ASCII, 1 UTF-8 (strings only). */
  cset: number
  enumMembers?: Record<string, number>
  /** The integer type an enum is based on. */
  base?: DirectType
}

export interface DirectLink {
  name: string
  /** Object header address; undefined for a soft link (left to h5wasm). */
  address?: number
}

export type DirectLayout = { kind: 'compact'; data: Uint8Array } | { kind: 'contiguous'; address: number; size: number }

export interface DirectAttribute {
  name: string
  type?: DirectType
  /** null: a null dataspace (no elements). */
  shape: number[] | null
  data: Uint8Array
}

export interface DirectHeader {
  address: number
  /** 'other': neither a symbol-table group nor a dataset (h5wasm decides what it is). */
  kind: 'group' | 'dataset' | 'other'
  /** Links of a group, in HDF5's name order. */
  links?: DirectLink[]
  shape?: number[] | null
  type?: DirectType
  layout?: DirectLayout
  attributes: DirectAttribute[]
  /** A message the dataset's value depends on that this module does not read (filters, external storage, other layouts). */
  valueUnsupported?: string
  /** Attributes are stored in a way this module does not read (dense storage, creation order). */
  attributesUnsupported?: string
  /** The group's links are stored in a way this module does not read. */
  linksUnsupported?: string
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true })

/** One open file read through a cache of 64 KB blocks. */
export class DirectFile {
  private readonly blocks = new Map<number, Uint8Array>()
  private readonly globalHeaps = new Map<number, Map<number, Uint8Array>>()
  private readonly headers = new Map<number, DirectHeader>()

  private constructor(
    private readonly fd: number,
    private readonly fileSize: number,
    /** File offset of address 0 (the superblock's base address). */
    private readonly base: number,
    readonly rootAddress: number,
  ) {}

  /** Opens the file if its superblock is one this module reads; otherwise undefined (h5wasm reads it all). */
  static open(path: string, fileSize: number, signatureOffset: number): DirectFile | undefined {
    const fd = openSync(path, 'r')
    try {
      const head = new Uint8Array(96)
      if (readSync(fd, head, 0, head.length, signatureOffset) < 96) throw new DirectUnsupported('short superblock')
      const version = head[8]
      if (version !== 0 && version !== 1) throw new DirectUnsupported(`superblock version ${version}`)
      if (head[13] !== 8 || head[14] !== 8) throw new DirectUnsupported('offsets or lengths not 8 bytes')
      const r = new Cursor(head, version === 0 ? 24 : 28)
      r.addr() // base address: HDF5 itself takes the superblock's position when the two differ
      r.skip(24) // free-space, end-of-file and driver-information addresses
      r.skip(8) // root entry: link name offset
      const root = r.addr()
      if (root === UNDEF) throw new DirectUnsupported('undefined root')
      return new DirectFile(fd, fileSize, signatureOffset, root)
    } catch (err) {
      closeSync(fd)
      if (err instanceof DirectUnsupported) return undefined
      throw err
    }
  }

  close(): void {
    closeSync(this.fd)
  }

  /** `length` bytes at `address` (relative to the base address); a view into the cache when they lie in one block. */
  bytes(address: number, length: number): Uint8Array {
    const start = this.base + address
    if (address < 0 || start + length > this.fileSize) throw new DirectUnsupported(`address ${address} beyond the end of the file`)
    const first = Math.floor(start / BLOCK)
    const last = Math.floor((start + length - 1) / BLOCK)
    if (length === 0) return new Uint8Array(0)
    if (first === last) {
      const block = this.block(first)
      const at = start - first * BLOCK
      return block.subarray(at, at + length)
    }
    if (length > 4 * BLOCK) {
      const out = new Uint8Array(length)
      this.readInto(address, out)
      return out
    }
    const out = new Uint8Array(length)
    let done = 0
    for (let b = first; b <= last; b++) {
      const block = this.block(b)
      const from = b === first ? start - b * BLOCK : 0
      const n = Math.min(block.length - from, length - done)
      out.set(block.subarray(from, from + n), done)
      done += n
    }
    return out
  }

  /** Reads `into.length` bytes at `address` straight from the file (large dataset values). */
  readInto(address: number, into: Uint8Array): void {
    if (address < 0) throw new DirectUnsupported(`address ${address} before the start of the file`)
    this.readAt(this.base + address, into)
  }

  private readAt(start: number, into: Uint8Array): void {
    if (start + into.length > this.fileSize) throw new DirectUnsupported(`offset ${start} beyond the end of the file`)
    let done = 0
    while (done < into.length) {
      const n = readSync(this.fd, into, done, into.length - done, start + done)
      if (n <= 0) throw new DirectUnsupported('short read')
      done += n
    }
  }

  private block(index: number): Uint8Array {
    const hit = this.blocks.get(index)
    if (hit) return hit
    const size = Math.min(BLOCK, this.fileSize - index * BLOCK)
    const block = new Uint8Array(size)
    this.readAt(index * BLOCK, block)
    if (this.blocks.size >= MAX_BLOCKS) this.blocks.delete(this.blocks.keys().next().value as number)
    this.blocks.set(index, block)
    return block
  }

  /** The parsed object header at `address` (the last few are kept: a walk asks for each twice). */
  header(address: number): DirectHeader {
    const hit = this.headers.get(address)
    if (hit) return hit
    const h = this.parseHeader(address)
    if (this.headers.size >= 16) this.headers.delete(this.headers.keys().next().value as number)
    this.headers.set(address, h)
    return h
  }

  private parseHeader(address: number): DirectHeader {
    const prefix = this.bytes(address, 16)
    if (prefix[0] !== 1) throw new DirectUnsupported(`object header version ${prefix[0]} at ${address}`)
    const p = new Cursor(prefix, 2)
    const messages = p.u16()
    p.skip(4) // reference count
    const size = p.u32()
    const h: DirectHeader = { address, kind: 'other', attributes: [] }
    const chunks: Array<[number, number]> = [[address + 16, size]]
    let seen = 0
    let symbolTable: [number, number] | undefined
    let filtered = false
    for (let c = 0; c < chunks.length && seen < messages; c++) {
      const [at, length] = chunks[c]
      const chunk = this.bytes(at, length)
      let pos = 0
      while (pos + 8 <= length && seen < messages) {
        const r = new Cursor(chunk, pos)
        const type = r.u16()
        const msgSize = r.u16()
        const flags = r.u8()
        const body = chunk.subarray(pos + 8, pos + 8 + msgSize)
        if (body.length !== msgSize) throw new DirectUnsupported('message beyond its chunk')
        pos += 8 + msgSize
        seen++
        if (flags & 0x02) {
          // A shared message (committed datatype, shared dataspace): h5wasm resolves those.
          h.valueUnsupported = 'shared message'
          if (type === 0x0c) h.attributesUnsupported = 'shared attribute'
          continue
        }
        switch (type) {
          case 0x00: // NIL
          case 0x04: // fill value (old)
          case 0x05: // fill value
          case 0x0d: // comment
          case 0x12: // modification time
          case 0x0e: // old modification time
          case 0x13: // B-tree 'K' values
          case 0x16: // reference count
            break
          case 0x01:
            h.shape = dataspace(body)
            break
          case 0x03:
            try {
              h.type = datatype(new Cursor(body, 0))
            } catch (err) {
              if (!(err instanceof DirectUnsupported)) throw err
              h.valueUnsupported = err.message
            }
            break
          case 0x08:
            h.kind = 'dataset'
            try {
              h.layout = layout(body)
            } catch (err) {
              if (!(err instanceof DirectUnsupported)) throw err
              h.valueUnsupported = err.message
            }
            break
          case 0x0b:
            filtered = true
            break
          case 0x0c:
            h.attributes.push(attribute(body))
            break
          case 0x10: {
            const cr = new Cursor(body, 0)
            chunks.push([cr.addr(), cr.len()])
            break
          }
          case 0x11: {
            const sr = new Cursor(body, 0)
            symbolTable = [sr.addr(), sr.addr()]
            break
          }
          case 0x15:
            h.attributesUnsupported = 'attribute info message'
            break
          case 0x02:
          case 0x06:
          case 0x0a:
            h.kind = 'group'
            h.linksUnsupported = 'link messages'
            break
          default:
            h.valueUnsupported = `message type ${type}`
            h.attributesUnsupported ??= `message type ${type}`
            h.linksUnsupported = `message type ${type}`
        }
      }
    }
    if (filtered) h.valueUnsupported = 'filter pipeline'
    if (symbolTable) h.kind = 'group'
    if (symbolTable && !h.linksUnsupported) {
      try {
        h.links = this.symbolTableLinks(symbolTable[0], symbolTable[1])
      } catch (err) {
        if (!(err instanceof DirectUnsupported)) throw err
        h.linksUnsupported = err.message
      }
    }
    return h
  }

  private symbolTableLinks(btree: number, heap: number): DirectLink[] {
    const hp = this.bytes(heap, 32)
    if (!isSignature(hp, 'HEAP')) throw new DirectUnsupported('local heap signature')
    const hr = new Cursor(hp, 8)
    const heapSize = hr.len()
    hr.skip(8) // free list
    const heapData = this.bytes(hr.addr(), heapSize)
    const links: DirectLink[] = []
    this.walkBtree(btree, heapData, links, 0)
    return links
  }

  private walkBtree(address: number, heapData: Uint8Array, out: DirectLink[], depth: number): void {
    if (depth > 32) throw new DirectUnsupported('B-tree too deep')
    const head = this.bytes(address, 24)
    if (!isSignature(head, 'TREE') || head[4] !== 0) throw new DirectUnsupported('group B-tree signature')
    const level = head[5]
    const entries = head[6] | (head[7] << 8)
    // keys and children interleave: key0 child0 key1 child1 ... keyN (8 bytes each)
    const body = this.bytes(address + 24, entries * 16 + 8)
    for (let i = 0; i < entries; i++) {
      const child = new Cursor(body, 8 + i * 16).addr()
      if (level > 0) this.walkBtree(child, heapData, out, depth + 1)
      else this.readSymbolNode(child, heapData, out)
    }
  }

  private readSymbolNode(address: number, heapData: Uint8Array, out: DirectLink[]): void {
    const head = this.bytes(address, 8)
    if (!isSignature(head, 'SNOD') || head[4] !== 1) throw new DirectUnsupported('symbol node signature')
    const count = head[6] | (head[7] << 8)
    const entries = this.bytes(address + 8, count * 40)
    for (let i = 0; i < count; i++) {
      const r = new Cursor(entries, i * 40)
      const nameOffset = r.len()
      const objectAddress = r.addr()
      const cacheType = r.u32()
      const name = cString(heapData, nameOffset)
      out.push(cacheType === 2 || objectAddress === UNDEF ? { name } : { name, address: objectAddress })
    }
  }

  /** Elements of a variable-length string datum: `count` heap references of 16 bytes each. */
  vlenStrings(data: Uint8Array, count: number, utf8: boolean): string[] {
    const out: string[] = []
    for (let i = 0; i < count; i++) {
      const r = new Cursor(data, i * 16)
      const length = r.u32()
      const collection = r.addr()
      const index = r.u32()
      if (length === 0 || collection === 0 || collection === UNDEF) {
        out.push('')
        continue
      }
      const object = this.globalHeap(collection).get(index)
      if (!object || object.length < length) throw new DirectUnsupported('global heap object missing')
      out.push(decodeText(object.subarray(0, length), utf8 ? 'utf8' : 'latin1'))
    }
    return out
  }

  private globalHeap(address: number): Map<number, Uint8Array> {
    const hit = this.globalHeaps.get(address)
    if (hit) return hit
    const head = this.bytes(address, 16)
    if (!isSignature(head, 'GCOL')) throw new DirectUnsupported('global heap signature')
    const size = new Cursor(head, 8).len()
    const all = this.bytes(address, size)
    const objects = new Map<number, Uint8Array>()
    let pos = 16
    while (pos + 16 <= size) {
      const r = new Cursor(all, pos)
      const index = r.u16()
      r.skip(6)
      const objectSize = r.len()
      if (index === 0) break // free space: the rest of the collection
      objects.set(index, all.subarray(pos + 16, pos + 16 + objectSize))
      pos += 16 + Math.ceil(objectSize / 8) * 8
    }
    this.globalHeaps.set(address, objects)
    return objects
  }
}

/** The text of string bytes as h5wasm decodes it: up to the first NUL; ASCII as one char per byte. */
export function decodeText(bytes: Uint8Array, encoding: 'utf8' | 'latin1'): string {
  const nul = bytes.indexOf(0)
  const b = nul >= 0 ? bytes.subarray(0, nul) : bytes
  if (encoding === 'latin1') {
    let s = ''
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i])
    return s
  }
  try {
    return utf8Fatal.decode(b)
  } catch {
    // Not valid UTF-8: h5wasm's decoder has its own way with broken bytes; let it decide.
    throw new DirectUnsupported('invalid UTF-8')
  }
}

class Cursor {
  constructor(
    readonly b: Uint8Array,
    public p: number,
  ) {}
  skip(n: number): void {
    this.p += n
  }
  u8(): number {
    if (this.p >= this.b.length) throw new DirectUnsupported('read beyond message')
    return this.b[this.p++]
  }
  u16(): number {
    return this.u8() | (this.u8() << 8)
  }
  u32(): number {
    return (this.u16() | (this.u16() << 16)) >>> 0
  }
  /** An 8-byte address; UNDEF for the undefined address. */
  addr(): number {
    const lo = this.u32()
    const hi = this.u32()
    if (lo === 0xffffffff && hi === 0xffffffff) return UNDEF
    if (hi >= 0x200000) throw new DirectUnsupported('address beyond 2^53')
    return hi * 4294967296 + lo
  }
  len(): number {
    const v = this.addr()
    if (v === UNDEF) throw new DirectUnsupported('undefined length')
    return v
  }
}

function isSignature(b: Uint8Array, sig: string): boolean {
  for (let i = 0; i < 4; i++) if (b[i] !== sig.charCodeAt(i)) return false
  return true
}

function cString(b: Uint8Array, at: number): string {
  const end = b.indexOf(0, at)
  if (end < 0) throw new DirectUnsupported('unterminated name')
  try {
    return utf8Fatal.decode(b.subarray(at, end))
  } catch {
    throw new DirectUnsupported('name not UTF-8')
  }
}

/** Dataspace message: the shape, [] for a scalar, null for a null dataspace. */
function dataspace(body: Uint8Array): number[] | null {
  const r = new Cursor(body, 0)
  const version = r.u8()
  const rank = r.u8()
  r.u8() // flags
  if (version === 1) {
    r.skip(5)
  } else if (version === 2) {
    const kind = r.u8()
    if (kind === 2) return null
  } else {
    throw new DirectUnsupported(`dataspace version ${version}`)
  }
  const shape: number[] = []
  for (let i = 0; i < rank; i++) shape.push(r.len())
  return shape
}

function datatype(r: Cursor): DirectType {
  const classVersion = r.u8()
  const cls = classVersion & 0x0f
  const version = classVersion >> 4
  const bits = r.u8() | (r.u8() << 8) | (r.u8() << 16)
  const size = r.u32()
  switch (cls) {
    case 0: // fixed-point
      r.skip(4)
      return { typeClass: 0, size, signed: (bits & 0x08) !== 0, littleEndian: (bits & 0x01) === 0, vlen: false, cset: 0 }
    case 1: // floating-point
      r.skip(12)
      return { typeClass: 1, size, signed: true, littleEndian: (bits & 0x41) === 0, vlen: false, cset: 0 }
    case 3: // fixed-length string
      return { typeClass: 3, size, signed: false, littleEndian: true, vlen: false, cset: (bits >> 4) & 0x0f }
    case 9: {
      // variable-length: only strings (a sequence of 1-byte characters)
      if ((bits & 0x0f) !== 1) throw new DirectUnsupported('variable-length sequence')
      const base = datatype(r)
      if (base.size !== 1) throw new DirectUnsupported('variable-length string of wide characters')
      return { typeClass: 3, size, signed: false, littleEndian: true, vlen: true, cset: (bits >> 8) & 0x0f }
    }
    case 8: {
      const count = bits & 0xffff
      const base = datatype(r)
      if (base.typeClass !== 0) throw new DirectUnsupported('enum of a non-integer type')
      const names: string[] = []
      for (let i = 0; i < count; i++) {
        const nameStart = r.p
        const end = r.b.indexOf(0, nameStart)
        if (end < 0) throw new DirectUnsupported('unterminated enum name')
        names.push(decodeText(r.b.subarray(nameStart, end), 'utf8'))
        r.p = end + 1
        if (version < 3) r.p = nameStart + Math.ceil((end + 1 - nameStart) / 8) * 8
      }
      const members: Record<string, number> = {}
      for (const name of names) {
        members[name] = readInteger(r.b, r.p, base)
        r.p += base.size
      }
      return { typeClass: 8, size, signed: base.signed, littleEndian: base.littleEndian, vlen: false, cset: 0, enumMembers: members, base }
    }
    default:
      throw new DirectUnsupported(`datatype class ${cls}`)
  }
}

/** A little-endian integer of the base type (up to 6 bytes exact; enums hold small values). */
function readInteger(b: Uint8Array, at: number, t: DirectType): number {
  if (!t.littleEndian) throw new DirectUnsupported('big-endian enum')
  if (at + t.size > b.length) throw new DirectUnsupported('enum values beyond message')
  let v = 0
  for (let i = Math.min(t.size, 6) - 1; i >= 0; i--) v = v * 256 + b[at + i]
  if (t.signed && t.size <= 6 && b[at + t.size - 1] & 0x80) v -= 2 ** (8 * t.size)
  if (t.size > 6) {
    for (let i = 6; i < t.size; i++) if (b[at + i] !== (t.signed && b[at + t.size - 1] & 0x80 ? 0xff : 0)) throw new DirectUnsupported('wide enum value')
    if (t.signed && b[at + t.size - 1] & 0x80) v -= 2 ** 48
  }
  return v
}

function layout(body: Uint8Array): DirectLayout {
  const r = new Cursor(body, 0)
  const version = r.u8()
  if (version !== 3) throw new DirectUnsupported(`layout version ${version}`)
  const cls = r.u8()
  if (cls === 0) {
    const size = r.u16()
    if (r.p + size > body.length) throw new DirectUnsupported('compact data beyond message')
    return { kind: 'compact', data: body.subarray(r.p, r.p + size) }
  }
  if (cls === 1) {
    const address = r.addr()
    return { kind: 'contiguous', address, size: r.len() }
  }
  throw new DirectUnsupported(cls === 2 ? 'chunked layout' : `layout class ${cls}`)
}

function attribute(body: Uint8Array): DirectAttribute {
  const r = new Cursor(body, 0)
  const version = r.u8()
  const flags = r.u8()
  const nameSize = r.u16()
  const typeSize = r.u16()
  const spaceSize = r.u16()
  if (version === 3) r.u8() // name encoding: names are decoded as UTF-8 either way
  if (version < 1 || version > 3) throw new DirectUnsupported(`attribute version ${version}`)
  if (flags !== 0) throw new DirectUnsupported('attribute with shared parts')
  const pad = (n: number) => (version === 1 ? Math.ceil(n / 8) * 8 : n)
  const nameAt = r.p
  const name = cString(body, nameAt)
  const typeAt = nameAt + pad(nameSize)
  const spaceAt = typeAt + pad(typeSize)
  const dataAt = spaceAt + pad(spaceSize)
  const shape = dataspace(body.subarray(spaceAt, spaceAt + spaceSize))
  let type: DirectType | undefined
  try {
    type = datatype(new Cursor(body.subarray(typeAt, typeAt + typeSize), 0))
  } catch (err) {
    if (!(err instanceof DirectUnsupported)) throw err
  }
  return { name, type, shape, data: body.subarray(dataAt) }
}

/** The key the reader's cycle check uses for an object: its address as h5wasm's object reference bytes. */
export function addressKey(address: number): string {
  let s = ''
  let v = address
  for (let i = 0; i < 8; i++) {
    const byte = v % 256
    s += byte.toString(16).padStart(2, '0')
    v = Math.floor(v / 256)
  }
  return s
}
