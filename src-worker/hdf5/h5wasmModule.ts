// The one place that initialises h5wasm for this module instance (the main process and each worker
// thread have their own). HDF5's default error handler prints a "HDF5-DIAG" stack to stderr and lets
// the call fail quietly; the throwing handler turns that stack into a JS Error instead, so failures
// reach our messages (reduced to HDF5's reason by hdf5ErrorText) and nothing is printed.

import h5wasm from 'h5wasm/node'

export type H5Module = Awaited<typeof h5wasm.ready>

let modulePromise: Promise<H5Module> | undefined
let initialised = false

/** The initialised h5wasm module with HDF5 errors thrown as JS Errors (idempotent). */
export function h5wasmReady(): Promise<H5Module> {
  modulePromise ??= h5wasm.ready.then((mod) => {
    mod.activate_throwing_error_handler()
    initialised = true
    return mod
  })
  return modulePromise
}

/** Whether h5wasmReady() has finished in this thread (the pool's warm-up reports it). */
export function h5wasmInitialised(): boolean {
  return initialised
}

/** The innermost message of an HDF5 error stack ("truncated file: eof = …"), or '' if none. */
export function hdf5Reason(stack: string): string {
  const frames = [...stack.matchAll(/#\d+: .*? in [\w.]+\(\): (.*)/g)]
  return frames.length > 0 ? frames[frames.length - 1][1].trim() : ''
}

/** An error's message for our own messages: an HDF5 stack becomes "HDF5: <its innermost reason>". */
export function hdf5ErrorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  const why = hdf5Reason(text)
  if (why) return `HDF5: ${why}`
  return text.startsWith('HDF5-DIAG') ? 'HDF5 error' : text
}
