// Small text files (queue, recipe) written so that a crash at any moment leaves either the old or the
// new content, never a mix: write a temp file beside the target, flush it to disk, rename it over.

import { open, rename, rm } from 'node:fs/promises'
import { dirname, basename, join } from 'node:path'
import { FileAccessError } from '../../src-shared/errors'

const RETRY_CODES = new Set(['EBUSY', 'EPERM', 'EACCES'])
const RETRY_DELAYS_MS = [50, 100, 200, 400, 800]

let counter = 0

export async function writeFileAtomic(target: string, text: string): Promise<void> {
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${++counter}.tmp`)
  try {
    const handle = await open(temp, 'w')
    try {
      await handle.writeFile(text, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await renameWithRetry(temp, target)
  } catch (err) {
    await rm(temp, { force: true }).catch(() => {})
    if (err instanceof FileAccessError) throw err
    throw new FileAccessError('FILE_LOCKED', `Cannot write ${target}: ${(err as Error).message}`, { path: target, cause: err })
  }
}

// On Windows a reader (antivirus, a viewer) holding the target makes rename fail for a moment.
async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to)
      return
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? ''
      if (!RETRY_CODES.has(code) || attempt >= RETRY_DELAYS_MS.length) {
        throw new FileAccessError(
          'FILE_LOCKED',
          `Cannot replace ${to} (${code || (err as Error).message}); another program may hold it open. The previous content is intact.`,
          { path: to, cause: err },
        )
      }
      await new Promise((r) => setTimeout(r, RETRY_DELAYS_MS[attempt]))
    }
  }
}
