// The worker pool's pre-warm with real threads (the built worker bundle out/main/task.js): every thread
// exists and has h5wasm initialised before any step asks, a failing warm-up leaves the pool usable, and
// the workbench warms its pool at start and again after a change of the worker-threads budget.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { threadsFor } from '../../src-main/pool/sharedPool'
import { createTaskPool } from '../../src-main/pool/taskPool'
import { createWorkbenchService } from '../../src-main/workbench/create'
import type { LogEntry } from '../../src-shared/contract'
import type { ThreadWarmth } from '../../src-worker/tasks/warmUpTasks'
import { ArchiveThreads, archiveThreads, closeArchiveThreads } from '../../src-main/archive/thread/archiveThreads'
import { spareSensorReaderThreadId } from '../../src-worker/eimage/readerThread'
import { f64, group } from '../../src-shared/tree'
import { archiveContent } from '../fixtures/archive/content'

const dir = mkdtempSync(join(tmpdir(), 'wb-warm-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Several answers of the pool's threads at once (more tasks than threads, so every thread answers some). */
function askThreads(pool: ReturnType<typeof createTaskPool>, n: number): Promise<ThreadWarmth[]> {
  return Promise.all(Array.from({ length: n }, () => pool.run<ThreadWarmth>('workerWarmth', {})))
}

describe('the task pool warm-up', () => {
  it('readies each of the pool threads (h5wasm initialised) and the tasks after it find only those threads', async () => {
    const pool = createTaskPool({ threads: 2 })
    try {
      const report = await pool.warmUp!()
      const warmed = report.threads.map((t) => t.threadId)
      expect(new Set(warmed).size).toBe(2)
      expect(report.threads.every((t) => t.h5wasm)).toBe(true)
      for (const answer of await askThreads(pool, 8)) {
        expect(warmed).toContain(answer.threadId)
        expect(answer.h5wasm).toBe(true)
      }
    } finally {
      await pool.destroy()
    }
  })

  it('without a warm-up a thread has not initialised h5wasm before its first step (what the warm-up changes)', async () => {
    const pool = createTaskPool({ threads: 1 })
    try {
      const [answer] = await askThreads(pool, 1)
      expect(answer.h5wasm).toBe(false)
    } finally {
      await pool.destroy()
    }
  })

  it('a warm-up that fails leaves the pool running tasks', async () => {
    // A worker bundle without the warm-up task, as an older or broken build would be.
    const file = join(dir, 'noWarmUp.mjs')
    writeFileSync(file, "import { threadId } from 'node:worker_threads'\nexport function workerInfo() { return { threadId } }\n")
    const pool = createTaskPool({ threads: 1, filename: file })
    try {
      await expect(pool.warmUp!()).rejects.toThrow()
      await expect(pool.run<{ threadId: number }>('workerInfo', {})).resolves.toHaveProperty('threadId')
    } finally {
      await pool.destroy()
    }
  })
})

describe('the workbench pre-warm', () => {
  async function waitForLog(service: ReturnType<typeof createWorkbenchService>, pattern: RegExp, count: number): Promise<LogEntry[]> {
    for (;;) {
      const entries = ((await service.dispatch('log.list', {})) as LogEntry[]).filter((e) => pattern.test(e.message))
      if (entries.length >= count) return entries
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  it('warms the pool at start, before any step, and warms the new pool after a change of budget', async () => {
    const service = createWorkbenchService({ transport: 'web', workdir: join(dir, 'wb'), prewarm: true })
    try {
      const [first] = await waitForLog(service, /^Worker pool warm:/, 1)
      const all = threadsFor(0)
      expect(first.message).toMatch(new RegExp(`^Worker pool warm: ${all} thread\\(s\\) started, HDF5 initialised in ${all} of them `))
      await service.dispatch('settings.set', { workerThreads: 1 })
      const [, second] = await waitForLog(service, /^Worker pool warm:/, 2)
      expect(second.message).toMatch(/^Worker pool warm: 1 thread\(s\) started, HDF5 initialised in 1 of them /)
      expect(service.taskPool.threads).toBe(1)
      // After the pool's first warm-up: the spare sensor reader thread and the idle archive thread.
      expect(spareSensorReaderThreadId()).not.toBeNull()
      while (archiveThreads().threadCount === 0) await new Promise((r) => setTimeout(r, 20))
      expect(archiveThreads().threadCount).toBe(1)
    } finally {
      await service.close()
      await closeArchiveThreads()
    }
  })
})

describe('the archive thread pre-warm', () => {
  it('starts one idle thread, which the first save then uses (no second thread is started)', async () => {
    const threads = new ArchiveThreads()
    try {
      await threads.prewarm()
      expect(threads.threadCount).toBe(1)
      await threads.prewarm() // a thread exists: nothing more
      expect(threads.threadCount).toBe(1)
      const during: number[] = []
      const path = join(dir, 'first-save.h5')
      await threads.write(path, archiveContent({ metadata: group({ marker: f64([7]) }) }), { onProgress: () => during.push(threads.threadCount) })
      expect(during.length).toBeGreaterThan(0)
      expect(new Set(during)).toEqual(new Set([1]))
      const back = await threads.read(path)
      expect(Array.from((back.metadata.children.get('marker') as { data: Float64Array }).data)).toEqual([7])
    } finally {
      await threads.close()
    }
  })
})
