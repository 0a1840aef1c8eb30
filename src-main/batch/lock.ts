// One runner per output folder: two processes working the same queue would redo and overwrite each
// other's items. The lock file holds the owner's pid; a lock left by a process that died (a crash, a
// kill) is taken over, which is what makes "start it again and it resumes" work.

import { readFile, rm, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
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

export async function acquireQueueLock(outputDir: string): Promise<void> {
  const key = resolve(outputDir)
  const path = lockPath(outputDir)
  if (heldHere.has(key)) {
    throw new ConfigurationError(`The batch in ${outputDir} is already open in this program`, { path: outputDir })
  }
  const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10)
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
    throw new ConfigurationError(
      `Another program (pid ${owner}) is running the batch in ${outputDir}; wait for it or stop it first. ` +
        `If no such program runs, delete ${path}.`,
      { path },
    )
  }
  await writeFile(path, `${process.pid}\n`)
  heldHere.add(key)
}

export async function releaseQueueLock(outputDir: string): Promise<void> {
  const key = resolve(outputDir)
  if (!heldHere.delete(key)) return
  const path = lockPath(outputDir)
  const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10)
  if (owner === process.pid) await rm(path, { force: true })
}
