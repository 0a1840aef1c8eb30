// Saving under faults: two writers racing for one new file, a resume while a save runs, a full disk
// (a small tmpfs), a read-only folder, and names that would leave the output folder (issue 10 items
// 3, 4, 9, 11, 12).

import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ArchiveFs, nodeArchiveFs, readArchive, saveArchiveFile } from '../../src-main/archive'
import { createSession } from '../../src-main/session/session'
import { resolveParams } from '../../src-main/steps/framework'
import { STEPS } from '../../src-main/steps/index'
import { WorkbenchService } from '../../src-main/workbench/service'
import type { ArchiveContent } from '../../src-main/archive'
import { f64, group, u64 } from '../../src-shared/tree'

let root: string
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'robust-save-'))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

function content(id: string, values = 4): ArchiveContent {
  const s = createSession({ datasetId: id })
  s.addUnits({ unit_001: group({ spike_times: u64([1, 2, 3]), x: f64(new Float64Array(values).fill(1)) }) })
  return s.toArchiveContent()
}

/** Both writers must reach the flush of their temp file before either goes on (forces the race). */
function racingFs(writers: number): ArchiveFs {
  let arrived = 0
  let release!: () => void
  const all = new Promise<void>((r) => (release = r))
  return {
    ...nodeArchiveFs,
    async fsyncFile(path) {
      await nodeArchiveFs.fsyncFile(path)
      if (++arrived === writers) release()
      await all
    },
  }
}

describe('no-overwrite holds at the rename (item 4)', () => {
  it('of two saves to the same new file exactly one succeeds, the other gets FILE_EXISTS', async () => {
    const target = join(root, 'race', 'rec.h5')
    const fs = racingFs(2)
    const results = await Promise.allSettled([
      saveArchiveFile(target, content('first'), { overwrite: false, operation: 'save' }, { fs }),
      saveArchiveFile(target, content('second'), { overwrite: false, operation: 'save' }, { fs }),
    ])
    const ok = results.filter((r) => r.status === 'fulfilled')
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(ok).toHaveLength(1)
    expect(refused).toHaveLength(1)
    expect(refused[0].reason.code).toBe('FILE_EXISTS')
    const winner = results[0].status === 'fulfilled' ? 'first' : 'second'
    expect((await readArchive(target)).datasetId).toBe(winner)
    expect(readdirSync(join(root, 'race'))).toEqual(['rec.h5']) // no temp or lock file left
  })
})

describe('session operations are serialised (item 3)', () => {
  it('a resume during a save waits, and the save does not make the new session look saved to its file', async () => {
    const workdir = join(root, 'serial')
    mkdirSync(workdir, { recursive: true })
    const big = createSession({ datasetId: 'big_one', outputDir: workdir })
    big.addUnits({ unit_001: group({ x: f64(new Float64Array(4_000_000).fill(2)) }) })
    const bigPath = await big.save(join(workdir, 'big_one.h5'))
    const small = createSession({ datasetId: 'small_one', outputDir: workdir })
    small.addUnits({ unit_001: group({ spike_times: u64([1]) }) })
    const smallPath = await small.save(join(workdir, 'small_one.h5'))

    const service = new WorkbenchService({ transport: 'web', workdir, steps: STEPS })
    await service.dispatch('settings.set', { outputDir: join(workdir, 'out') })
    await service.dispatch('session.resume', { path: bigPath })
    const savedAs = join(workdir, 'out', 'copy_of_big.h5')
    const saving = service.dispatch('session.save', { path: savedAs })
    const resumed = (await service.dispatch('session.resume', { path: smallPath })) as { datasetId: string; hdf5Path: string | null }
    await saving
    expect(resumed.datasetId).toBe('small_one')
    const snap = service.snapshot()!
    expect(snap.datasetId).toBe('small_one')
    expect(snap.hdf5Path).toBeNull() // not the big session's file
    // A plain Save of the resumed session goes to its own file, never over the other dataset.
    const plain = (await service.dispatch('session.save', {})) as { path: string }
    expect(plain.path).toBe(join(workdir, 'out', 'small_one.h5'))
    expect((await readArchive(savedAs)).datasetId).toBe('big_one')
    await service.close()
  })
})

describe('names that would leave the output folder (item 9)', () => {
  it('a dataset_id with ../ in an open request is refused, nothing is written', async () => {
    const workdir = join(root, 'ids')
    mkdirSync(workdir, { recursive: true })
    writeFileSync(join(workdir, 'a.cmtr'), 'x')
    const service = new WorkbenchService({ transport: 'web', workdir, steps: STEPS })
    await expect(service.dispatch('session.open', { cmtrPath: join(workdir, 'a.cmtr'), datasetId: '../../escaped' })).rejects.toMatchObject({
      code: 'CONFIGURATION',
      message: expect.stringMatching(/dataset_id.*plain file name/),
    })
    await service.close()
  })

  it('a checkpoint name with ../ is refused, nothing is written outside', async () => {
    const workdir = join(root, 'cpname')
    mkdirSync(workdir, { recursive: true })
    writeFileSync(join(workdir, 'a.cmtr'), 'x')
    const service = new WorkbenchService({ transport: 'web', workdir, steps: STEPS })
    await service.dispatch('session.open', { cmtrPath: join(workdir, 'a.cmtr'), outputDir: join(workdir, 'out') })
    await expect(service.dispatch('session.checkpoint', { name: '../../../escaped' })).rejects.toMatchObject({ parameter: 'name' })
    expect(existsSync(join(workdir, 'out'))).toBe(false)
    expect(readdirSync(root).filter((n) => n.includes('escaped'))).toEqual([])
    await service.close()
  })
})

describe('parameters that fail only at the save (item 12)', () => {
  it('spike_limit 1e300 is refused up front, naming the parameter', () => {
    const def = STEPS.find((s) => s.id === 'load_recording_with_eimage_sta')!
    expect(() => resolveParams(def, { cmcr_path: 'a.cmcr', cmtr_path: 'a.cmtr', spike_limit: 1e300 })).toThrow(/spike_limit.*between/)
  })
})

// ---------- a full disk and a read-only folder: need root for mount ----------

const isRoot = process.getuid?.() === 0
function mountTmpfs(dir: string, options: string): boolean {
  mkdirSync(dir, { recursive: true })
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
const unmount = (dir: string) => {
  for (const args of [[dir], ['-l', dir]]) {
    try {
      execFileSync('umount', args, { stdio: 'ignore' })
      return
    } catch {
      // busy (a leaked handle): detach lazily; or not mounted
    }
  }
}

function openHandlesUnder(dir: string): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`)
      } catch {
        return ''
      }
    })
    .filter((l) => l.startsWith(dir))
}

describe.runIf(isRoot)('a full disk (item 11)', () => {
  const disk = () => join(root, 'small-disk')
  let mounted = false
  beforeAll(() => {
    mounted = mountTmpfs(disk(), 'size=1m')
  })
  afterAll(() => unmount(disk()))

  it('says "no space left on <volume>", keeps the old archive, leaks no handle, and says it again next time', async () => {
    expect(mounted).toBe(true)
    const target = join(disk(), 'rec.h5')
    await saveArchiveFile(target, content('small', 10), { overwrite: false, operation: 'save' })
    const before = readFileSync(target)
    for (let attempt = 0; attempt < 2; attempt++) {
      const err = (await saveArchiveFile(target, content('big', 400_000), { overwrite: true, operation: 'save' }).catch((e) => e)) as {
        code: string
        message: string
      }
      expect(err.code).toBe('NO_SPACE')
      expect(err.message).toContain(`No space left on ${disk()}`)
      expect(err.message).toContain(target)
      expect(readFileSync(target).equals(before)).toBe(true)
      expect(readdirSync(disk())).toEqual(['rec.h5'])
      expect(openHandlesUnder(disk())).toEqual([])
    }
  })
})

describe.runIf(isRoot)('a read-only output folder (item 12)', () => {
  const ro = () => join(root, 'read-only')
  let mounted = false
  beforeAll(() => {
    mounted = mountTmpfs(ro(), 'ro,size=1m')
  })
  afterAll(() => unmount(ro()))

  it('gives a permission message naming the folder, in the folder and in a sub-folder to create', async () => {
    expect(mounted).toBe(true)
    for (const target of [join(ro(), 'rec.h5'), join(ro(), 'sub', 'rec.h5')]) {
      const err = (await saveArchiveFile(target, content('x'), { overwrite: false, operation: 'save' }).catch((e) => e)) as { code: string; message: string }
      expect(err.code).toBe('PERMISSION')
      expect(err.message).toMatch(/read-only/)
      expect(err.message).toContain(ro())
      expect(err.message).not.toMatch(/ENOENT/)
    }
  })
})
