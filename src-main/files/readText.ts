// Reading a small text file the workbench keeps for itself (a batch queue, a task's state file), where
// "not there" is an answer and any other failure a file-access error naming the file.

import { readFile } from 'node:fs/promises'
import { FileAccessError } from '../../src-shared/errors'

/** The UTF-8 text at `path`, or null when there is no such file; `what` names it in errors ("the batch queue"). */
export async function readTextIfPresent(path: string, what: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new FileAccessError('FILE_LOCKED', `Cannot read ${what} ${path}: ${(err as Error).message}`, { path, cause: err })
  }
}
