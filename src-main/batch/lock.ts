// One runner per output folder: two processes working the same queue would redo and overwrite each
// other's items. The lock file is created exclusively (O_EXCL: of two programs starting at once,
// exactly one creates it) and holds the owner's pid. A lock left by a process that died (a crash, a
// kill) is taken over, which is what makes "start it again and it resumes" work.

import { link, open, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { ConfigurationError } from '../../src-shared/errors'
import { lockPath } from './store'

const heldHere = new Set<string>()

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const readOwner = (path: string) => readFile(path, 'utf8').then((t) => Number.parseInt(t, 10), () => Number.NaN)

/**
 * Creates the lock with our pid in it, or returns false when it exists. The pid is written to a file
 * of our own first and then hard-linked to the lock's name (link fails if the name exists), so a lock
 * is never seen empty; where the file system has no hard links, an exclusive create is used instead.
 */
async function createExclusive(path: string): Promise<boolean> {
  const own = `${path}.${process.pid}.new`
  await writeFile(own, `${process.pid}\n`)
  try {
    await link(own, path)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err
    try {
      const handle = await open(path, 'wx')
      await handle.writeFile(`${process.pid}\n`).finally(() => handle.close())
      return true
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw e
    }
  } finally {
    await rm(own, { force: true })
  }
}

export async function acquireQueueLock(outputDir: string): Promise<void> {
  const key = resolve(outputDir)
  const path = lockPath(outputDir)
  if (heldHere.has(key)) {
    throw new ConfigurationError(`The batch in ${outputDir} is already open in this program`, { path: outputDir })
  }
  // Claimed before the first await, so two opens in this program cannot both pass.
  heldHere.add(key)
  try {
    for (let attempt = 0; ; attempt++) {
      if (await createExclusive(path)) {
        await removeDeadScratch(path)
        return
      }
      const owner = await readOwner(path)
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new ConfigurationError(
          `Another program (pid ${owner}) is running the batch in ${outputDir}; wait for it or stop it first. ` +
            `If no such program runs, delete ${path}.`,
          { path },
        )
      }
      if (attempt >= 5) throw new ConfigurationError(`Cannot take the lock ${path} of the batch in ${outputDir}; delete it if no program runs the batch`, { path })
      await takeOverStale(path, owner)
    }
  } catch (err) {
    heldHere.delete(key)
    throw err
  }
}

/**
 * Removes a lock whose owner is gone. It is first renamed to a name of our own, so of two programs
 * taking over at once only one removes it; if what we moved is no longer the dead owner's lock (another
 * program took over in between), it is put back.
 */
async function takeOverStale(path: string, deadOwner: number): Promise<void> {
  const aside = `${path}.stale.${process.pid}`
  try {
    await rename(path, aside)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  const moved = await readOwner(aside)
  if (moved === deadOwner || (Number.isNaN(moved) && Number.isNaN(deadOwner))) {
    await rm(aside, { force: true })
  } else {
    await rename(aside, path).catch(() => {})
  }
}

/** Scratch files of acquires that were killed half-way (`lock.<pid>.new`, `lock.stale.<pid>`). */
async function removeDeadScratch(path: string): Promise<void> {
  const dir = dirname(path)
  const base = basename(path)
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const m = name.startsWith(`${base}.`) ? /^(?:(\d+)\.new|stale\.(\d+))$/.exec(name.slice(base.length + 1)) : null
    const pid = m ? Number(m[1] ?? m[2]) : 0
    if (pid && pid !== process.pid && !alive(pid)) await rm(join(dir, name), { force: true })
  }
}

export async function releaseQueueLock(outputDir: string): Promise<void> {
  const key = resolve(outputDir)
  if (!heldHere.delete(key)) return
  const path = lockPath(outputDir)
  const owner = await readOwner(path)
  if (owner === process.pid) await rm(path, { force: true })
}
