import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ArchiveContent, type ArchiveFs, nodeArchiveFs, readArchive, saveArchiveFile } from '../../src-main/archive'
import { CancelledError, FileAccessError, SessionError } from '../../src-shared/errors'
import { f32, f64, group, str } from '../../src-shared/tree'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'archive-save-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function content(id: string, marker: number): ArchiveContent {
  return {
    datasetId: id,
    createdAt: '2025-01-01T00:00:00.000000+00:00',
    savedAt: '2025-01-01T00:00:01.000000+00:00',
    units: group(),
    metadata: group({ marker: f64([marker]), label: str(`v${marker}`) }),
    stimulus: group(),
    sourceFiles: new Map(),
    completedSteps: ['load_recording'],
    warnings: [],
    extraRootAttrs: new Map(),
  }
}

function lockErr(code: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: resource busy or locked, rename`) as NodeJS.ErrnoException
  e.code = code
  return e
}

/** The real file system, except that rename fails with `code` for the first `failures` calls. */
function lockingFs(code: string, failures: number): ArchiveFs & { renames: number } {
  const fs = {
    ...nodeArchiveFs,
    renames: 0,
    async rename(from: string, to: string) {
      fs.renames++
      if (fs.renames <= failures) throw lockErr(code)
      return nodeArchiveFs.rename(from, to)
    },
  }
  return fs
}

function tempsBeside(target: string): string[] {
  const base = target.split('/').pop()!
  return readdirSync(join(target, '..')).filter((n) => n.startsWith(`${base}.tmp-`))
}

async function markerOf(path: string): Promise<number> {
  const c = await readArchive(path)
  return (c.metadata.children.get('marker') as { data: Float64Array }).data[0]
}

describe('saveArchiveFile', () => {
  it('creates parent folders and leaves no temp file', async () => {
    const target = join(dir, 'a', 'b', 'c', 'rec.h5')
    await saveArchiveFile(target, content('rec', 1), { overwrite: false, operation: 'save' })
    expect(await markerOf(target)).toBe(1)
    expect(tempsBeside(target)).toEqual([])
  })

  it('refuses an existing target without overwrite, with the Python message, and leaves it untouched', async () => {
    const target = join(dir, 'exists.h5')
    await saveArchiveFile(target, content('rec', 1), { overwrite: false, operation: 'save' })
    const before = readFileSync(target)
    const mtime = statSync(target).mtimeMs
    const err = (await saveArchiveFile(target, content('rec', 2), { overwrite: false, operation: 'save' }).catch((e) => e)) as SessionError
    expect(err).toBeInstanceOf(SessionError)
    expect(err.code).toBe('FILE_EXISTS')
    expect(err.message).toBe(`File already exists: ${target}. Use overwrite=True to replace.`)
    const cp = (await saveArchiveFile(target, content('rec', 2), { overwrite: false, operation: 'checkpoint' }).catch((e) => e)) as SessionError
    expect(cp.message).toBe(`Checkpoint file already exists: ${target}. Use overwrite=True to replace.`)
    expect(readFileSync(target).equals(before)).toBe(true)
    expect(statSync(target).mtimeMs).toBe(mtime)
    expect(tempsBeside(target)).toEqual([])
  })

  it('replaces an existing target with overwrite', async () => {
    const target = join(dir, 'replace.h5')
    await saveArchiveFile(target, content('rec', 1), { overwrite: false, operation: 'save' })
    await saveArchiveFile(target, content('rec', 2), { overwrite: true, operation: 'save' })
    expect(await markerOf(target)).toBe(2)
  })

  it('refuses a folder as target', async () => {
    const target = join(dir, 'is-a-folder.h5')
    mkdirSync(target)
    const err = (await saveArchiveFile(target, content('rec', 1), { overwrite: true, operation: 'save' }).catch((e) => e)) as FileAccessError
    expect(err.code).toBe('FILE_KIND')
    expect(err.message).toBe(`Cannot save to ${target}: it is a folder`)
  })

  it('retries a locked rename (EBUSY twice) with 100 ms then 200 ms waits, then succeeds', async () => {
    const target = join(dir, 'busy.h5')
    await saveArchiveFile(target, content('rec', 1), { overwrite: false, operation: 'save' })
    const fs = lockingFs('EBUSY', 2)
    const waits: number[] = []
    await saveArchiveFile(target, content('rec', 2), { overwrite: true, operation: 'save' }, { fs, sleep: async (ms) => void waits.push(ms) })
    expect(fs.renames).toBe(3)
    expect(waits).toEqual([100, 200])
    expect(await markerOf(target)).toBe(2)
    expect(tempsBeside(target)).toEqual([])
  })

  for (const code of ['EPERM', 'EACCES', 'EBUSY']) {
    it(`gives up on a target that stays locked (${code}): old file byte-identical, temp removed, error names the file`, async () => {
      const target = join(dir, `locked-${code}.h5`)
      await saveArchiveFile(target, content('rec', 1), { overwrite: false, operation: 'save' })
      const before = readFileSync(target)
      const fs = lockingFs(code, Infinity)
      const waits: number[] = []
      const err = (await saveArchiveFile(target, content('rec', 2), { overwrite: true, operation: 'save' }, {
        fs,
        sleep: async (ms) => void waits.push(ms),
      }).catch((e) => e)) as FileAccessError
      expect(err).toBeInstanceOf(FileAccessError)
      expect(err.code).toBe('FILE_LOCKED')
      expect(err.path).toBe(target)
      expect(err.message).toContain(`Cannot replace ${target}: the file is locked by another program (${code} on 6 attempts over 3.1 s)`)
      expect(fs.renames).toBe(6)
      expect(waits).toEqual([100, 200, 400, 800, 1600])
      expect(readFileSync(target).equals(before)).toBe(true)
      expect(await markerOf(target)).toBe(1)
      expect(tempsBeside(target)).toEqual([])
    })
  }

  it('does not retry a rename error that is not a lock', async () => {
    const target = join(dir, 'xdev.h5')
    const fs = lockingFs('EXDEV', 1)
    const err = (await saveArchiveFile(target, content('rec', 1), { overwrite: true, operation: 'save' }, { fs }).catch((e) => e)) as FileAccessError
    expect(fs.renames).toBe(1)
    expect(err.message).toMatch(new RegExp(`^Cannot replace ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} with the new archive: EXDEV`))
    expect(existsSync(target)).toBe(false)
    expect(tempsBeside(target)).toEqual([])
  })

  it('removes the temp file and keeps the old archive when writing fails', async () => {
    const target = join(dir, 'write-fails.h5')
    await saveArchiveFile(target, content('rec', 1), { overwrite: false, operation: 'save' })
    const before = readFileSync(target)
    const bad = content('rec', 2)
    bad.metadata.children.set('bad/key', f64([1]))
    const err = (await saveArchiveFile(target, bad, { overwrite: true, operation: 'save' }).catch((e) => e)) as Error
    expect(err).toBeInstanceOf(SessionError)
    expect(err.message).toMatch(/"bad\/key" under \/metadata is not a valid HDF5 name/)
    expect(readFileSync(target).equals(before)).toBe(true)
    expect(tempsBeside(target)).toEqual([])
  })

  function bigContent(): ArchiveContent {
    const c = content('rec', 3)
    // 5 x 8 MB of float64 plus 4 MB of float32 and 3 booleans: 44,040,195 bytes of array data.
    for (let i = 0; i < 5; i++) c.metadata.children.set(`block_${i}`, f64(new Float64Array(1024 * 1024).fill(i)))
    c.stimulus.children.set('light', f32(new Float32Array(1024 * 1024)))
    c.stimulus.children.set('flags', { kind: 'bool', shape: [3], data: Uint8Array.of(1, 0, 1) })
    return c
  }

  it('reports progress in array bytes, ending at the exact total', async () => {
    const target = join(dir, 'progress.h5')
    const calls: Array<[number, number]> = []
    await saveArchiveFile(target, bigContent(), { overwrite: false, operation: 'save', onProgress: (d, t) => calls.push([d, t]) })
    const total = 5 * 8 * 1024 * 1024 + 4 * 1024 * 1024 + 8 + 3 // + marker (float64) + flags
    expect(calls.length).toBeGreaterThanOrEqual(3)
    expect(calls.every(([, t]) => t === total)).toBe(true)
    expect(calls.every(([d], i) => i === 0 || d >= calls[i - 1][0])).toBe(true)
    expect(calls[calls.length - 1]).toEqual([total, total])
  })

  it('cancels mid-write: CancelledError, old archive byte-identical, no temp left', async () => {
    const target = join(dir, 'cancel.h5')
    await saveArchiveFile(target, content('rec', 1), { overwrite: false, operation: 'save' })
    const before = readFileSync(target)
    const abort = new AbortController()
    let progressCalls = 0
    const err = await saveArchiveFile(target, bigContent(), {
      overwrite: true,
      operation: 'save',
      signal: abort.signal,
      onProgress: () => {
        progressCalls++
        abort.abort()
      },
    }).catch((e) => e)
    expect(err).toBeInstanceOf(CancelledError)
    expect(progressCalls).toBe(1)
    expect(readFileSync(target).equals(before)).toBe(true)
    expect(tempsBeside(target)).toEqual([])
  })

  it('removes temp files left by dead writers, but not those of running ones', async () => {
    const target = join(dir, 'stale.h5')
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()
    const stale = `${target}.tmp-${dead}-0badc0de`
    const live = `${target}.tmp-${process.pid}-feedf00d`
    writeFileSync(stale, 'partial')
    writeFileSync(live, 'in progress elsewhere')
    await saveArchiveFile(target, content('rec', 1), { overwrite: false, operation: 'save' })
    expect(existsSync(stale)).toBe(false)
    expect(existsSync(live)).toBe(true)
    rmSync(live)
  })
})
