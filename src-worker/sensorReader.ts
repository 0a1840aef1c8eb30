// Entry of the sensor reader thread (built to out/main/sensorReader.js): a worker thread the main
// thread starts for one electrical-image run (src-worker/eimage/readerThread.ts). It opens the .cmcr
// with its own h5wasm instance and reads sensor slabs straight into the run's shared store, so no
// HDF5 call, and no wait on a slow or hung file share, ever happens on the main thread. Requests are
// handled one at a time, in order.

import { parentPort } from 'node:worker_threads'
import { FileAccessError, WorkbenchError } from '../src-shared/errors'
import type { ReaderFailure, ReaderOpen, ReaderReply, ReaderRequest } from './eimage/readerProtocol'
import { osThreadId, threadCpuMs } from './eimage/osThread'
import { type SensorSlabSource, openSensorSlabs } from './eimage/sensorSlabs'
import { type CmcrFile, openCmcr } from './mcs/cmcrReader'
import { h5ready } from './mcs/h5util'

const port = parentPort
if (!port) throw new Error('sensorReader.js runs as a worker thread')
// h5wasm starts at once, while the main thread still prepares the run; open() waits for it.
h5ready().catch(() => undefined)

let cmcr: CmcrFile | null = null
let source: SensorSlabSource | null = null
let storeBuffer: ArrayBufferLike | null = null
/** CPU ms of this thread when the run asked it to open (a spare thread booted earlier, outside the run). */
let cpuAtOpen: number | null = null

function failure(err: unknown): ReaderFailure {
  if (err instanceof WorkbenchError) return { code: err.code, message: err.message, path: err.path }
  return { code: 'ERROR', message: err instanceof Error ? err.message : String(err) }
}

function closeFiles(): void {
  source?.close()
  cmcr?.close()
  source = null
  cmcr = null
}

async function open(msg: ReaderOpen): Promise<ReaderReply> {
  cpuAtOpen = threadCpuMs()
  cmcr = await openCmcr(msg.path)
  const found = cmcr.sensor
  const want = msg.sensor
  if (!found || found.path !== want.path || found.frames !== want.frames || found.shape.join() !== want.shape.join() || found.dtype !== want.dtype) {
    const what = found ? `${found.path} [${found.shape.join(', ')}] ${found.dtype}` : 'no sensor dataset'
    throw new FileAccessError('DATA', `${msg.path} changed while it was being used: it now has ${what}, the run planned ${want.path} [${want.shape.join(', ')}] ${want.dtype}`, { path: msg.path })
  }
  source = await openSensorSlabs(cmcr, msg.maxFrames)
  storeBuffer = msg.store instanceof WebAssembly.Memory ? msg.store.buffer : msg.store
  return { type: 'opened', thread: osThreadId() }
}

async function handle(msg: ReaderRequest): Promise<ReaderReply> {
  switch (msg.type) {
    case 'open':
      return open(msg)
    case 'read': {
      if (!source || !storeBuffer) throw new Error('the sensor reader was asked to read before it opened a file')
      const t0 = performance.now()
      source.readInto(msg.t0, msg.t1, new Int16Array(storeBuffer, msg.byteOffset, (msg.t1 - msg.t0) * source.frameSize))
      return { type: 'read', ms: performance.now() - t0 }
    }
    case 'close': {
      closeFiles()
      const now = threadCpuMs()
      return { type: 'closed', cpuMs: now !== null && cpuAtOpen !== null ? now - cpuAtOpen : null }
    }
  }
}

let queue: Promise<void> = Promise.resolve()
port.on('message', (msg: ReaderRequest) => {
  queue = queue.then(async () => {
    let reply: ReaderReply
    try {
      reply = await handle(msg)
    } catch (err) {
      reply = { type: 'failed', error: failure(err) }
    }
    port.postMessage(reply)
    if (msg.type === 'close') port.close()
  })
})
