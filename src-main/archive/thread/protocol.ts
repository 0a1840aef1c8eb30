// The messages between the main thread and an archive thread, and how an error crosses between them
// with its class, code, path and causes intact (a structured clone keeps only message and stack).
//
// A read:  main -> {read}; thread -> {progress}*, then the content as {batch}* (each answered by main's
//          {ack}), then {done, header, nodes} or {failed}.
// A write: main -> {write} and the content as {batch}* (each answered by the thread's {ack}), then
//          {end, header, nodes}; thread -> {progress}*, then {done} or {failed}.
// Cancel:  main -> {cancel}; the thread stops at its next turn. Main does not wait for it (see
//          archiveThreads.ts).

import { CancelledError, ConfigurationError, type ErrorCode, FileAccessError, PluginError, SessionError, WorkbenchError } from '../../../src-shared/errors'
import type { ContentBatch, ContentHeader } from './contentBatches'

export interface ThreadWriteOptions {
  slabBytes?: number
  /** The save's progress total (its large arrays reach the thread only as it writes them). */
  bytesTotal?: number
}

export type ToThread =
  | { type: 'read'; id: number; path: string }
  | { type: 'write'; id: number; path: string; options: ThreadWriteOptions }
  | { type: 'batch'; id: number; seq: number; batch: ContentBatch }
  | { type: 'end'; id: number; header: ContentHeader; nodes: number }
  | { type: 'ack'; id: number; seq: number }
  | { type: 'cancel'; id: number }

export type FromThread =
  | { type: 'ready' }
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'batch'; id: number; seq: number; batch: ContentBatch }
  | { type: 'ack'; id: number; seq: number }
  /** A save's thread asks for the values of deferred nodes `nodes` (sent back as slab batches, in order). */
  | { type: 'pull'; id: number; nodes: number[] }
  | { type: 'done'; id: number; header?: ContentHeader; nodes?: number }
  | { type: 'failed'; id: number; error: SerializedError }

export interface SerializedError {
  name: string
  message: string
  /** A WorkbenchError's code, or a Node errno code ('ENOSPC'). */
  code?: string
  path?: string
  operation?: string
  parameter?: string
  stack?: string
  cause?: SerializedError | { text: string }
}

const MAX_CAUSE_DEPTH = 5

export function serializeError(err: unknown, depth = 0): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) }
  const out: SerializedError = { name: err.name, message: err.message }
  const e = err as Error & { code?: unknown; path?: unknown; operation?: unknown; parameter?: unknown }
  if (typeof e.code === 'string') out.code = e.code
  if (typeof e.path === 'string') out.path = e.path
  if (typeof e.operation === 'string') out.operation = e.operation
  if (typeof e.parameter === 'string') out.parameter = e.parameter
  if (err.stack) out.stack = err.stack
  if (err.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
    out.cause = err.cause instanceof Error ? serializeError(err.cause, depth + 1) : { text: String(err.cause) }
  }
  return out
}

/** The error as it was thrown in the thread: the same class (ours, RangeError, TypeError or Error) and fields. */
export function deserializeError(s: SerializedError): Error {
  const cause = s.cause === undefined ? undefined : 'text' in s.cause ? s.cause.text : deserializeError(s.cause)
  const code = s.code as ErrorCode
  let err: Error
  switch (s.name) {
    case 'CancelledError':
      err = new CancelledError(s.message)
      break
    case 'SessionError':
      err = new SessionError(s.message, { operation: s.operation, path: s.path, code, cause })
      break
    case 'FileAccessError':
      err = new FileAccessError(code, s.message, { path: s.path, cause })
      break
    case 'ConfigurationError':
      err = new ConfigurationError(s.message, { parameter: s.parameter, path: s.path, code, cause })
      break
    case 'PluginError':
      err = new PluginError(s.message, { path: s.path, cause })
      break
    case 'WorkbenchError':
      err = new WorkbenchError(code, s.message, { path: s.path, cause })
      break
    case 'RangeError':
      err = new RangeError(s.message, cause === undefined ? undefined : { cause })
      break
    case 'TypeError':
      err = new TypeError(s.message, cause === undefined ? undefined : { cause })
      break
    default: {
      err = new Error(s.message, cause === undefined ? undefined : { cause })
      if (s.name !== 'Error') err.name = s.name
      const plain = err as NodeJS.ErrnoException
      if (s.code !== undefined) plain.code = s.code
      if (s.path !== undefined) plain.path = s.path
    }
  }
  if (s.stack) err.stack = s.stack
  return err
}
