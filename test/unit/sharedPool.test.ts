// One CPU budget: the wizard and the batch borrow the same pool, never more threads than the budget,
// and a changed budget replaces the pool only once no task is running.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { SharedTaskPool, type WarmOutcome, threadsFor } from '../../src-main/pool/sharedPool'
import type { TaskPool, WarmUpReport } from '../../src-main/pool/taskPool'
import { createWorkbenchService } from '../../src-main/workbench/create'

/** A pool that records how many tasks run at once and lets the test finish them one by one. */
function fakePools(opts: { warmFails?: boolean } = {}) {
  const created: { threads: number; destroyed: boolean; peak: number; warmUps: number; tasks: string[] }[] = []
  const pending: (() => void)[] = []
  const warmEnds: (() => void)[] = []
  const create = (threads: number): TaskPool => {
    const rec = { threads, destroyed: false, peak: 0, warmUps: 0, tasks: [] as string[] }
    created.push(rec)
    let running = 0
    return {
      threads,
      run: <T>(task: string) =>
        new Promise<T>((resolve) => {
          running++
          rec.tasks.push(task)
          rec.peak = Math.max(rec.peak, running)
          pending.push(() => {
            running--
            resolve(undefined as T)
          })
        }),
      warmUp: () => {
        rec.warmUps++
        return new Promise<WarmUpReport>((resolve, reject) =>
          warmEnds.push(() =>
            opts.warmFails
              ? reject(new Error('no h5wasm in this thread'))
              : resolve({ threads: Array.from({ length: threads }, (_, i) => ({ threadId: i + 1, h5wasm: true })) }),
          ),
        )
      },
      async destroy() {
        rec.destroyed = true
      },
    }
  }
  const finishAll = async () => {
    while (pending.length) pending.shift()!()
    await new Promise((r) => setTimeout(r, 0))
  }
  const finishWarmUps = async () => {
    while (warmEnds.length) warmEnds.shift()!()
    await new Promise((r) => setTimeout(r, 0))
  }
  return { created, create, finishAll, finishWarmUps }
}

const tick = () => new Promise((r) => setTimeout(r, 0))

describe('threadsFor', () => {
  it('takes a positive whole number as it is and 0 as every core', () => {
    expect(threadsFor(3, 8)).toBe(3)
    expect(threadsFor(0, 8)).toBe(8)
    expect(threadsFor(0, 0)).toBe(1)
    expect(threadsFor(1.5, 4)).toBe(4)
  })
})

describe('SharedTaskPool', () => {
  it('gives every borrower the same pool, created once with the budget', async () => {
    const f = fakePools()
    const shared = new SharedTaskPool(() => 2, f.create)
    const wizard = shared.borrow()
    const batch = shared.borrow()
    const runs = [wizard.run('a', {}), batch.run('b', {}), batch.run('c', {})]
    await tick()
    expect(f.created).toHaveLength(1)
    expect(f.created[0].threads).toBe(2)
    expect(f.created[0].peak).toBe(3) // all three reached the one pool (Piscina then runs at most its 2 threads)
    await f.finishAll()
    await Promise.all(runs)
  })

  it("a borrower's destroy leaves the pool to its owner", async () => {
    const f = fakePools()
    const shared = new SharedTaskPool(() => 2, f.create)
    const view = shared.borrow()
    const run = view.run('a', {})
    await tick()
    await view.destroy()
    expect(f.created[0].destroyed).toBe(false)
    await f.finishAll()
    await run
    await shared.destroy()
    expect(f.created[0].destroyed).toBe(true)
    await expect(shared.run('x', {})).rejects.toThrow(/closed/)
  })

  it('a new budget replaces the pool once no task is running, not before', async () => {
    const f = fakePools()
    let budget = 2
    const shared = new SharedTaskPool(() => budget, f.create)
    const first = shared.run('a', {})
    await tick()
    budget = 1
    const second = shared.run('b', {}) // a task is still running: the old pool keeps serving
    await tick()
    expect(f.created).toHaveLength(1)
    await f.finishAll()
    await Promise.all([first, second])
    const third = shared.run('c', {})
    await tick()
    expect(f.created).toHaveLength(2)
    expect(f.created[0].destroyed).toBe(true)
    expect(f.created[1].threads).toBe(1)
    await f.finishAll()
    await third
  })
})

describe('SharedTaskPool pre-warm', () => {
  it('keepWarm starts the pool at the budget and warms it once, before any task, reporting how it went', async () => {
    const f = fakePools()
    const heard: WarmOutcome[] = []
    const shared = new SharedTaskPool(() => 3, f.create)
    shared.keepWarm((o) => heard.push(o))
    await tick()
    expect(f.created).toHaveLength(1)
    expect(f.created[0]).toMatchObject({ threads: 3, warmUps: 1, tasks: [] })
    await f.finishWarmUps()
    expect(heard).toHaveLength(1)
    expect('report' in heard[0] && heard[0].report.threads.map((t) => t.threadId)).toEqual([1, 2, 3])
    // The first task runs on the warmed pool; asking to warm again does not warm it twice.
    const run = shared.run('load', {})
    await shared.warm()
    await tick()
    expect(f.created).toHaveLength(1)
    expect(f.created[0]).toMatchObject({ warmUps: 1, tasks: ['load'] })
    await f.finishAll()
    await run
  })

  it('a failed warm-up is reported, never thrown, and the first task still runs on that pool', async () => {
    const f = fakePools({ warmFails: true })
    const heard: WarmOutcome[] = []
    const shared = new SharedTaskPool(() => 2, f.create)
    shared.keepWarm((o) => heard.push(o))
    await tick()
    await f.finishWarmUps()
    expect(heard).toHaveLength(1)
    expect('error' in heard[0] && String(heard[0].error)).toMatch(/no h5wasm/)
    const run = shared.run('load', {})
    await tick()
    expect(f.created).toHaveLength(1)
    expect(f.created[0].tasks).toEqual(['load'])
    await f.finishAll()
    await run
  })

  it('a new budget replaces an idle warm pool and warms the new one without waiting for a task', async () => {
    const f = fakePools()
    let budget = 2
    const heard: WarmOutcome[] = []
    const shared = new SharedTaskPool(() => budget, f.create)
    shared.keepWarm((o) => heard.push(o))
    await tick()
    await f.finishWarmUps()
    budget = 1
    shared.budgetChanged()
    await tick()
    await tick()
    expect(f.created).toHaveLength(2)
    expect(f.created[0].destroyed).toBe(true)
    expect(f.created[1]).toMatchObject({ threads: 1, warmUps: 1, tasks: [] })
    await f.finishWarmUps()
    expect(heard.map((o) => 'report' in o && [o.report.threads.length, o.reason])).toEqual([[2, 'start'], [1, 'budget']])
  })

  it('a new budget during a task warms the replacement as soon as the task ends', async () => {
    const f = fakePools()
    let budget = 2
    const shared = new SharedTaskPool(() => budget, f.create)
    shared.keepWarm(() => {})
    await tick()
    await f.finishWarmUps()
    const run = shared.run('load', {})
    await tick()
    budget = 4
    shared.budgetChanged()
    await tick()
    expect(f.created).toHaveLength(1) // the running task keeps its pool
    await f.finishAll()
    await run
    await tick()
    expect(f.created).toHaveLength(2)
    expect(f.created[0].destroyed).toBe(true)
    expect(f.created[1]).toMatchObject({ threads: 4, warmUps: 1, tasks: [] })
    await f.finishWarmUps()
  })

  it('a warm pool that did work and then sat idle is replaced by a fresh warm one; an unused one is kept', async () => {
    const f = fakePools()
    const heard: WarmOutcome[] = []
    const shared = new SharedTaskPool(() => 2, f.create, 5)
    shared.keepWarm((o) => heard.push(o))
    await tick()
    await f.finishWarmUps()
    await new Promise((r) => setTimeout(r, 30))
    expect(f.created).toHaveLength(1) // warmed but never used: nothing to give back
    const run = shared.run('load', {})
    await tick()
    await f.finishAll()
    await run
    while (f.created.length < 2) await new Promise((r) => setTimeout(r, 5))
    expect(f.created[0].destroyed).toBe(true)
    expect(f.created[1]).toMatchObject({ threads: 2, warmUps: 1, tasks: [] })
    await f.finishWarmUps()
    expect(heard.map((o) => o.reason)).toEqual(['start', 'idle'])
    await shared.destroy()
  })

  it('a task that runs keeps its pool however long it takes', async () => {
    const f = fakePools()
    const shared = new SharedTaskPool(() => 2, f.create, 5)
    shared.keepWarm(() => {})
    await tick()
    await f.finishWarmUps()
    const first = shared.run('a', {})
    await tick()
    await f.finishAll()
    await first
    const long = shared.run('b', {}) // starts before the idle renewal is due, and cancels it
    await new Promise((r) => setTimeout(r, 30))
    expect(f.created).toHaveLength(1)
    await f.finishAll()
    await long
    await shared.destroy()
  })

  it('closing during a warm-up ends quietly', async () => {
    const f = fakePools({ warmFails: true })
    const heard: WarmOutcome[] = []
    const shared = new SharedTaskPool(() => 2, f.create)
    shared.keepWarm((o) => heard.push(o))
    await tick()
    await shared.destroy()
    await f.finishWarmUps() // the destroyed pool's warm-up fails, as a terminated thread's would
    expect(heard).toEqual([])
    expect(await shared.warm()).toBeNull()
  })
})

describe('the workbench', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wb-pool-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('sizes its one pool from the worker-threads setting and refuses a bad value naming it', async () => {
    const service = createWorkbenchService({ transport: 'web', workdir: dir })
    try {
      expect(service.taskPool.threads).toBe(threadsFor(0))
      await service.dispatch('settings.set', { workerThreads: 3 })
      expect(service.taskPool.threads).toBe(3)
      await expect(service.dispatch('settings.set', { workerThreads: -1 })).rejects.toMatchObject({ parameter: 'workerThreads' })
    } finally {
      await service.close()
    }
  })
})
