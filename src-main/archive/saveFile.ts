// Safe saving: the archive is written to `<target>.tmp-<pid>-<rand>` beside the target, flushed, and
// renamed over the target. The previous archive stays byte-identical until the rename, and is never
// left half-written (the Python deletes it first; spec §1.9 [BUG]).

import { randomBytes } from 'node:crypto'
import { basename, dirname, join, resolve } from 'node:path'
import { FileAccessError, SessionError, throwIfAborted } from '../../src-shared/errors'
import { type ArchiveFs, nodeArchiveFs } from './archiveFs'
import type { ArchiveContent } from './content'
import { type WriteOptions, errorText, writeArchive } from './writer'

export interface SaveOptions {
  overwrite: boolean
  operation: 'save' | 'checkpoint'
  /** Bytes of array data written so far, and in total. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void
  /** Cancels the save (CancelledError) before the target is replaced; the old file stays as it was. */
  signal?: AbortSignal
}

export interface SaveDeps {
  fs?: ArchiveFs
  /** Writes the archive at a path (default: the HDF5 writer). */
  write?: (path: string, content: ArchiveContent) => Promise<void>
  sleep?: (ms: number) => Promise<void>
  writeOptions?: WriteOptions
}

/** Rename retries on a locked target: 5 more tries, waiting 100, 200, 400, 800, 1600 ms. */
export const RENAME_RETRY_DELAYS_MS = [100, 200, 400, 800, 1600]
const LOCK_CODES = new Set(['EBUSY', 'EPERM', 'EACCES'])

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export function tempPathFor(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
}

export async function saveArchiveFile(
  target: string,
  content: ArchiveContent,
  opts: SaveOptions,
  deps: SaveDeps = {},
): Promise<void> {
  const fs = deps.fs ?? nodeArchiveFs
  const sleep = deps.sleep ?? defaultSleep
  const write =
    deps.write ??
    ((p: string, c: ArchiveContent) => writeArchive(p, c, { ...deps.writeOptions, onProgress: opts.onProgress, signal: opts.signal }))
  const path = resolve(target)
  const dir = dirname(path)

  throwIfAborted(opts.signal)
  await refuseUnlessAllowed(fs, path, opts)
  try {
    await fs.mkdirp(dir)
  } catch (err) {
    throw new FileAccessError('FILE_LOCKED', `Cannot create the folder ${dir} for ${path}: ${errorText(err)}`, { path, cause: err })
  }
  await removeStaleTemps(fs, path)

  const temp = tempPathFor(path)
  try {
    await write(temp, content)
    await fs.fsyncFile(temp)
    throwIfAborted(opts.signal)
    // A file may have appeared at the target while we wrote; never replace it without permission.
    await refuseUnlessAllowed(fs, path, opts)
    await renameWithRetry(fs, sleep, temp, path)
  } catch (err) {
    await fs.unlink(temp).catch(() => undefined)
    throw err
  }
  await fs.fsyncDir(dir)
}

async function refuseUnlessAllowed(fs: ArchiveFs, path: string, opts: SaveOptions): Promise<void> {
  const kind = await fs.kind(path)
  if (kind === 'dir') {
    throw new FileAccessError('FILE_KIND', `Cannot save to ${path}: it is a folder`, { path })
  }
  if (kind !== null && !opts.overwrite) {
    const what = opts.operation === 'checkpoint' ? 'Checkpoint file' : 'File'
    throw new SessionError(`${what} already exists: ${path}. Use overwrite=True to replace.`, {
      operation: opts.operation,
      path,
      code: 'FILE_EXISTS',
    })
  }
}

async function renameWithRetry(fs: ArchiveFs, sleep: (ms: number) => Promise<void>, from: string, to: string): Promise<void> {
  let waited = 0
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.rename(from, to)
      return
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? ''
      if (!LOCK_CODES.has(code)) {
        throw new FileAccessError('FILE_LOCKED', `Cannot replace ${to} with the new archive: ${errorText(err)}`, { path: to, cause: err })
      }
      if (attempt >= RENAME_RETRY_DELAYS_MS.length) {
        throw new FileAccessError(
          'FILE_LOCKED',
          `Cannot replace ${to}: the file is locked by another program (${code} on ${attempt + 1} attempts over ` +
            `${(waited / 1000).toFixed(1)} s). The previous archive is unchanged and the new data was not saved; ` +
            'close the program holding the file and save again.',
          { path: to, cause: err },
        )
      }
      const delay = RENAME_RETRY_DELAYS_MS[attempt]
      waited += delay
      await sleep(delay)
    }
  }
}

/** Removes `<target>.tmp-<pid>-*` files left by writers that no longer run (e.g. killed mid-save). */
async function removeStaleTemps(fs: ArchiveFs, path: string): Promise<void> {
  const prefix = `${basename(path)}.tmp-`
  let names: string[]
  try {
    names = await fs.readdir(dirname(path))
  } catch {
    return
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue
    const m = /^(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length))
    if (!m || processAlive(Number(m[1]))) continue
    await fs.unlink(join(dirname(path), name)).catch(() => undefined)
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
