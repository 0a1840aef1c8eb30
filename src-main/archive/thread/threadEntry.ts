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
  /** A write under way: where the values of its deferred datasets arrive (asked for with a 'pull'). */
  writing?: ContentAssembler
  /** The write waiting for the values of one deferred dataset. */
  pulling?: { node: number; resolve: () => void; reject: (err: Error) => void }
  /** Why the deferred values of the write under way cannot be trusted (a bad slab batch). */
  broken?: Error
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
      const assembler = w.assembler
      const content = assembler.finish(header, nodes)
      j.write = undefined
      j.writing = assembler
      // A large dataset's values are asked for as the writer reaches it (with those of the next ones, up
      // to PULL_AHEAD_BYTES, so a session of many mid-sized datasets is not one round trip each) and
      // let go once written.
      const valuesOf = async (leaf: Parameters<ContentAssembler['letGo']>[0]) => {
        if (j.broken) throw j.broken
        const nodes = assembler.expectValues(leaf, PULL_AHEAD_BYTES)
        if (nodes === undefined) return undefined
        const node = assembler.deferredNode(leaf)!
        if (nodes.length > 0) post({ type: 'pull', id: j.id, nodes })
        if (!assembler.complete(node) || j.broken) {
          await new Promise<void>((resolve, reject) => {
            j.pulling = { node, resolve, reject }
            if (j.broken) reject(j.broken)
            else if (j.controller.signal.aborted) reject(new CancelledError())
          }).finally(() => (j.pulling = undefined))
        }
        return () => assembler.letGo(leaf)
      }
      await writeArchive(w.path, content, {
        slabBytes: w.options.slabBytes,
        bytesTotal: w.options.bytesTotal,
        onProgress: progress(j.id),
        signal: j.controller.signal,
        valuesOf,
      })
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
        if (job?.id !== msg.id) return
        const assembler = job.write?.assembler ?? job.writing
        if (!assembler) return
        try {
          assembler.add(msg.batch)
        } catch (err) {
          if (job.writing) {
            // The write under way fails with it, now if it waits for these values, else at its next pull.
            job.broken = err as Error
            job.pulling?.reject(job.broken)
            return
          }
          const j = job
          job = null
          fail(j.id, err)
          return
        }
        post({ type: 'ack', id: msg.id, seq: msg.seq })
        if (job.pulling && assembler.complete(job.pulling.node)) job.pulling.resolve()
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
          j.pulling?.reject(new CancelledError())
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

/** Bytes of deferred datasets a save asks for at once (the thread holds at most this much beyond the largest one). */
const PULL_AHEAD_BYTES = 32 * 1024 * 1024

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
