// The archive thread: a worker thread the main process starts (archiveThreads.ts) that runs the HDF5
// archive codec (reader.ts, writer.ts) with its own h5wasm instance, one job at a time. Built as its own
// entry, out/main/archiveThread.js. A blocking h5wasm call (a hung network share) blocks only this
// thread; main rejects the job at once and replaces the thread.

import { readlink } from 'node:fs/promises'
import { getPriority, setPriority } from 'node:os'
import { type MessagePort, parentPort } from 'node:worker_threads'
import { CancelledError } from '../../../src-shared/errors'
import { h5ready } from '../h5'
import { readArchive } from '../reader'
import { writeArchive } from '../writer'
import { AckWindow, sendBatches } from './batchStream'
import { ContentAssembler, contentHeader, encodeContent, DEFAULT_BATCH_LIMITS } from './contentBatches'
import { type FromThread, type ThreadWriteOptions, type ToThread, serializeError } from './protocol'

interface Job {
  id: number
  controller: AbortController
  acks: AckWindow
  /** A write: the content arriving, and where and how to write it. */
  write?: { path: string; options: ThreadWriteOptions; assembler: ContentAssembler }
}

/** Serves the main thread's requests on `port`. */
export function serveArchiveRequests(port: MessagePort): void {
  let job: Job | null = null
  const post = (msg: FromThread, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer)
  const fail = (id: number, err: unknown) => post({ type: 'failed', id, error: serializeError(err) })
  const progress = (id: number) => (done: number, total: number) => post({ type: 'progress', id, done, total })

  const runRead = async (j: Job, path: string) => {
    try {
      const content = await readArchive(path, { onProgress: progress(j.id), signal: j.controller.signal })
      // The arrays were just read and are used by nobody else here: handed over, not copied.
      const nodes = await sendBatches(
        encodeContent(content, DEFAULT_BATCH_LIMITS, { handOver: true }),
        (seq, batch, transfer) => post({ type: 'batch', id: j.id, seq, batch }, transfer),
        j.acks,
        j.controller.signal,
      )
      post({ type: 'done', id: j.id, header: contentHeader(content), nodes })
    } catch (err) {
      fail(j.id, err)
    } finally {
      if (job === j) job = null
    }
  }

  const runWrite = async (j: Job, header: Parameters<typeof ContentAssembler.prototype.finish>[0], nodes: number) => {
    try {
      const w = j.write!
      const content = w.assembler.finish(header, nodes)
      j.write = undefined
      await writeArchive(w.path, content, { slabBytes: w.options.slabBytes, onProgress: progress(j.id), signal: j.controller.signal })
      post({ type: 'done', id: j.id })
    } catch (err) {
      fail(j.id, err)
    } finally {
      if (job === j) job = null
    }
  }

  port.on('message', (msg: ToThread) => {
    switch (msg.type) {
      case 'read':
      case 'write': {
        if (job) {
          fail(msg.id, new Error(`archive thread: job ${msg.id} arrived while job ${job.id} runs`))
          return
        }
        const j: Job = { id: msg.id, controller: new AbortController(), acks: new AckWindow() }
        job = j
        if (msg.type === 'read') void runRead(j, msg.path)
        else j.write = { path: msg.path, options: msg.options, assembler: new ContentAssembler() }
        return
      }
      case 'batch': {
        if (job?.id !== msg.id || !job.write) return
        try {
          job.write.assembler.add(msg.batch)
        } catch (err) {
          const j = job
          job = null
          fail(j.id, err)
          return
        }
        post({ type: 'ack', id: msg.id, seq: msg.seq })
        return
      }
      case 'end':
        if (job?.id === msg.id && job.write) void runWrite(job, msg.header, msg.nodes)
        return
      case 'ack':
        if (job?.id === msg.id) job.acks.ack(msg.seq)
        return
      case 'cancel':
        if (job?.id === msg.id) {
          const j = job
          j.controller.abort()
          j.acks.fail(new CancelledError())
          if (j.write) {
            // Still receiving the content: nothing was written yet.
            job = null
            fail(j.id, new CancelledError())
          }
        }
        return
    }
  })
  // The wasm module is compiled now, so the first job does not wait for it.
  void h5ready().then(
    () => post({ type: 'ready' }),
    (err: unknown) => fail(-1, err),
  )
}

/** How much lower than the process this thread runs (Linux niceness): the UI thread wins a busy CPU. */
const NICER_BY = 5

/**
 * On Linux a thread has its own niceness: this one yields the CPU to the main thread (requests, the
 * window) when cores are scarce. Elsewhere, or when not allowed, it keeps the process's priority.
 */
async function lowerThreadPriority(): Promise<void> {
  if (process.platform !== 'linux') return
  try {
    const tid = Number((await readlink('/proc/thread-self')).split('/').pop())
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, Math.min(19, getPriority(tid) + NICER_BY))
  } catch {
    // no /proc or not permitted: same priority as the process
  }
}

if (parentPort) {
  void lowerThreadPriority()
  serveArchiveRequests(parentPort)
}
