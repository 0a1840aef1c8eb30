import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync, truncateSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import h5wasm from 'h5wasm/node'
import { type ArchiveContent, readArchive, saveArchiveFile, writeArchive } from '../../src-main/archive'
import { h5ready, openFile, readNumericDataset } from '../../src-main/archive/h5'
import { CancelledError, FileAccessError, SessionError } from '../../src-shared/errors'
import { type GroupNode, f64, group, i64, numeric, str, u64 } from '../../src-shared/tree'
import { TreeGen, diffTrees, expectedAfterLoad } from '../fixtures/archive/randomTree'
import { archiveContent } from '../fixtures/archive/content'

let dir: string
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'archive-test-'))
  await h5ready()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const content = archiveContent

function randomContent(seed: number): ArchiveContent {
  const g = new TreeGen(seed)
  const units = group()
  const nUnits = g.int(1, 5)
  for (let i = 0; i < nUnits; i++) units.children.set(`unit_${String(g.int(1, 400)).padStart(3, '0')}`, g.unit())
  return content({
    datasetId: `rec-${seed}`,
    units,
    metadata: g.tree(0),
    stimulus: g.tree(0),
    sourceFiles: new Map([
      ['cmcr_path', `O:\\data\\rec ${seed} 😀.cmcr`],
      ['cmtr_path', `/data/rec-${seed}-.cmtr`],
    ]),
    completedSteps: ['section_spike_times', 'load_recording_with_eimage_sta', 'add_section_time'],
    warnings: [`add_section_time: movie ${seed} has no template`, 'plain warning ünïcode'],
    checkpointName: seed % 2 ? `cp-${seed}` : undefined,
  })
}

describe('archive round trip (seeded random trees)', () => {
  for (const seed of [1, 2, 3, 5, 8, 13, 21, 34, 55, 89]) {
    it(`seed ${seed}: save -> load -> save -> load keeps dtype, shape and values`, async () => {
      const original = randomContent(seed)
      const p1 = join(dir, `rt-${seed}-a.h5`)
      const p2 = join(dir, `rt-${seed}-b.h5`)
      await saveArchiveFile(p1, original, { overwrite: false, operation: 'save' })
      const first = await readArchive(p1)
      for (const key of ['units', 'metadata', 'stimulus'] as const) {
        expect(diffTrees(expectedAfterLoad(original[key]), first[key], key)).toEqual([])
      }
      expect(first.datasetId).toBe(original.datasetId)
      expect(first.createdAt).toBe(original.createdAt)
      expect(first.savedAt).toBe(original.savedAt)
      expect(first.checkpointName).toBe(original.checkpointName)
      expect([...first.sourceFiles]).toEqual([...original.sourceFiles])
      expect(first.completedSteps).toEqual(['add_section_time', 'load_recording_with_eimage_sta', 'section_spike_times'])
      expect(first.warnings).toEqual(original.warnings)
      expect(first.flavour).toBe('session')
      expect(first.skipped).toEqual([])

      await saveArchiveFile(p2, first, { overwrite: false, operation: 'save' })
      const second = await readArchive(p2)
      for (const key of ['units', 'metadata', 'stimulus'] as const) {
        expect(diffTrees(first[key], second[key], key)).toEqual([])
      }
      expect(second.completedSteps).toEqual(first.completedSteps)
      expect(second.warnings).toEqual(first.warnings)
    })
  }

  it('keeps (1,) arrays, scalars and empty arrays apart', async () => {
    const p = join(dir, 'shapes.h5')
    const md = group({
      scalar: numeric('float64', [20000], []),
      one: numeric('float64', [20000], [1]),
      empty: numeric('uint64', [], [0]),
      s_scalar: str('x'),
      s_one: { kind: 'string', shape: [1], data: ['x'] },
      s_empty: { kind: 'string', shape: [0], data: [] },
    })
    await writeArchive(p, content({ metadata: md }))
    const back = await readArchive(p)
    const shape = (k: string) => (back.metadata.children.get(k) as { shape: number[] }).shape
    expect(shape('scalar')).toEqual([])
    expect(shape('one')).toEqual([1])
    expect(shape('empty')).toEqual([0])
    expect(shape('s_scalar')).toEqual([])
    expect(shape('s_one')).toEqual([1])
    expect(shape('s_empty')).toEqual([0])
  })

  it('returns numeric-key groups in numeric order, others in HDF5 name order', async () => {
    const p = join(dir, 'order.h5')
    const trials = group()
    for (const k of ['10', '2', '0', '1', '11', '3']) trials.children.set(k, i64([Number(k)]))
    const units = group({ unit_10: group({ trials }), unit_2: group(), unit_100: group() })
    await writeArchive(p, content({ units }))
    const back = await readArchive(p)
    expect([...back.units.children.keys()]).toEqual(['unit_10', 'unit_100', 'unit_2'])
    const t = (back.units.children.get('unit_10') as GroupNode).children.get('trials') as GroupNode
    expect([...t.children.keys()]).toEqual(['0', '1', '2', '3', '10', '11'])
  })

  it('writes and reads unknown root, pipeline and session_info attributes and extra top-level objects back', async () => {
    const p = join(dir, 'extras.h5')
    const extras = new Map([
      ['hdmea_pipeline_version', str('0.1.0')],
      ['features_extracted', str('["frif"]')],
      ['pipeline@stage1_params_hash', str('sha256:44136fa355b3678a')],
      ['pipeline/session_info@operator', str('Ada')],
      ['dataset_id', str('must not win')],
    ])
    const extraGroups = new Map([['analysis', group({ x: f64([1.5, 2.5]) }, { note: str('kept') })]])
    await writeArchive(p, content({ extraRootAttrs: extras, extraGroups }))
    const back = await readArchive(p)
    expect(back.datasetId).toBe('2025.04.10-11.12.57-Rec')
    expect([...back.extraRootAttrs.keys()].sort()).toEqual(
      ['features_extracted', 'hdmea_pipeline_version', 'pipeline/session_info@operator', 'pipeline@stage1_params_hash'].sort(),
    )
    expect((back.extraRootAttrs.get('pipeline/session_info@operator') as { data: string[] }).data).toEqual(['Ada'])
    expect(diffTrees(extraGroups.get('analysis')!, back.extraGroups!.get('analysis')!)).toEqual([])
  })

  it('stores a bare array under a unit feature as features/<name>/data, as the Python unit writer does', async () => {
    const p = join(dir, 'bare-feature.h5')
    const units = group({ unit_001: group({ features: group({ frif: f64([1, 2, 3]) }) }) })
    await writeArchive(p, content({ units }))
    const back = await readArchive(p)
    const frif = ((back.units.children.get('unit_001') as GroupNode).children.get('features') as GroupNode).children.get('frif') as GroupNode
    expect(frif.kind).toBe('group')
    expect(Array.from((frif.children.get('data') as { data: Float64Array }).data)).toEqual([1, 2, 3])
  })

  it('writes and reads large arrays in slabs without changing them', async () => {
    const p = join(dir, 'slabs.h5')
    const rows = 37
    const big = new Float64Array(rows * 11).map((_, i) => i * 0.5 - 7)
    const spikes = new Float64Array(1001).map((_, i) => 2 ** 52 + i * 3)
    await writeArchive(p, content({ metadata: group({ big: f64(big, [rows, 11]), spikes: u64(spikes) }) }), { slabBytes: 200 })
    const mod = await h5ready()
    const f = openFile(p, 'r')
    try {
      expect(Array.from(readNumericDataset(mod, f, '/metadata/big', 'float64', [rows, 11], 100))).toEqual(Array.from(big))
      expect(Array.from(readNumericDataset(mod, f, '/metadata/spikes', 'uint64', [1001], 64))).toEqual(Array.from(spikes))
    } finally {
      f.close()
    }
    const back = await readArchive(p)
    expect((back.metadata.children.get('big') as { shape: number[] }).shape).toEqual([rows, 11])
  })
})

describe('values that cannot be represented', () => {
  const cases: Array<[string, GroupNode, RegExp]> = [
    ['int64 beyond 2^53', group({ x: numeric('int64', [2 ** 53 + 2]) }), /\/metadata\/x.*cannot be stored as int64/],
    ['negative uint64', group({ x: u64([-1]) }), /\/metadata\/x.*cannot be stored as uint64/],
    ['fractional int64', group({ x: i64([1.5]) }), /\/metadata\/x.*cannot be stored as int64/],
    ['int64 attribute beyond 2^53', group({}, { a: numeric('int64', [2 ** 60], []) }), /attribute a of \/metadata.*cannot be stored as int64/],
    ['a key with a slash', group({ 'a/b': f64([1]) }), /"a\/b" under \/metadata is not a valid HDF5 name/],
    ['an empty key', group({ '': f64([1]) }), /"" under \/metadata is not a valid HDF5 name/],
    ['a NUL in a string', group({ s: str('a\u0000b') }), /\/metadata\/s: strings cannot contain NUL/],
    ['a lone surrogate', group({ s: str('a\ud800b') }), /\/metadata\/s.*lone UTF-16 surrogate/],
    ['a wrong shape', group({ x: { kind: 'numeric', dtype: 'float64', shape: [3], data: new Float64Array(2) } }), /\/metadata\/x: shape \[3\] does not match 2 values/],
  ]
  for (const [name, md, message] of cases) {
    it(`refuses ${name} with an error naming the object and the file`, async () => {
      const p = join(dir, `bad-${name.replace(/\W+/g, '_')}.h5`)
      const err = await writeArchive(p, content({ metadata: md })).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SessionError)
      expect((err as Error).message).toMatch(message)
      expect((err as Error).message).toContain(p)
    })
  }
})

describe('reading errors name the file and the problem', () => {
  it('missing file', async () => {
    const p = join(dir, 'nope.h5')
    const err = (await readArchive(p).catch((e: unknown) => e)) as FileAccessError
    expect(err).toBeInstanceOf(FileAccessError)
    expect(err.code).toBe('FILE_NOT_FOUND')
    expect(err.message).toBe(`Archive not found: ${p}`)
  })

  it('a folder', async () => {
    const p = join(dir, 'a-folder.h5')
    mkdirSync(p)
    const err = (await readArchive(p).catch((e: unknown) => e)) as FileAccessError
    expect(err.code).toBe('FILE_KIND')
    expect(err.message).toBe(`${p} is a folder, not an HDF5 archive (.h5) file`)
  })

  it('a text file and an empty file', async () => {
    const p = join(dir, 'notes.h5')
    writeFileSync(p, 'dataset_id,acquisition_rate\nrec,20000\n')
    const err = (await readArchive(p).catch((e: unknown) => e)) as FileAccessError
    expect(err.code).toBe('FILE_KIND')
    expect(err.message).toBe(`${p} is not an HDF5 file (no HDF5 signature)`)
    const e2 = join(dir, 'empty.h5')
    writeFileSync(e2, '')
    expect(((await readArchive(e2).catch((e: unknown) => e)) as Error).message).toBe(`${e2} is empty, not an HDF5 archive`)
  })

  it('a truncated archive', async () => {
    const p = join(dir, 'truncated.h5')
    await writeArchive(p, content({ metadata: group({ big: f64(new Float64Array(50_000).fill(1)) }) }))
    truncateSync(p, Math.floor(statSync(p).size / 3))
    const err = (await readArchive(p).catch((e: unknown) => e)) as FileAccessError
    expect(err).toBeInstanceOf(FileAccessError)
    expect(err.code).toBe('FILE_CORRUPT')
    expect(err.message).toContain(p)
    // HDF5's own reason, not its whole error stack
    expect(err.message).toMatch(/HDF5: truncated file: eof = \d+/)
    expect(err.message).not.toContain('HDF5-DIAG')
  })

  it('an HDF5 file without dataset_id', async () => {
    const p = join(dir, 'no-id.h5')
    const f = new h5wasm.File(p, 'w')
    try {
      f.create_group('units')
      f.create_attribute('created_at', 'x')
    } finally {
      f.close()
    }
    const err = (await readArchive(p).catch((e: unknown) => e)) as SessionError
    expect(err).toBeInstanceOf(SessionError)
    expect(err.message).toBe(`${p} is not a workbench/hdmea archive: its root has no dataset_id attribute`)
  })

  it('a uint64 value above 2^53 names the dataset', async () => {
    const p = join(dir, 'huge.h5')
    const f = new h5wasm.File(p, 'w')
    try {
      f.create_attribute('dataset_id', 'rec')
      f.create_group('metadata')
      f.get('metadata')
      f.create_dataset({ name: 'metadata/frame_timestamps', data: BigUint64Array.of(5n, 2n ** 60n) })
    } finally {
      f.close()
    }
    const err = (await readArchive(p).catch((e: unknown) => e)) as FileAccessError
    expect(err.code).toBe('FILE_CORRUPT')
    expect(err.message).toMatch(/dataset \/metadata\/frame_timestamps.*exceeds 2\^53/)
    expect(err.message).toContain(p)
  })
})

it('writes the file a text editor would not mistake: HDF5 signature at byte 0', async () => {
  const p = join(dir, 'sig.h5')
  await writeArchive(p, content())
  expect(readFileSync(p).subarray(0, 8).toString('latin1')).toBe('\x89HDF\r\n\x1a\n')
})

describe('string encodings and inferred steps', () => {
  it('writes fixed-length strings back fixed, growing the item size when a value no longer fits', async () => {
    const p = join(dir, 'fixed.h5')
    const md = group({
      name: { kind: 'string', shape: [], data: ['a much longer name'], encoding: 'fixed', itemSize: 5 },
      short: { kind: 'string', shape: [2], data: ['ab', 'c'], encoding: 'fixed', itemSize: 8 },
      ascii: { kind: 'string', shape: [], data: ['plain'], encoding: 'vlen-ascii' },
    })
    await writeArchive(p, content({ metadata: md }))
    const back = await readArchive(p)
    expect(back.metadata.children.get('name')).toMatchObject({ data: ['a much longer name'], encoding: 'fixed', itemSize: 18 })
    expect(back.metadata.children.get('short')).toMatchObject({ data: ['ab', 'c'], encoding: 'fixed', itemSize: 8 })
    expect(back.metadata.children.get('ascii')).toMatchObject({ data: ['plain'], encoding: 'vlen-ascii' })
  })

  it('infers steps only from the data each step leaves behind', async () => {
    const { deriveCompletedSteps } = await import('../../src-main/archive')
    const base = content()
    expect(deriveCompletedSteps(base, new Map())).toEqual([])
    const loaded = content({ units: group({ unit_001: group({ spike_times: u64([1]) }) }) })
    expect(deriveCompletedSteps(loaded, new Map())).toEqual(['load_recording'])
    const full = content({
      units: group({
        unit_001: group({
          features: group({ eimage_sta: group({ data: f64([1]) }), sta_noise: group({ data: f64([1]) }) }),
          spike_times_sectioned: group({ movie: group() }),
          unit_meta: group(),
        }),
      }),
      stimulus: group({ section_time: group({ movie: i64([0, 1], [1, 2]) }) }),
      metadata: group({ cmtr_meta: group() }),
    })
    expect(deriveCompletedSteps(full, new Map([['features_extracted', str('[]')]]))).toEqual([
      'add_cmtr_unit_info',
      'add_section_time',
      'add_sys_meta_info',
      'compute_sta',
      'load_recording_with_eimage_sta',
      'section_spike_times',
    ])
    // An empty section_time group is not evidence of add_section_time.
    const empty = content({ units: group({ u: group() }), stimulus: group({ section_time: group() }) })
    expect(deriveCompletedSteps(empty, new Map([['features_extracted', str('["frif"]')]]))).toEqual(['extract_features', 'load_recording'])
  })
})

describe('reading progress and cancel', () => {
  async function bigArchive(): Promise<string> {
    const p = join(dir, 'big-read.h5')
    const md = group()
    for (let i = 0; i < 5; i++) md.children.set(`block_${i}`, f64(new Float64Array(1024 * 1024).fill(i)))
    await writeArchive(p, content({ metadata: md }))
    return p
  }

  it('reports bytes read against the file size and ends at the file size', async () => {
    const p = await bigArchive()
    const size = statSync(p).size
    const calls: Array<[number, number]> = []
    const c = await readArchive(p, { onProgress: (d, t) => calls.push([d, t]) })
    expect(c.metadata.children.size).toBe(5)
    expect(calls.length).toBeGreaterThanOrEqual(3)
    expect(calls.every(([d, t]) => t === size && d <= size)).toBe(true)
    expect(calls.every(([d], i) => i === 0 || d >= calls[i - 1][0])).toBe(true)
    // The first report comes between datasets after 16 MB of data, or earlier when a dataset took over
    // 20 ms (a loaded machine): after one or two of the 8 MB datasets.
    expect([8 * 1024 * 1024, 2 * 8 * 1024 * 1024]).toContain(calls[0][0])
    expect(calls[calls.length - 1]).toEqual([size, size])
  })

  it('stops with CancelledError when aborted', async () => {
    const p = await bigArchive()
    const abort = new AbortController()
    const err = await readArchive(p, { signal: abort.signal, onProgress: () => abort.abort() }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CancelledError)
    const pre = new AbortController()
    pre.abort()
    expect(await readArchive(p, { signal: pre.signal }).catch((e: unknown) => e)).toBeInstanceOf(CancelledError)
  })
})
