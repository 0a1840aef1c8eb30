// One CPU budget: the wizard and the batch borrow the same pool, never more threads than the budget,
// and a changed budget replaces the pool only once no task is running.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { SharedTaskPool, threadsFor } from '../../src-main/pool/sharedPool'
import type { TaskPool } from '../../src-main/pool/taskPool'
import { createWorkbenchService } from '../../src-main/workbench/create'

/** A pool that records how many tasks run at once and lets the test finish them one by one. */
function fakePools() {
  const created: { threads: number; destroyed: boolean; peak: number }[] = []
  const pending: (() => void)[] = []
  const create = (threads: number): TaskPool => {
    const rec = { threads, destroyed: false, peak: 0 }
    created.push(rec)
    let running = 0
    return {
      threads,
      run: <T>() =>
        new Promise<T>((resolve) => {
          running++
          rec.peak = Math.max(rec.peak, running)
          pending.push(() => {
            running--
            resolve(undefined as T)
          })
        }),
      async destroy() {
        rec.destroyed = true
      },
    }
  }
  const finishAll = async () => {
    while (pending.length) pending.shift()!()
    await new Promise((r) => setTimeout(r, 0))
  }
  return { created, create, finishAll }
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
