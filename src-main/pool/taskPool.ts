// The worker pool that runs heavy tasks (slab reads, eimage STA, visual STA) off the main thread.
// Task functions are the named exports of src-worker/task.ts, built to out/main/task.js.

import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import type { Transferable } from 'node:worker_threads'
import { Piscina } from 'piscina'
import { CancelledError } from '../../src-shared/errors'

export interface RunTaskOptions {
  signal?: AbortSignal
  transferList?: Transferable[]
}

export interface TaskPool {
  readonly threads: number
  run<T>(task: string, args: unknown, options?: RunTaskOptions): Promise<T>
  destroy(): Promise<void>
}

/**
 * A path inside a packaged app.asar, mapped to its copy in app.asar.unpacked: worker threads load their
 * script and its imports with Node's own loader, which cannot read inside the archive
 * (electron-builder.yml unpacks out/main and the worker's packages).
 */
export function unpackedPath(path: string): string {
  return path.replace(/([\\/])app\.asar(?=[\\/])/, '$1app.asar.unpacked')
}

/**
 * Where the built worker entry is: beside this bundle in out/main (or one up, from out/main/chunks where
 * the bundler may put this code), or out/main when running from source (tests).
 */
export function findTaskFile(): string {
  const here = import.meta.dirname
  const candidates = [
    process.env.HDMEA_TASK_FILE,
    unpackedPath(join(here, 'task.js')),
    unpackedPath(join(here, '..', 'task.js')),
    resolve(here, '../../out/main/task.js'),
    resolve(process.cwd(), 'out/main/task.js'),
  ].filter((p): p is string => !!p)
  const found = candidates.find((p) => existsSync(p))
  if (!found) {
    throw new Error(`The worker bundle task.js was not found (looked in ${candidates.join(', ')}); run \`npm run build\` first`)
  }
  return found
}

export function createTaskPool(options: { threads?: number; filename?: string } = {}): TaskPool {
  const threads = Math.max(1, options.threads ?? availableParallelism())
  const piscina = new Piscina({
    filename: options.filename ?? findTaskFile(),
    minThreads: 1,
    maxThreads: threads,
    idleTimeout: 30_000,
  })
  return {
    threads,
    async run<T>(task: string, args: unknown, opts: RunTaskOptions = {}): Promise<T> {
      try {
        return (await piscina.run(args, { name: task, signal: opts.signal, transferList: opts.transferList as any })) as T
      } catch (err) {
        if (opts.signal?.aborted) throw new CancelledError()
        throw err
      }
    },
    async destroy() {
      await piscina.destroy()
    },
  }
}
