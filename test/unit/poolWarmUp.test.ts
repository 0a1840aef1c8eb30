// The worker pool's pre-warm with real threads (the built worker bundle out/main/task.js): every thread
// exists and has h5wasm initialised before any step asks, a failing warm-up leaves the pool usable, and
// the workbench warms its pool at start and again after a change of the worker-threads budget.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { threadsFor } from '../../src-main/pool/sharedPool'
import { createTaskPool } from '../../src-main/pool/taskPool'
import { warmUpRecording } from '../../src-main/pool/warmUpRecording'
import { createWorkbenchService } from '../../src-main/workbench/create'
import { WorkbenchService } from '../../src-main/workbench/service'
import type { StepDefinition } from '../../src-main/steps/framework'
import type { TaskPool, WarmUpReport } from '../../src-main/pool/taskPool'
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

async function waitForLog(service: ReturnType<typeof createWorkbenchService>, pattern: RegExp, count: number): Promise<LogEntry[]> {
  for (;;) {
    const entries = ((await service.dispatch('log.list', {})) as LogEntry[]).filter((e) => pattern.test(e.message))
    if (entries.length >= count) return entries
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('the task pool warm-up', () => {
  it('readies each of the pool threads (h5wasm initialised) and the tasks after it find only those threads', async () => {
    const pool = createTaskPool({ threads: 2 })
    try {
      const report = await pool.warmUp!()
      const warmed = report.threads.map((t) => t.threadId)
      expect(new Set(warmed).size).toBe(2)
      expect(report.threads.every((t) => t.h5wasm)).toBe(true)
      expect(report.threads.every((t) => t.readers)).toBe(true) // each loaded the warm-up recording
      expect(report.recordingProblem).toBeUndefined()
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

  it('a task asked for during the warm-up comes first: the warm-up skips the readers and lets go', async () => {
    const pool = createTaskPool({ threads: 1 })
    try {
      const warm = pool.warmUp!()
      const [answer] = await askThreads(pool, 1)
      const report = await warm
      expect(report.threads).toHaveLength(1)
      expect(report.threads[0]).toMatchObject({ threadId: answer.threadId, h5wasm: true, readers: false })
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

describe('the warm-up recording', () => {
  it('is written once by a pool thread and reused; a failed write names the folder and leaves nothing', async () => {
    const pool = createTaskPool({ threads: 1 })
    try {
      const runs: string[] = []
      const counting = { run: <T>(task: string, args: unknown) => (runs.push(task), pool.run<T>(task, args)) }
      const where = join(dir, 'warm-rec')
      const rec = await warmUpRecording(counting, where)
      expect(rec).toEqual({ cmcrPath: join(where, 'warmup.cmcr'), cmtrPath: join(where, 'warmup-.cmtr') })
      const summary = await pool.run<{ units: unknown[] }>('mcsCmtrSummary', { path: rec.cmtrPath })
      expect(summary.units).toHaveLength(4)
      expect(await warmUpRecording(counting, where)).toEqual(rec)
      expect(runs).toEqual(['syntheticRecording']) // the second start found it

      const blocked = join(dir, 'a-file')
      writeFileSync(blocked, '')
      await expect(warmUpRecording(pool, join(blocked, 'warm-rec'))).rejects.toThrow(/warm-up recording could not be written in .*a-file/)
      expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([])
    } finally {
      await pool.destroy()
    }
  })
})

describe('the workbench pre-warm', () => {
  it('warms the pool at start, before any step, and warms the new pool after a change of budget', async () => {
    const service = createWorkbenchService({ transport: 'web', workdir: join(dir, 'wb'), prewarm: true })
    try {
      const [first] = await waitForLog(service, /^Worker pool warm:/, 1)
      const all = threadsFor(0)
      expect(first.message).toMatch(new RegExp(`^Worker pool warm: ${all} thread\\(s\\) started, HDF5 initialised in ${all} of them, readers warmed in ${all} `))
      await service.dispatch('settings.set', { workerThreads: 1 })
      const [, second] = await waitForLog(service, /^Worker pool warm:/, 2)
      expect(second.message).toMatch(/^Worker pool warm: 1 thread\(s\) started, HDF5 initialised in 1 of them, readers warmed in 1 /)
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

describe('the spare threads wait for a running step', () => {
  it('a step running when the pool is warm delays the spare reader and the archive thread until it ends', async () => {
    let endWarmUp: (r: WarmUpReport) => void = () => {}
    const pool: TaskPool = {
      threads: 1,
      run: async () => undefined as never,
      warmUp: () => new Promise<WarmUpReport>((r) => (endWarmUp = r)),
      destroy: async () => {},
    }
    let endStep: () => void = () => {}
    const hold: StepDefinition<Record<string, never>> = {
      id: 'hold',
      title: 'Hold',
      description: 'runs until the test lets it end',
      params: [],
      prerequisites: [],
      run: () => new Promise((r) => (endStep = () => r({ summary: 'held', apply: () => {} }))),
    }
    const workdir = join(dir, 'spares')
    const recording = join(workdir, 'x.cmcr')
    mkdirSync(workdir, { recursive: true })
    writeFileSync(recording, '')
    const service = new WorkbenchService({ transport: 'web', workdir, steps: [hold], prewarm: true, createSharedPool: () => pool })
    const finished = new Promise<void>((r) => service.onEvent((name) => name === 'job.finished' && r()))
    try {
      await closeArchiveThreads()
      await service.dispatch('session.open', { cmcrPath: recording })
      await service.dispatch('step.run', { stepId: 'hold', params: {} })
      endWarmUp({ threads: [{ threadId: 1, h5wasm: true }] })
      await waitForLog(service, /^Worker pool warm:/, 1)
      expect(spareSensorReaderThreadId()).toBeNull()
      expect(archiveThreads().threadCount).toBe(0)
      endStep()
      await finished
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
