// Turning any thrown value into the WireError both transports carry, and back into an Error on the
// calling side. Kept free of Node and Electron imports so the renderer could use it too.

import type { WireError } from './contract'

/** An error raised by the workbench service itself (codes outside the session's ErrorCode list). */
export class RequestError extends Error {
  readonly code: string
  readonly path?: string
  readonly parameter?: string
  readonly retryable?: boolean
  constructor(code: string, message: string, options: { path?: string; parameter?: string; retryable?: boolean } = {}) {
    super(message)
    this.name = 'RequestError'
    this.code = code
    this.path = options.path
    this.parameter = options.parameter
    this.retryable = options.retryable
  }
}

const RETRYABLE_CODES = new Set(['FILE_LOCKED', 'SHARE_UNREACHABLE', 'EBUSY'])

export function toWireError(err: unknown): WireError {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; path?: unknown; parameter?: unknown; retryable?: unknown }
    const code = typeof e.code === 'string' && e.code ? e.code : 'ERROR'
    const message = typeof e.message === 'string' && e.message ? e.message : String(err)
    const out: WireError = { code, message }
    if (typeof e.path === 'string') out.path = e.path
    if (typeof e.parameter === 'string') out.parameter = e.parameter
    const retryable = typeof e.retryable === 'boolean' ? e.retryable : RETRYABLE_CODES.has(code)
    if (retryable) out.retryable = true
    return out
  }
  return { code: 'ERROR', message: String(err) }
}

/** The caller's view of a failed request: an Error carrying the wire fields. */
export class RemoteError extends Error implements WireError {
  readonly code: string
  readonly path?: string
  readonly parameter?: string
  readonly retryable?: boolean
  constructor(wire: WireError) {
    super(wire.message)
    this.name = 'RemoteError'
    this.code = wire.code
    this.path = wire.path
    this.parameter = wire.parameter
    this.retryable = wire.retryable
  }
}
