// A task's failure as plain data ({ error }): a thrown error loses its class, code and path when it
// crosses the thread boundary, so tasks return this and the main side rethrows it
// (src-main/pool/taskResult.ts).

import { WorkbenchError } from '../../src-shared/errors'

export interface TaskError {
  error: { code: string; message: string; path?: string; name: string }
}

export type TaskResult<T> = T | TaskError

export function asTaskError(err: unknown): TaskError {
  if (err instanceof WorkbenchError) return { error: { code: err.code, message: err.message, path: err.path, name: err.name } }
  const e = err as NodeJS.ErrnoException
  // Node's own codes (ENOSPC, EACCES, ...) say more than a generic one.
  const code = typeof e?.code === 'string' ? e.code : 'ERROR'
  return { error: { code, message: e?.message ?? String(err), name: e?.name ?? 'Error' } }
}
