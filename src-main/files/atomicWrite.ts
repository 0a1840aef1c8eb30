// One way to replace a file so that a crash, a full disk or a second writer never costs the previous
// content: write a temp file beside the target, flush it, then put it in place.
//  * overwrite: the temp file is renamed over the target; a locked target (Windows: antivirus, an open
//    viewer) is retried on one schedule, then reported as locked.
//  * no overwrite: the temp file gets the target's name as a hard link, which fails if the name exists,
//    so of two concurrent writers exactly one wins and the other gets FILE_EXISTS. File systems without
//    hard links (FAT, some shares) fall back to check-and-rename under an exclusive lock file.
//  * on any failure the temp file is emptied and removed, and a full disk, quota or read-only folder is
//    named as such (see writeErrors.ts).

import { randomBytes } from 'node:crypto'
import { basename, dirname, join, resolve } from 'node:path'
import { mkdir, writeFile } from 'node:fs/promises'
import { FileAccessError, SessionError, WorkbenchError, throwIfAborted } from '../../src-shared/errors'
import { type AtomicFs, nodeAtomicFs } from './atomicFs'
import { explainWriteFailure } from './writeErrors'

/** Rename retries on a locked target: 5 more tries, waiting 100, 200, 400, 800, 1600 ms. */
export const RENAME_RETRY_DELAYS_MS = [100, 200, 400, 800, 1600]
const LOCK_CODES = new Set(['EBUSY', 'EPERM', 'EACCES'])
/** link() errors that mean "this file system has no hard links", not "the name is taken". */
const NO_LINK_CODES = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK', 'EINVAL'])

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export interface AtomicWriteOptions {
  /** Replace an existing target; when false an existing target (now or at the moment of commit) is refused. */
  overwrite: boolean
  /** The error for a refused existing target (default: FILE_EXISTS naming it). */
  existsError?: (path: string) => Error
  /** What is written, for messages ('archive', 'queue file'). */
  what?: string
  /** Cancels before the target is touched (CancelledError). */
  signal?: AbortSignal
  /** The temp file's name beside the target (default `<target>.tmp-<pid>-<hex>`). */
  tempPath?: (target: string) => string
  /** Called when writing failed, before the temp file is removed (e.g. to close a handle the writer kept). */
  onWriteFailed?: (tempPath: string) => void
  fs?: AtomicFs
  sleep?: (ms: number) => Promise<void>
}

export function tempPathFor(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
}

/**
 * Writes `target` through `writeTemp` (which creates the file at the path it is given). The previous
 * target is untouched unless the whole write succeeded.
 */
export async function writeFileAtomically(target: string, writeTemp: (tempPath: string) => Promise<void>, opts: AtomicWriteOptions): Promise<string> {
  const fs = opts.fs ?? nodeAtomicFs
  const sleep = opts.sleep ?? defaultSleep
  const path = resolve(target)
  const dir = dirname(path)
  const what = opts.what ?? 'file'

  throwIfAborted(opts.signal)
  await refuseUnlessAllowed(fs, path, opts)
  try {
    await fs.mkdirp(dir)
  } catch (err) {
    throw (
      (await explainMkdirFailure(fs, dir, path, err)) ??
      new FileAccessError(
        (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'FILE_NOT_FOUND' : 'FILE_LOCKED',
        `Cannot create the folder ${dir} for ${path}: ${codeOrMessage(err)}`,
        { path, cause: err },
      )
    )
  }
  await removeStaleTemps(fs, path)

  const temp = (opts.tempPath ?? tempPathFor)(path)
  let committed = false
  try {
    try {
      await writeTemp(temp)
      await fs.fsyncFile(temp)
    } catch (err) {
      opts.onWriteFailed?.(temp)
      throw (await explainWriteFailure(err, path, `writing the ${what}`)) ?? err
    }
    throwIfAborted(opts.signal)
    if (opts.overwrite) {
      await refuseUnlessAllowed(fs, path, opts) // a folder may have appeared there
      await renameWithRetry(fs, sleep, temp, path, what)
    } else {
      await commitExclusive(fs, sleep, temp, path, opts, what)
    }
    committed = true
  } finally {
    if (!committed) {
      // Emptied first: a writer that still holds the file open must not keep the disk full.
      await fs.truncate(temp).catch(() => undefined)
      await fs.unlink(temp).catch(() => undefined)
    }
  }
  await fs.fsyncDir(dir)
  return path
}

/**
 * Why a folder could not be made. A recursive mkdir reports ENOENT when the real cause is a read-only
 * or forbidden parent, so the first missing folder is made on its own to learn the real reason.
 */
async function explainMkdirFailure(fs: AtomicFs, dir: string, path: string, err: unknown): Promise<FileAccessError | null> {
  let cause = err
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
    let missing = dir
    while (dirname(missing) !== missing && (await fs.kind(dirname(missing)).catch(() => null)) === null) missing = dirname(missing)
    cause = await mkdir(missing).then(
      () => err,
      (e: unknown) => e,
    )
  }
  return explainWriteFailure(cause, path, 'creating the folder for')
}

/** A text file (queue, recipe, manifest) written atomically. */
export async function writeTextAtomically(target: string, text: string, opts: Omit<AtomicWriteOptions, 'onWriteFailed'>): Promise<string> {
  try {
    return await writeFileAtomically(target, (temp) => writeFile(temp, text, { encoding: 'utf8', flag: 'wx' }), opts)
  } catch (err) {
    if (err instanceof WorkbenchError) throw err
    throw new FileAccessError('FILE_LOCKED', `Cannot write ${target}: ${codeOrMessage(err)}`, { path: target, cause: err })
  }
}

async function refuseUnlessAllowed(fs: AtomicFs, path: string, opts: AtomicWriteOptions): Promise<void> {
  const kind = await fs.kind(path)
  if (kind === 'dir') throw new FileAccessError('FILE_KIND', `Cannot save to ${path}: it is a folder`, { path })
  if (kind !== null && !opts.overwrite) throw existsError(path, opts)
}

function existsError(path: string, opts: AtomicWriteOptions): Error {
  return opts.existsError?.(path) ?? new SessionError(`${path} already exists`, { path, code: 'FILE_EXISTS' })
}

/** Puts `temp` in place as `path` only if nothing is there at that moment. */
async function commitExclusive(fs: AtomicFs, sleep: (ms: number) => Promise<void>, temp: string, path: string, opts: AtomicWriteOptions, what: string): Promise<void> {
  try {
    await fs.link(temp, path)
    await fs.unlink(temp).catch(() => undefined)
    return
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? ''
    if (code === 'EEXIST') throw existsError(path, opts)
    if (!NO_LINK_CODES.has(code)) throw (await explainWriteFailure(err, path, `saving the ${what} as`)) ?? err
  }
  // No hard links here: check and rename while holding `<target>.lock` (created exclusively).
  const lock = `${path}.lock`
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.createExclusive(lock)
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= RENAME_RETRY_DELAYS_MS.length) {
        throw new FileAccessError('FILE_LOCKED', `Cannot save ${path}: another save to the same file is under way (${lock})`, { path, cause: err })
      }
      await sleep(RENAME_RETRY_DELAYS_MS[attempt])
    }
  }
  try {
    if ((await fs.kind(path)) !== null) throw existsError(path, opts)
    await renameWithRetry(fs, sleep, temp, path, what)
  } finally {
    await fs.unlink(lock).catch(() => undefined)
  }
}

async function renameWithRetry(fs: AtomicFs, sleep: (ms: number) => Promise<void>, from: string, to: string, what: string): Promise<void> {
  let waited = 0
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.rename(from, to)
      return
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? ''
      if (!LOCK_CODES.has(code)) {
        throw (
          (await explainWriteFailure(err, to, `replacing`)) ??
          new FileAccessError('FILE_LOCKED', `Cannot replace ${to} with the new ${what}: ${codeOrMessage(err)}`, { path: to, cause: err })
        )
      }
      if (attempt >= RENAME_RETRY_DELAYS_MS.length) {
        throw new FileAccessError(
          'FILE_LOCKED',
          `Cannot replace ${to}: the file is locked by another program (${code} on ${attempt + 1} attempts over ` +
            `${(waited / 1000).toFixed(1)} s). The previous ${what} is unchanged and the new data was not saved; ` +
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
async function removeStaleTemps(fs: AtomicFs, path: string): Promise<void> {
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

function codeOrMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
