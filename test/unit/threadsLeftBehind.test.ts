// A thread a cancel left inside a blocking call (modelled by opening a FIFO nobody writes) keeps Node's
// process.exit waiting; exitProcess kills the process instead while such a thread runs, and exits
// normally once it has ended.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { afterAll, describe, expect, it } from 'vitest'
import { exitProcess, leaveBehind, threadsStillStuck } from '../../src-worker/threadsLeftBehind'
import { answerFifo } from '../fixtures/fifo'

const dir = mkdtempSync(join(tmpdir(), 'left-behind-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function calls() {
  const seen: string[] = []
  return { seen, deps: { exit: (code: number) => seen.push(`exit ${code}`), kill: () => seen.push('kill'), log: (m: string) => seen.push(m), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) } }
}

describe('threads left behind by a cancel', () => {
  it('a terminated thread that is not stuck gets time to end, and the process then exits with its code', async () => {
    const busy = new Worker('setInterval(() => {}, 1000)', { eval: true })
    await new Promise((r) => busy.once('online', r))
    void busy.terminate()
    leaveBehind(busy)
    const { seen, deps } = calls()
    await exitProcess(4, deps)
    expect(seen).toEqual(['exit 4'])
  })

  it('a thread that ended is not counted, and the process exits with its code', async () => {
    const done = new Worker('1', { eval: true })
    await new Promise((r) => done.once('exit', r))
    leaveBehind(done)
    expect(threadsStillStuck()).toBe(0)
    const { seen, deps } = calls()
    await exitProcess(3, deps)
    expect(seen).toEqual(['exit 3'])
  })

  it('a thread stuck in a blocking open is counted until the call returns; meanwhile exitProcess kills instead of exiting', async () => {
    const fifo = join(dir, 'share.cmcr')
    execFileSync('mkfifo', [fifo])
    const stuck = new Worker(`require('node:fs').openSync(${JSON.stringify(fifo)}, 'r')`, { eval: true })
    stuck.unref()
    await sleep(300)
    void stuck.terminate()
    leaveBehind(stuck)
    await sleep(200)
    expect(threadsStillStuck()).toBe(1)
    const first = calls()
    await exitProcess(0, first.deps)
    expect(first.seen).toEqual(['1 thread is still waiting on a file that does not answer (a hung network share?); ending the process without waiting for it', 'kill'])

    // The share answers (a writer opens and closes the FIFO): the thread ends and is no longer counted.
    const ended = new Promise((r) => stuck.once('exit', r))
    for (let i = 0; i < 100 && stuck.threadId !== -1; i++) {
      answerFifo(fifo)
      await sleep(50)
    }
    await ended
    expect(threadsStillStuck()).toBe(0)
    const second = calls()
    await exitProcess(0, second.deps)
    expect(second.seen).toEqual(['exit 0'])
  }, 30_000)
})
