// The content of an archive cut into bounded batches and put together again (src-main/archive/thread/
// contentBatches.ts), on plain typed arrays, no threads: every batch stays within its limits, the result
// equals the original in values, classes, shapes and Map order, and a lost batch is noticed. Also the
// error round trip of the thread protocol.

import { describe, expect, it } from 'vitest'
import { type AnyTypedArray, ContentAssembler, type ContentBatch, type NodeRecord, contentHeader, encodeContent, packRecords, slabBatches, transferListOf, unpackRecords } from '../../src-main/archive/thread/contentBatches'
import { deserializeError, serializeError } from '../../src-main/archive/thread/protocol'
import { CancelledError, FileAccessError, SessionError } from '../../src-shared/errors'
import { type GroupNode, type LeafNode, type TreeNode, bool, f32, f64, group, numeric, str, strs } from '../../src-shared/tree'
import type { ArchiveContent } from '../../src-main/archive'
import { archiveContent } from '../fixtures/archive/content'

const LIMITS = { maxBytes: 1024, maxNodes: 10 }

function roundTrip(content: ArchiveContent, limits = LIMITS, handOver = false): { batches: ContentBatch[]; back: ArchiveContent } {
  const batches = [...encodeContent(content, limits, { handOver })]
  const assembler = new ContentAssembler()
  let nodes = 0
  for (const b of batches) {
    // What postMessage would do: the batch structurally cloned, its buffers moved.
    const copy = structuredClone(b, { transfer: transferListOf(b) })
    nodes += b.count
    assembler.add(copy)
  }
  return { batches, back: assembler.finish(contentHeader(content), nodes) }
}

/** A deep comparison that also checks typed-array classes and the order of every Map. */
function expectSameTree(a: TreeNode, b: TreeNode, where = ''): void {
  expect(b.kind, where).toBe(a.kind)
  if (a.kind === 'group' && b.kind === 'group') {
    expect([...b.children.keys()], `${where} children`).toEqual([...a.children.keys()])
    expect([...b.attrs.keys()], `${where} attrs`).toEqual([...a.attrs.keys()])
    for (const [k, v] of a.children) expectSameTree(v, b.children.get(k)!, `${where}/${k}`)
    for (const [k, v] of a.attrs) expectSameTree(v, b.attrs.get(k)!, `${where}@${k}`)
    return
  }
  const la = a as LeafNode
  const lb = b as LeafNode
  expect(lb.shape, where).toEqual(la.shape)
  if (la.kind === 'numeric' && lb.kind === 'numeric') expect(lb.dtype, where).toBe(la.dtype)
  if (la.kind === 'string' && lb.kind === 'string') {
    expect(lb.data, where).toEqual(la.data)
    expect(lb.encoding, where).toBe(la.encoding)
    expect(lb.itemSize, where).toBe(la.itemSize)
  } else {
    expect(lb.data.constructor, where).toBe(la.data.constructor)
    expect(Array.from(lb.data as ArrayLike<number>), where).toEqual(Array.from(la.data as ArrayLike<number>))
  }
  expect([...(lb.attrs?.keys() ?? [])], `${where} dataset attrs`).toEqual([...(la.attrs?.keys() ?? [])])
  for (const [k, v] of la.attrs ?? []) expectSameTree(v, lb.attrs!.get(k)!, `${where}@${k}`)
}

function batchBytes(b: ContentBatch): number {
  const strings = (b.columns?.extras ?? []).reduce((n, e) => n + (e.strings ?? []).reduce((m, s) => m + 2 * s.length, 0), 0)
  return (b.packed?.byteLength ?? 0) + (b.slab?.data.byteLength ?? 0) + strings
}

describe('content batches', () => {
  it('keep every value, class, shape, attribute and order, within the limits', () => {
    const units = group()
    // Keys out of alphabetical order: the receiver must keep insertion order.
    for (const id of ['unit_010', 'unit_002', 'unit_001']) {
      const n = Number(id.slice(5))
      const spikes = numeric('uint64', [n, n + 3, n + 7])
      spikes.attrs = new Map([['unit', str(id)]])
      units.children.set(
        id,
        group(
          { spike_times: spikes, sta: f32(new Float32Array(60).map((_, i) => i * n), [3, 4, 5]), good: bool(n > 1), labels: strs(['a', 'β']) },
          { row: numeric('int16', [n], []) },
        ),
      )
    }
    const content = archiveContent({
      units,
      metadata: group({ acquisition_rate: f64([20000], []) }, { note: { kind: 'string', shape: [], data: ['x'], encoding: 'fixed', itemSize: 4 } }),
      extraGroups: new Map<string, TreeNode>([['zz_extra', group({ v: numeric('int8', [-1, 2]) })], ['aa_leaf', f64([1.5])]]),
      extraRootAttrs: new Map<string, LeafNode>([['pipeline@version', str('1')], ['features_extracted', strs(['frif'])]]),
      sourceFiles: new Map([['cmcr_path', 'O:\\rec.cmcr']]),
      completedSteps: ['load_recording'],
      warnings: ['w1'],
      checkpointName: 'after_load',
      flavour: 'session',
      skipped: ['/x (link)'],
      derivedSteps: false,
    })
    const { batches, back } = roundTrip(content)
    for (const b of batches) {
      expect(b.count).toBeLessThanOrEqual(LIMITS.maxNodes)
      expect(batchBytes(b)).toBeLessThanOrEqual(LIMITS.maxBytes)
    }
    expect(batches.length).toBeGreaterThan(3)
    for (const slot of ['units', 'metadata', 'stimulus'] as const) expectSameTree(content[slot], back[slot], slot)
    expect([...back.extraGroups!.keys()]).toEqual(['zz_extra', 'aa_leaf'])
    for (const [k, v] of content.extraGroups!) expectSameTree(v, back.extraGroups!.get(k)!, k)
    expect([...back.extraRootAttrs.keys()]).toEqual(['pipeline@version', 'features_extracted'])
    const TREES = new Set(['units', 'metadata', 'stimulus', 'extraGroups', 'extraRootAttrs'])
    const rest = (c: ArchiveContent) => Object.fromEntries(Object.entries(c).filter(([k]) => !TREES.has(k)))
    expect(rest(back)).toEqual(rest(content))
  })

  it('send an array larger than a batch as slabs, and only the bytes of a view', () => {
    // 1000 float64 = 8000 bytes, the limit is 1024: 8 slabs of 128 values.
    const big = new Float64Array(1000).map((_, i) => i * 0.5 - 7)
    // A view of 3 values inside a 80,000-byte buffer: only its 24 bytes may travel.
    const host = new Float64Array(10_000).fill(9)
    const view = host.subarray(5000, 5003)
    view.set([1, 2, 3])
    const content = archiveContent({ units: group({ u: group({ big: f64(big), view: f64(view) }) }) })
    const { batches, back } = roundTrip(content)
    const slabs = batches.filter((b) => b.slab)
    expect(slabs.map((b) => b.slab!.offset)).toEqual([0, 128, 256, 384, 512, 640, 768, 896])
    for (const b of batches) expect(batchBytes(b)).toBeLessThanOrEqual(1024)
    const u = back.units.children.get('u') as GroupNode
    expect(Array.from((u.children.get('big') as { data: Float64Array }).data)).toEqual(Array.from(big))
    const v = (u.children.get('view') as { data: Float64Array }).data
    expect(Array.from(v)).toEqual([1, 2, 3])
    expect(v.buffer.byteLength).toBe(24)
    // The sender's arrays are untouched (copied, not handed over).
    expect(big.length).toBe(1000)
    expect(host.length).toBe(10_000)
  })

  it('can reuse the sender\'s buffers: two shared buffers in turn, each reused once its batch was taken', () => {
    const units = group()
    for (let u = 0; u < 12; u++) units.children.set(`u${u}`, group({ big: f64(new Float64Array(300).map((_, i) => u * 1000 + i)), small: f32([u, -u]) }))
    const content = archiveContent({ units })
    const slots = [new SharedArrayBuffer(1024), new SharedArrayBuffer(1024)]
    const used: number[] = []
    const bufferFor = (index: number, bytes: number) => {
      used.push(index)
      return new Uint8Array(slots[index % 2], 0, bytes)
    }
    const assembler = new ContentAssembler()
    const waiting: ContentBatch[] = []
    let nodes = 0
    // As batchStream lets it: batch k+1 is made only once every batch before k was taken by the receiver.
    for (const b of encodeContent(content, LIMITS, { bufferFor })) {
      expect(transferListOf(b)).toEqual([]) // shared memory is not moved
      nodes += b.count
      waiting.push(structuredClone(b))
      while (waiting.length > 1) assembler.add(waiting.shift()!)
    }
    for (const b of waiting) assembler.add(b)
    const back = assembler.finish(contentHeader(content), nodes)
    expectSameTree(content.units, back.units, 'units')
    expect(used.length).toBeGreaterThan(20)
    expect(used).toEqual([...new Set(used)].sort((a, b) => a - b)) // one buffer per batch, in batch order
  })

  it('defer large datasets (never attributes or top-level slots): shape only, values sent as slabs when asked, let go after', () => {
    const big = new Float32Array(700).map((_, i) => i / 7) // 2800 bytes
    const flags = new Uint8Array(600).map((_, i) => i % 3) // 600 bytes
    const small = f64([1, 2, 3]) // 24 bytes
    const bigAttr = f64(new Float64Array(100).fill(4)) // 800 bytes, an attribute: travels in the batches
    const withAttr = f32(big)
    withAttr.attrs = new Map([['scale', bigAttr]])
    const flagsLeaf: LeafNode = { kind: 'bool', shape: [600], data: flags }
    const content = archiveContent({ units: group({ u: group({ big: withAttr, flags: flagsLeaf, small }) }) })
    content.extraRootAttrs.set('calibration', f64(new Float64Array(100).fill(2)))
    const deferred = new Map<number, AnyTypedArray>()
    const batches = [...encodeContent(content, LIMITS, { deferAtLeast: 500, onDeferred: (node, values) => deferred.set(node, values) })]
    expect([...deferred.values()]).toEqual([big, flags])
    expect(batches.some((b) => b.slab)).toBe(false)

    const assembler = new ContentAssembler()
    let nodes = 0
    for (const b of batches) {
      nodes += b.count
      assembler.add(structuredClone(b, { transfer: transferListOf(b) }))
    }
    const back = assembler.finish(contentHeader(content), nodes)
    const u = back.units.children.get('u') as GroupNode
    const bigBack = u.children.get('big') as LeafNode & { data: Float32Array }
    // Until asked for: empty, with its shape, its attributes already there.
    expect(bigBack.data).toBeInstanceOf(Float32Array)
    expect(bigBack.data.length).toBe(0)
    expect(bigBack.shape).toEqual([700])
    expect(Array.from((bigBack.attrs!.get('scale') as { data: Float64Array }).data)).toEqual(Array.from(bigAttr.data as Float64Array))
    expect(Array.from((back.extraRootAttrs.get('calibration')!.data as Float64Array))).toEqual(new Array(100).fill(2))
    expect(assembler.expectValues(u.children.get('small')!)).toBeUndefined()

    // Asked for with room for what follows: both deferred datasets are expected at once, in order.
    const bigNode = assembler.deferredNode(u.children.get('big')!)!
    const flagsNode = assembler.deferredNode(u.children.get('flags')!)!
    expect(assembler.expectValues(u.children.get('big')!, 10_000)).toEqual([bigNode, flagsNode])
    expect(assembler.expectValues(u.children.get('flags')!, 10_000)).toEqual([])
    for (const [name, original] of [['big', big], ['flags', flags]] as const) {
      const leaf = u.children.get(name)!
      const node = assembler.deferredNode(leaf)!
      expect(deferred.get(node)).toBe(original)
      expect(assembler.complete(node)).toBe(false)
      const slabs = [...slabBatches(node, original, LIMITS.maxBytes)]
      expect(slabs.length).toBe(Math.ceil(original.byteLength / LIMITS.maxBytes))
      for (const slab of slabs) assembler.add(structuredClone(slab, { transfer: transferListOf(slab) }))
      expect(assembler.complete(node)).toBe(true)
      const values = (leaf as { data: Float32Array | Uint8Array }).data
      expect(values.constructor).toBe(original.constructor)
      expect(Array.from(values)).toEqual(Array.from(original))
      assembler.letGo(leaf)
      expect((leaf as { data: AnyTypedArray }).data.length).toBe(0)
    }
    // Without room ahead, only the dataset itself.
    expect(assembler.expectValues(u.children.get('big')!)).toEqual([bigNode])
    // The sender's arrays are untouched.
    expect(big.length).toBe(700)
  })

  it('hand over arrays that own their buffer only when asked, without copying them', () => {
    const owned = new Float32Array(32 * 1024).map((_, i) => i)
    const content = archiveContent({ metadata: group({ owned: f32(owned) }) })
    const kept = roundTrip(content, { maxBytes: 1 << 20, maxNodes: 100 })
    expect(owned.length).toBe(32 * 1024) // copied: still usable
    expectSameTree(content.metadata, kept.back.metadata)

    const expected = Array.from(owned)
    const handed = roundTrip(content, { maxBytes: 1 << 20, maxNodes: 100 }, true)
    expect(handed.batches.some((b) => b.buffers?.length === 1 && !b.packed)).toBe(true)
    expect(owned.length).toBe(0) // its buffer moved to the receiver
    expect(Array.from((handed.back.metadata.children.get('owned') as { data: Float32Array }).data)).toEqual(expected)
  })

  it('records travel as columns and come back as they were, odd dtypes and inline values included', () => {
    const records: NodeRecord[] = [
      { parent: -1, name: 'units', body: { kind: 'group' } },
      { parent: 0, name: 'a', body: { kind: 'numeric', dtype: 'uint64', shape: [2, 3], data: { in: 'packed', type: 'Float64Array', offset: 8, bytes: 48 } } },
      { parent: 1, name: 'unit', attr: true, body: { kind: 'string', shape: [], data: ['x'], encoding: 'fixed', itemSize: 4 } },
      { parent: 0, name: 'b', body: { kind: 'bool', shape: [5e9], data: { in: 'slabs', type: 'Uint8Array', length: 5e9 } } },
      { parent: 0, name: 'c', body: { kind: 'numeric', dtype: 'float16', shape: [1], data: { in: 'buffer', type: 'Uint16Array', index: 2 } } },
      { parent: 0, name: 'd', body: { kind: 'bool', shape: [2], data: { in: 'inline', value: [1, 0] } } },
      { parent: 0, name: 'e', body: { kind: 'string', shape: [0], data: [] } },
    ]
    const columns = structuredClone(packRecords(records))
    expect(unpackRecords(columns)).toEqual(records)
  })

  it('notice a lost or reordered batch, and nodes that never arrived', () => {
    const units = group()
    for (let i = 0; i < 30; i++) units.children.set(`u${i}`, group({ x: f64([i]) }))
    const content = archiveContent({ units })
    const batches = [...encodeContent(content, LIMITS)]
    expect(batches.length).toBeGreaterThan(2)
    const skipping = new ContentAssembler()
    skipping.add(batches[0])
    expect(() => skipping.add(batches[2])).toThrow(/out of order or lost/)
    const short = new ContentAssembler()
    for (const b of batches.slice(0, -1)) short.add(b)
    const total = batches.reduce((n, b) => n + b.count, 0)
    expect(() => short.finish(contentHeader(content), total)).toThrow(new RegExp(`of ${total} nodes arrived`))
  })

  it('carry a non-typed-array value as it is (the writer reports it)', () => {
    const content = archiveContent({ metadata: group({ odd: { kind: 'bool', shape: [2], data: [1, 0] as unknown as Uint8Array } }) })
    const { back } = roundTrip(content)
    expect((back.metadata.children.get('odd') as { data: unknown }).data).toEqual([1, 0])
  })

  it('100,000 small datasets travel in batches of the node limit', () => {
    const units = group()
    for (let u = 0; u < 1000; u++) {
      const trials = group()
      for (let t = 0; t < 99; t++) trials.children.set(String(t), f64([u, t]))
      units.children.set(`unit_${u}`, trials)
    }
    const limits = { maxBytes: 8 * 1024 * 1024, maxNodes: 2000 }
    const { batches, back } = roundTrip(archiveContent({ units }), limits)
    const nodes = batches.reduce((n, b) => n + b.count, 0)
    expect(nodes).toBe(3 + 1000 + 99_000) // the three top groups, the units, the datasets
    expect(batches.length).toBe(Math.ceil(nodes / 2000))
    for (const b of batches) expect(b.count).toBeLessThanOrEqual(2000)
    const last = (back.units.children.get('unit_999') as GroupNode).children.get('98') as { data: Float64Array }
    expect(Array.from(last.data)).toEqual([999, 98])
  })
})

describe('errors from the archive thread', () => {
  it('come back with their class, code, path, operation and causes', () => {
    const nospace = Object.assign(new Error('HDF5-DIAG: ... No space left on device'), { code: 'ENOSPC' })
    const cases: Error[] = [
      new FileAccessError('FILE_CORRUPT', 'Cannot open /x.h5 as HDF5', { path: '/x.h5' }),
      new SessionError('Cannot write dataset /units/a to /t.h5: HDF5: file write failed', { operation: 'save', path: '/t.h5', code: 'DATA', cause: nospace }),
      new CancelledError(),
      new RangeError('value 1e300 cannot be stored as int64'),
    ]
    for (const err of cases) {
      const back = deserializeError(structuredClone(serializeError(err)))
      expect(back.constructor).toBe(err.constructor)
      expect(back.message).toBe(err.message)
      for (const key of ['code', 'path', 'operation'] as const) expect((back as never)[key]).toBe((err as never)[key])
    }
    const withCause = deserializeError(serializeError(cases[1]))
    const cause = withCause.cause as NodeJS.ErrnoException
    expect(cause.message).toContain('No space left on device')
    expect(cause.code).toBe('ENOSPC')
  })
})
