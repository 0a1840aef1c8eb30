// The main thread's handle on the sensor reader thread (entry src-worker/sensorReader.ts, built to
// out/main/sensorReader.js): one thread per electrical-image run, started, fed and ended by the main
// thread, which never waits on the file itself. Every wait on the thread gives way to the run's abort
// signal: on cancel the thread is terminated without waiting for it (a thread stuck in a read from a
// hung network share cannot be stopped until the read returns; it is left to end on its own, unref'd,
// and the next run starts a fresh one).

import { CancelledError, FileAccessError, type ErrorCode } from '../../src-shared/errors'
import { findBuiltEntry } from '../builtEntry'
import { SpareThread } from '../spareThread'
import type { SensorInfo } from '../mcs/cmcrReader'
import type { ReaderFailure, ReaderReply, ReaderRequest } from './readerProtocol'
import { leaveBehind } from '../threadsLeftBehind'

export interface SensorReaderOptions {
  /** The .cmcr file and its sensor dataset as the run planned it. */
  path: string
  sensor: SensorInfo
  /** Largest slab in frames. */
  maxFrames: number
  /** The run's shared store; reads land in it. */
  store: WebAssembly.Memory | SharedArrayBuffer
  signal?: AbortSignal
}

export interface SensorReader {
  /** OS thread id of the reader (Linux), for the per-thread CPU breakdown. */
  readonly thread: number | null
  /** Frames [t0, t1) into the store at byteOffset; resolves with the thread's wall ms for the read. */
  read(t0: number, t1: number, byteOffset: number): Promise<number>
  /** Closes the file and ends the thread; resolves with the thread's CPU ms (Linux) or null. */
  close(): Promise<number | null>
  /** Ends the thread without waiting for it (it may be stuck in a read); safe to call more than once. */
  abandon(): void
}

/** Opens a sensor reader: what the front needs to start one (the default starts the thread). */
export type OpenSensorReader = (opts: SensorReaderOptions) => Promise<SensorReader>

const FILE_CODES: ErrorCode[] = ['FILE_NOT_FOUND', 'FILE_KIND', 'FILE_CORRUPT', 'FILE_LOCKED', 'PERMISSION', 'DATA']
const CANCELLED = 'Electrical-image STA cancelled; the session is unchanged'

let entry: string | undefined

function readerEntry(): string {
  entry ??= findBuiltEntry('sensorReader.js', import.meta.dirname, process.env.HDMEA_SENSOR_READER_FILE)
  return entry
}

/** A reader thread started ahead of the next run (its boot and h5wasm start already paid). */
const spare = new SpareThread(readerEntry)
let keepSpare = false

/**
 * Starts a sensor reader thread ahead of the next electrical-image run (fire and forget). With `keep`,
 * every run that ends also prepares the one after it (the workbench's pre-warm, docs/architecture.md).
 */
export function prepareSensorReader(opts: { keep?: boolean } = {}): void {
  if (opts.keep) keepSpare = true
  spare.prepare()
}

/** Ends a waiting spare and stops preparing new ones (the workbench's close). */
export async function discardSensorReaderSpare(): Promise<void> {
  keepSpare = false
  await spare.discard()
}

/** The waiting spare reader thread's id, or null (tests). */
export function spareSensorReaderThreadId(): number | null {
  return spare.threadId
}

function errorOf(e: ReaderFailure, path: string): Error {
  const code = FILE_CODES.includes(e.code as ErrorCode) ? (e.code as ErrorCode) : 'FILE_CORRUPT'
  return new FileAccessError(code, e.message.includes(path) ? e.message : `${path}: ${e.message}`, { path: e.path ?? path })
}

interface Pending {
  resolve: (reply: ReaderReply) => void
  reject: (err: unknown) => void
}

/** Starts the reader thread and opens the file in it (the open, too, may block: it gives way to abort). */
export const openSensorReader: OpenSensorReader = async (opts) => {
  if (opts.signal?.aborted) throw new CancelledError(CANCELLED)
  const worker = spare.take()
  const path = opts.path
  // Replies come in request order: one waiting promise per request sent.
  const pending: Pending[] = []
  let ended: Error | null = null

  const fail = (err: Error) => {
    if (ended) return
    ended = err
    for (const p of pending.splice(0)) p.reject(err)
  }
  const abandon = () => {
    fail(new CancelledError(CANCELLED))
    opts.signal?.removeEventListener('abort', onAbort)
    worker.unref()
    leaveBehind(worker)
    // Not awaited: a thread inside a blocking read ends only when that read returns.
    void worker.terminate().catch(() => undefined)
    if (keepSpare) spare.prepare()
  }
  const onAbort = () => abandon()
  opts.signal?.addEventListener('abort', onAbort, { once: true })

  worker.on('message', (reply: ReaderReply) => {
    const p = pending.shift()
    if (!p) return
    if (reply.type === 'failed') p.reject(errorOf(reply.error, path))
    else p.resolve(reply)
  })
  worker.on('error', (err) => fail(new FileAccessError('FILE_CORRUPT', `${path}: the sensor reader thread failed: ${err.message}`, { path, cause: err })))
  worker.on('exit', (code) => {
    opts.signal?.removeEventListener('abort', onAbort)
    fail(new Error(`${path}: the sensor reader thread ended (exit code ${code}) before its work was done`))
  })

  const ask = (msg: ReaderRequest): Promise<ReaderReply> => {
    if (ended) return Promise.reject(ended)
    return new Promise<ReaderReply>((resolve, reject) => {
      pending.push({ resolve, reject })
      worker.postMessage(msg)
    })
  }

  let opened: ReaderReply
  try {
    opened = await ask({ type: 'open', path, sensor: opts.sensor, maxFrames: opts.maxFrames, store: opts.store })
  } catch (err) {
    abandon()
    throw err
  }
  return {
    thread: opened.type === 'opened' ? opened.thread : null,
    async read(t0, t1, byteOffset) {
      const reply = await ask({ type: 'read', t0, t1, byteOffset })
      return reply.type === 'read' ? reply.ms : 0
    },
    async close() {
      const reply = await ask({ type: 'close' })
      opts.signal?.removeEventListener('abort', onAbort)
      if (keepSpare) spare.prepare()
      return reply.type === 'closed' ? reply.cpuMs : null
    },
    abandon,
  }
}
