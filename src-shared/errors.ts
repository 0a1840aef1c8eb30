// Errors the workbench raises. Each carries a stable `code` (for the UI and the batch log), and where a
// file is involved its `path`, so a message always names what went wrong and where.

export type ErrorCode =
  | 'SESSION'
  | 'CONFIGURATION'
  | 'PREREQUISITE'
  | 'FILE_EXISTS'
  | 'FILE_NOT_FOUND'
  | 'FILE_LOCKED'
  | 'FILE_KIND'
  | 'FILE_CORRUPT'
  | 'NO_SPACE'
  | 'PERMISSION'
  | 'DATA'
  | 'CANCELLED'
  | 'PLUGIN'

export class WorkbenchError extends Error {
  readonly code: ErrorCode
  readonly path?: string
  constructor(code: ErrorCode, message: string, options: { path?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.path = options.path
  }
}

/** A session operation failed: save refused, archive invalid, unknown unit, ... */
export class SessionError extends WorkbenchError {
  readonly operation?: string
  constructor(message: string, options: { operation?: string; path?: string; cause?: unknown; code?: ErrorCode } = {}) {
    super(options.code ?? 'SESSION', message, options)
    this.operation = options.operation
  }
}

/** Bad parameters, a missing prerequisite, or a configuration that cannot work. */
export class ConfigurationError extends WorkbenchError {
  readonly parameter?: string
  constructor(message: string, options: { parameter?: string; path?: string; cause?: unknown; code?: ErrorCode } = {}) {
    super(options.code ?? 'CONFIGURATION', message, options)
    this.parameter = options.parameter
  }
}

/** A file could not be used: missing, locked, of the wrong kind, truncated, or lacking an HDF5 object. */
export class FileAccessError extends WorkbenchError {
  constructor(code: ErrorCode, message: string, options: { path?: string; cause?: unknown } = {}) {
    super(code, message, options)
  }
}

/** A step plugin is broken (bad definition, failed script); the message names the plugin's file. */
export class PluginError extends WorkbenchError {
  constructor(message: string, options: { path?: string; cause?: unknown } = {}) {
    super('PLUGIN', message, options)
  }
}

/** The user cancelled; the session is unchanged. */
export class CancelledError extends WorkbenchError {
  constructor(message = 'Cancelled') {
    super('CANCELLED', message)
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError()
}

/** A plain-data view of any error, for IPC and logs. */
export function describeError(err: unknown): { code: string; message: string; path?: string } {
  if (err instanceof WorkbenchError) return { code: err.code, message: err.message, path: err.path }
  if (err instanceof Error) return { code: (err as Error & { code?: string }).code ?? 'ERROR', message: err.message }
  return { code: 'ERROR', message: String(err) }
}
