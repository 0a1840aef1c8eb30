// The archive threads, owned by the main process: every archive read and write runs in one of them
// (threadEntry.ts), and the main thread only coordinates: it hands the content over and takes it back in
// bounded batches (contentBatches.ts), reports progress and cancels.
//
// These are not the CPU pool's threads (src-main/pool): a read that hangs on a dead network share must
// not take a thread of the CPU budget, and a hung read must not hold up a save to a local disk. Each job
// gets an idle thread or a new one (at most `maxThreads`, more jobs wait their turn); one idle thread is
// kept warm, unreferenced, so it never keeps the process alive.
//
// Cancel: the job is rejected with CancelledError at once. Its thread is abandoned, never awaited: it is
// told to stop (a thread between two HDF5 calls stops within one step and closes its file) and
// terminated when it has stopped or after CANCEL_GRACE_MS, whichever is first; a thread stuck in a
// blocking call is terminated as soon as that call returns. The next job starts on another thread.

import { Worker } from 'node:worker_threads'
import { CancelledError } from '../../../src-shared/errors'
import { type ArchiveContent, contentArrayBytes } from '../content'
import { AckWindow, BATCH_WINDOW, sendBatches } from './batchStream'
import { type AnyTypedArray, type BatchLimits, type BufferFor, type ContentBatch, ContentAssembler, DEFAULT_BATCH_LIMITS, contentHeader, encodeContent, slabBatches } from './contentBatches'
import { type FromThread, type ToThread, deserializeError } from './protocol'
import { findArchiveThreadScript } from './threadFile'
import { leaveBehind } from '../../../src-worker/threadsLeftBehind'

/**
 * A save sends datasets of at least this many bytes only when the thread asks for them as it writes
 * them, so the thread never holds a second copy of the session's large arrays; smaller ones (most of an
 * object-heavy archive) travel in the batches, where a request each would cost more than the copy.
 */
export const DEFER_AT_LEAST_BYTES = 256 * 1024

/** How long a cancelled thread may take to stop on its own (closing its file) before it is terminated. */
export const CANCEL_GRACE_MS = 2000

export interface ArchiveReadOptions {
  onProgress?: (bytesDone: number, bytesTotal: number) => void
  signal?: AbortSignal
}

export interface ArchiveWriteOptions extends ArchiveReadOptions {
  /** Arrays above this size are written in slabs (tests lower it). */
  slabBytes?: number
}

export interface ArchiveThreadsOptions {
  maxThreads?: number
  limits?: BatchLimits
  /** The thread's script (default: findArchiveThreadScript()). */
  script?: string | URL
}

type Listener = (msg: FromThread) => void

/** One archive thread and the job it runs. */
class ArchiveThread {
  readonly worker: Worker
  private listener: Listener | null = null
  private onGone: ((err: Error) => void) | null = null
  gone: Error | null = null
  /** Settles when the thread serves requests (its h5wasm is initialised), or failed to start. */
  readonly ready: Promise<void>
  private onReady: (() => void) | null = null
  private onStartFailed: ((err: Error) => void) | null = null

  constructor(script: string | URL) {
    // execArgv: [] so a loader the process was started with (tsx in tests) is not loaded again in the thread.
    this.worker = new Worker(script, { name: 'hdmea-archive', execArgv: [] })
    this.ready = new Promise((resolve, reject) => {
      this.onReady = resolve
      this.onStartFailed = reject
    })
    this.worker.on('message', (msg: FromThread) => {
      if (msg.type === 'ready') this.onReady?.()
      else this.listener?.(msg)
    })
    this.worker.on('error', (err) => this.stop(err))
    this.worker.on('exit', (code) => this.stop(new Error(`the archive thread stopped (exit code ${code})`)))
  }

  private stop(err: Error): void {
    if (this.gone) return
    this.gone = err
    this.onStartFailed?.(err)
    const onGone = this.onGone
    this.listener = null
    this.onGone = null
    onGone?.(err)
  }

  /** Routes this thread's messages to a job until `release`. */
  attach(listener: Listener, onGone: (err: Error) => void): void {
    this.listener = listener
    this.onGone = onGone
    this.worker.ref()
  }

  release(): void {
    this.listener = null
    this.onGone = null
    this.worker.unref()
  }

  post(msg: ToThread, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(msg, transfer)
  }
}

export class ArchiveThreads {
  private readonly maxThreads: number
  private readonly limits: BatchLimits
  private script: Promise<string | URL> | undefined
  private readonly idle: ArchiveThread[] = []
  private readonly live = new Set<ArchiveThread>()
  private readonly queue: Array<() => void> = []
  /** Jobs between taking a slot and having their thread (the script is looked up asynchronously). */
  private starting = 0
  private nextId = 1
  private closed = false

  constructor(options: ArchiveThreadsOptions = {}) {
    this.maxThreads = Math.max(1, options.maxThreads ?? 4)
    this.limits = options.limits ?? DEFAULT_BATCH_LIMITS
    this.script = options.script === undefined ? undefined : Promise.resolve(options.script)
  }

  /** Threads started and not yet stopped (busy or idle; abandoned ones are not counted). */
  get threadCount(): number {
    return this.live.size
  }

  async read(path: string, options: ArchiveReadOptions = {}): Promise<ArchiveContent> {
    return this.run(options.signal, (thread, id, job) => {
      const assembler = new ContentAssembler()
      job.onMessage = (msg) => {
        switch (msg.type) {
          case 'progress':
            options.onProgress?.(msg.done, msg.total)
            return
          case 'batch':
            try {
              assembler.add(msg.batch)
            } catch (err) {
              job.fail(err as Error)
              thread.post({ type: 'cancel', id })
              return
            }
            thread.post({ type: 'ack', id, seq: msg.seq })
            return
          case 'done':
            try {
              job.succeed(assembler.finish(msg.header!, msg.nodes ?? -1))
            } catch (err) {
              job.fail(err as Error)
            }
            return
          case 'failed':
            job.fail(deserializeError(msg.error), true)
            return
        }
      }
      thread.post({ type: 'read', id, path })
    })
  }

  async write(path: string, content: ArchiveContent, options: ArchiveWriteOptions = {}): Promise<void> {
    await this.run<void>(options.signal, (thread, id, job) => {
      // The window of the batches on their way: the content's, then each pulled dataset's in turn.
      let acks = new AckWindow()
      // Large datasets go only as their shape; the thread asks for each one's values as it writes it.
      const deferred = new Map<number, AnyTypedArray>()
      job.onMessage = (msg) => {
        switch (msg.type) {
          case 'progress':
            options.onProgress?.(msg.done, msg.total)
            return
          case 'ack':
            acks.ack(msg.seq)
            return
          case 'pull': {
            const wanted: Array<[number, AnyTypedArray]> = []
            for (const node of msg.nodes) {
              const values = deferred.get(node)
              if (!values) {
                job.fail(new Error(`archive transfer: the thread asked for node ${node}, which was not deferred`), false)
                return
              }
              deferred.delete(node)
              wanted.push([node, values])
            }
            // The pulls come one after another: the previous one's batches are all acknowledged by now.
            acks = new AckWindow()
            const post = (seq: number, batch: ContentBatch, transfer: ArrayBuffer[]) => thread.post({ type: 'batch', id, seq, batch }, transfer)
            const maxBytes = this.limits.maxBytes
            function* slabs() {
              let index = 0
              for (const [node, values] of wanted) {
                for (const slab of slabBatches(node, values, maxBytes, bufferFor, index)) {
                  index++
                  yield slab
                }
              }
            }
            sendBatches(slabs(), post, acks, options.signal).catch((err: unknown) => job.fail(err as Error))
            return
          }
          case 'done':
            job.succeed(undefined)
            return
          case 'failed':
            job.fail(deserializeError(msg.error), true)
            return
        }
      }
      job.onEnd = (err) => acks.fail(err)
      thread.post({ type: 'write', id, path, options: { slabBytes: options.slabBytes, bytesTotal: contentArrayBytes(content) } })
      const header = contentHeader(content)
      // The session keeps its arrays: copied into the batches, never handed over. The copies go into
      // BATCH_WINDOW shared buffers used in turn (a batch's buffer is reused once it is acknowledged), so
      // the main thread allocates nothing per batch.
      const slots: Array<SharedArrayBuffer | undefined> = []
      const bufferFor: BufferFor = (index, bytes) => new Uint8Array((slots[index % BATCH_WINDOW] ??= new SharedArrayBuffer(this.limits.maxBytes)), 0, bytes)
      const batches = encodeContent(content, this.limits, { bufferFor, deferAtLeast: DEFER_AT_LEAST_BYTES, onDeferred: (node, values) => deferred.set(node, values) })
      sendBatches(batches, (seq, batch, transfer) => thread.post({ type: 'batch', id, seq, batch }, transfer), acks, options.signal).then(
        (nodes) => {
          if (!job.settled) thread.post({ type: 'end', id, header, nodes })
        },
        (err: unknown) => job.fail(err as Error),
      )
    })
  }

  /**
   * Starts the idle thread ahead of the first job, so the first save, checkpoint or resume finds its
   * h5wasm initialised (the workbench's start-up pre-warm, docs/architecture.md). Nothing happens when a
   * thread already exists. It waits unreferenced, like any idle thread; rejects if it cannot start.
   */
  async prewarm(): Promise<void> {
    if (this.closed || this.live.size > 0 || this.starting > 0) return
    const thread = await this.acquire()
    if (this.closed) {
      this.live.delete(thread)
      void thread.worker.terminate()
      return
    }
    this.release(thread)
  }

  /** Stops every thread (a thread stuck in a blocking call ends when the call returns). */
  async close(): Promise<void> {
    this.closed = true
    const threads = [...this.live]
    this.live.clear()
    this.idle.length = 0
    await Promise.all(threads.map((t) => t.worker.terminate().catch(() => undefined)))
  }

  private run<T>(signal: AbortSignal | undefined, start: (thread: ArchiveThread, id: number, job: Job<T>) => void): Promise<T> {
    if (signal?.aborted) return Promise.reject(new CancelledError())
    if (this.closed) return Promise.reject(new Error('the archive threads are closed'))
    return new Promise<T>((resolve, reject) => {
      const id = this.nextId++
      let thread: ArchiveThread | null = null
      const job = new Job<T>(
        (value) => {
          signal?.removeEventListener('abort', onAbort)
          if (thread) this.release(thread)
          resolve(value)
        },
        (err, threadHealthy) => {
          signal?.removeEventListener('abort', onAbort)
          if (thread) {
            if (threadHealthy) this.release(thread)
            else this.abandon(thread, id)
          }
          reject(err)
        },
      )
      const onAbort = () => {
        if (!thread) this.dequeue(waiting)
        job.fail(new CancelledError(), false)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      const begin = async () => {
        if (job.settled) return
        let t: ArchiveThread
        try {
          t = await this.acquire()
        } catch (err) {
          this.script = undefined // looked for again next time
          job.fail(err as Error)
          this.queue.shift()?.()
          return
        }
        if (job.settled) {
          // cancelled while the thread started
          this.release(t)
          return
        }
        thread = t
        t.attach(
          (msg) => {
            if ('id' in msg && msg.id === id) job.onMessage?.(msg)
          },
          (err) => {
            this.live.delete(t)
            job.fail(err, false)
          },
        )
        try {
          start(t, id, job)
        } catch (err) {
          job.fail(err as Error, false)
        }
      }
      const waiting = () => void begin()
      if (this.busyCount() < this.maxThreads) waiting()
      else this.queue.push(waiting)
    })
  }

  private busyCount(): number {
    return this.live.size - this.idle.length + this.starting
  }

  private async acquire(): Promise<ArchiveThread> {
    const idle = this.idle.pop()
    if (idle) return idle
    this.starting++
    try {
      this.script ??= findArchiveThreadScript()
      const thread = new ArchiveThread(await this.script)
      this.live.add(thread)
      // Requests go out only once the thread listens (a message before that could be missed).
      await thread.ready.catch((err: unknown) => {
        this.live.delete(thread)
        void thread.worker.terminate()
        throw new Error(`The archive thread did not start: ${(err as Error)?.message ?? String(err)}`, { cause: err })
      })
      return thread
    } finally {
      this.starting--
    }
  }

  private release(thread: ArchiveThread): void {
    thread.release()
    if (thread.gone || !this.live.has(thread)) {
      this.live.delete(thread)
    } else if (this.idle.length === 0 && !this.closed) {
      this.idle.push(thread)
    } else {
      this.live.delete(thread)
      void thread.worker.terminate()
    }
    this.queue.shift()?.()
  }

  private dequeue(begin: () => void): void {
    const i = this.queue.indexOf(begin)
    if (i >= 0) this.queue.splice(i, 1)
  }

  /** Leaves a thread whose job was cancelled or went wrong: told to stop, terminated soon, never awaited. */
  private abandon(thread: ArchiveThread, id: number): void {
    this.live.delete(thread)
    const i = this.idle.indexOf(thread)
    if (i >= 0) this.idle.splice(i, 1)
    thread.release()
    if (!thread.gone) {
      const end = () => {
        clearTimeout(timer)
        void thread.worker.terminate().catch(() => undefined)
      }
      const timer = setTimeout(end, CANCEL_GRACE_MS)
      timer.unref()
      thread.attach((msg) => {
        if ('id' in msg && msg.id === id && (msg.type === 'done' || msg.type === 'failed')) end()
      }, end)
      thread.worker.unref()
      leaveBehind(thread.worker)
      try {
        thread.post({ type: 'cancel', id })
      } catch {
        end()
      }
    }
    this.queue.shift()?.()
  }
}

/** A job's outcome, settled once; `threadHealthy` false means its thread must not be reused. */
class Job<T> {
  settled = false
  onMessage: ((msg: FromThread) => void) | null = null
  onEnd: ((err: Error) => void) | null = null

  constructor(
    private readonly onSuccess: (value: T) => void,
    private readonly onFailure: (err: Error, threadHealthy: boolean) => void,
  ) {}

  succeed(value: T): void {
    if (this.settled) return
    this.settled = true
    this.onSuccess(value)
  }

  /** A failure reported by the thread after it finished the job leaves it healthy; anything else does not. */
  fail(err: Error, threadHealthy = false): void {
    if (this.settled) return
    this.settled = true
    this.onEnd?.(err)
    this.onFailure(err, threadHealthy)
  }
}

let shared: ArchiveThreads | null = null

/** The process's archive threads (started on first use). */
export function archiveThreads(): ArchiveThreads {
  shared ??= new ArchiveThreads()
  return shared
}

/** Stops the process's archive threads (tests, shutdown); the next use starts new ones. */
export async function closeArchiveThreads(): Promise<void> {
  const s = shared
  shared = null
  await s?.close()
}

/** Reads a whole archive in an archive thread. Errors keep their class, code, message and path. */
export function readArchive(path: string, options: ArchiveReadOptions = {}): Promise<ArchiveContent> {
  return archiveThreads().read(path, options)
}

/** Writes `content` to a new file at `path` in an archive thread (the caller writes to a temp path and renames). */
export function writeArchive(path: string, content: ArchiveContent, options: ArchiveWriteOptions = {}): Promise<void> {
  return archiveThreads().write(path, content, options)
}
