// Pool tasks that read files return their failure as data (src-worker/tasks/taskError.ts); this turns
// it back into the error it was, on the main side.

import { type ErrorCode, FileAccessError } from '../../src-shared/errors'
import type { TaskError } from '../../src-worker/tasks/taskError'

function isTaskError(x: unknown): x is TaskError {
  return !!x && typeof x === 'object' && 'error' in x && !!(x as TaskError).error
}

/** A task's value, or its error rethrown as the FileAccessError it was, naming the file for anything else. */
export function unwrapTaskResult<T>(result: T | TaskError, path: string, what: string): T {
  if (!isTaskError(result)) return result
  const e = result.error
  const known: ErrorCode[] = ['FILE_NOT_FOUND', 'FILE_KIND', 'FILE_CORRUPT', 'FILE_LOCKED', 'DATA']
  const code = known.includes(e.code as ErrorCode) ? (e.code as ErrorCode) : 'FILE_CORRUPT'
  const message = e.message.includes(path) ? e.message : `${what} ${path}: ${e.message}`
  throw new FileAccessError(code, message, { path: e.path ?? path })
}
