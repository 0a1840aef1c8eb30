// Fault test of the crash budget through the CLI: the first recording of a batch kills its program
// every time it runs (here: SIGKILL from outside while it is the running item, as the kernel's OOM
// killer would). After at most two restarts the batch finishes: that recording failed with
// "crashed the worker twice; skipped", the others done.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import type { QueueFile } from '../../src-shared/batchModel'
import { logPath, queuePath } from '../../src-main/batch/store'
import { generateBatchRecordings } from '../integration/batchFixtures'

// Several CLI runs of real recordings: on a shared, loaded machine this takes minutes, never a fixed time.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 })

const CLI = resolve('out/main/cli.js')
let root = ''

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx electron-vite build\` before these tests`)
  root = await mkdtemp(join(tmpdir(), 'batch-crash-'))
  await generateBatchRecordings(join(root, 'recordings'), ['crash_a', 'crash_b', 'crash_c'])
})

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true })
})

const readQueue = (out: string) =>
  readFile(queuePath(out), 'utf8').then(
    (t) => JSON.parse(t) as QueueFile,
    () => null,
  )

/** Runs the batch CLI and SIGKILLs it as soon as the queue file shows `id` running its attempt `attempt`. */
async function runAndKillWhileRunning(args: string[], out: string, id: string, attempt: number): Promise<void> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  let killed = false
  const deadline = Date.now() + 120_000
  while (!killed && Date.now() < deadline && child.exitCode === null) {
    const item = (await readQueue(out))?.items.find((i) => i.id === id)
    if (item?.state === 'running' && item.attempts === attempt) {
      child.kill('SIGKILL')
      killed = true
    } else await new Promise((r) => setTimeout(r, 20))
  }
  expect(killed, `the CLI never ran ${id}: ${output}`).toBe(true)
  expect(await exited).toBeNull()
}

it('a recording that kills its program is failed after two deaths and the others are done', async () => {
  const out = join(root, 'out')
  const args = ['batch', join(root, 'recordings'), '--out', out, '--workers', '1']
  await runAndKillWhileRunning(args, out, 'crash_a', 1)
  await runAndKillWhileRunning(args, out, 'crash_a', 2)
  const third = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 })
  expect(third.status, third.stdout + third.stderr).toBe(1)
  const q = await readQueue(out)
  expect(Object.fromEntries(q!.items.map((i) => [i.id, i.state]))).toEqual({ crash_a: 'failed', crash_b: 'done', crash_c: 'done' })
  expect(q!.items[0].error?.message).toBe('crashed the worker twice; skipped')
  expect(third.stdout).toMatch(/crash_a +failed .*crashed the worker twice; skipped/)
  expect(existsSync(join(out, 'crash_b.h5')) && existsSync(join(out, 'crash_c.h5'))).toBe(true)
  expect(existsSync(join(out, 'crash_a.h5'))).toBe(false)
  expect(await readFile(logPath(out, 'crash_a'), 'utf8')).toMatch(/died while this recording ran \(2 times\)/)
  // A fourth run does not pick it again by itself (it would die again); it says why.
  const fourth = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 })
  expect(fourth.stderr).toContain('crash_a crashed the worker twice; skipped (not retried')
  expect((await readQueue(out))!.items[0].state).toBe('failed')
})
