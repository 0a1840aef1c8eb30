// The archive reader reads files in h5py's default HDF5 format straight from their bytes (h5direct.ts)
// and asks h5wasm about everything else. Both ways must give the same content, the same skipped list
// and the same errors: here every file is read both ways and compared, for archives our writer makes
// (seeded random trees) and for files h5py makes with the features a reader meets (links of every
// kind, chunked, compressed, compound, big-endian, float16, vlen, named types, enums, odd strings,
// creation order, dense attributes, HDF5's newest format, a user block, cycles, damaged files).

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
// The codec itself (in this thread): the comparison needs the reader's `direct` switch.
import type { ArchiveContent } from '../../src-main/archive'
import { readArchive } from '../../src-main/archive/reader'
import { writeArchive } from '../../src-main/archive/writer'
import { DirectFile, addressKey } from '../../src-main/archive/h5direct'
import { h5ready, openFile } from '../../src-main/archive/h5'
import { group } from '../../src-shared/tree'
import { archiveContent } from '../fixtures/archive/content'
import { TreeGen } from '../fixtures/archive/randomTree'
import { type BadInputs, makeBadInputs } from '../robustness/badInputs'

const PYTHON = '/usr/bin/python3'
let dir: string
let exotic: string
let bad: BadInputs
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'archive-direct-'))
  exotic = join(dir, 'exotic')
  const r = spawnSync(PYTHON, [resolve(__dirname, '../python/archive_exotic.py'), exotic], { encoding: 'utf8', timeout: 120_000 })
  if (r.status !== 0) throw new Error(`archive_exotic.py failed: ${r.stdout}${r.stderr}${r.error ?? ''}`)
  bad = await makeBadInputs('archive-direct-bad-')
  await h5ready()
}, 240_000)
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  bad?.cleanup()
})

type Outcome = { content: ArchiveContent } | { error: string; name: string; code: unknown }

async function outcome(path: string, direct: boolean): Promise<Outcome> {
  try {
    return { content: await readArchive(path, { direct }) }
  } catch (err) {
    const e = err as Error & { code?: unknown }
    return { error: e.message, name: e.constructor.name, code: e.code }
  }
}

async function expectSameBothWays(path: string): Promise<Outcome> {
  const fast = await outcome(path, true)
  const slow = await outcome(path, false)
  // node's comparison first: vitest's walks megabytes of typed arrays one element at a time
  if (!isDeepStrictEqual(fast, slow)) expect(fast).toStrictEqual(slow)
  return fast
}

function randomContent(seed: number): ArchiveContent {
  const g = new TreeGen(seed)
  const units = group()
  for (let i = 0, n = g.int(1, 4); i < n; i++) units.children.set(`unit_${String(g.int(1, 400)).padStart(3, '0')}`, g.unit())
  return archiveContent({ datasetId: `rec-${seed}`, units, metadata: g.tree(0), stimulus: g.tree(0), warnings: ['w ü'], completedSteps: ['add_section_time'] })
}

describe('direct and h5wasm reading agree', () => {
  it('on archives our writer makes (seeded random trees: every dtype, strings, booleans, attributes)', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const path = join(dir, `random-${seed}.h5`)
      await writeArchive(path, randomContent(seed))
      const r = await expectSameBothWays(path)
      expect('content' in r).toBe(true)
    }
  })

  it('on h5py files with links, chunks, compound, big-endian, float16, vlen, enums, odd strings, in the default and the newest format', async () => {
    for (const name of ['exotic.h5', 'latest.h5', 'userblock.h5']) {
      const r = await expectSameBothWays(join(exotic, name))
      expect('content' in r, `${name}: ${'error' in r ? r.error : ''}`).toBe(true)
      if ('content' in r) expect(r.content.skipped?.length).toBeGreaterThan(3)
    }
  })

  it('on errors: a cycle back to the root, integers beyond 2^53, damaged and hostile archives', async () => {
    for (const name of ['root_cycle.h5', 'too_big.h5', 'too_big_attr.h5', 'f16_attr.h5', 'big_endian.h5']) {
      const r = await expectSameBothWays(join(exotic, name))
      expect('error' in r, name).toBe(true)
    }
    const archives = readdirSync(join(bad.root, 'bad')).filter((n) => n.endsWith('.h5'))
    expect(archives.length).toBeGreaterThan(5)
    for (const name of archives) await expectSameBothWays(bad.bad(name))
  })
})

describe('the direct reader', () => {
  it('reads our writer format itself and names objects by the address h5wasm gives them', async () => {
    const path = join(dir, 'random-1.h5')
    const direct = DirectFile.open(path, statSync(path).size, 0)
    expect(direct).toBeDefined()
    const file = openFile(path, 'r')
    try {
      const mod = await h5ready()
      const root = direct!.header(direct!.rootAddress)
      expect(root.kind).toBe('group')
      expect(root.links!.map((l) => l.name)).toEqual(mod.get_names(file.file_id, '/', false))
      const ref = (p: string) => Array.from(mod.create_object_reference(file.file_id, p) as unknown as ArrayLike<number>, (b) => b.toString(16).padStart(2, '0')).join('')
      expect(addressKey(direct!.rootAddress)).toBe(ref('/'))
      for (const link of root.links!) expect(addressKey(link.address!)).toBe(ref(`/${link.name}`))
    } finally {
      file.close()
      direct!.close()
    }
  })

  it('reads h5py files, also after a user block', async () => {
    const mod = await h5ready()
    for (const [name, offset] of [['exotic.h5', 0], ['userblock.h5', 1024]] as const) {
      const path = join(exotic, name)
      const direct = DirectFile.open(path, statSync(path).size, offset)
      expect(direct, name).toBeDefined()
      const file = openFile(path, 'r')
      try {
        expect(direct!.header(direct!.rootAddress).links!.map((l) => l.name)).toEqual(mod.get_names(file.file_id, '/', false))
      } finally {
        file.close()
        direct!.close()
      }
    }
  })

  it('leaves files in HDF5 newest format to h5wasm', () => {
    const path = join(exotic, 'latest.h5')
    expect(DirectFile.open(path, 1e9, 0)).toBeUndefined()
  })
})
