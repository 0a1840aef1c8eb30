// The batch engine on generated recordings through the real steps and worker pool, in-process and
// through the CLI (including a SIGKILL mid-batch and a restart).

import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { quickStartRecipe } from '../../src-main/batch/defaultRecipe'
import { scanFolder } from '../../src-main/batch/discovery'
import type { BatchItem, QueueFile } from '../../src-shared/batchModel'
import { BatchQueue } from '../../src-main/batch/runner'
import { checkpointPath, logPath, queuePath } from '../../src-main/batch/store'
import { createTaskPool, type TaskPool } from '../../src-main/pool/taskPool'
import { PipelineSession } from '../../src-main/session/session'
import { STEPS } from '../../src-main/steps/index'
import type { GeneratedRecording } from '../../src-worker/synthetic/generator'
import { BATCH_UNITS, generateBatchRecordings } from './batchFixtures'

const CLI = resolve('out/main/cli.js')
/** The default recipe's loader: the eimage loader when it is registered, else load_recording. */
const LOADER = quickStartRecipe(STEPS).steps[0].step
const NAMES = ['ret_a', 'ret_b', 'ret_c', 'ret_d', 'ret_e']

let root = ''
let recs: GeneratedRecording[] = []
let pool: TaskPool

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx electron-vite build\` before these tests`)
  root = await mkdtemp(join(tmpdir(), 'batch-int-'))
  recs = await generateBatchRecordings(join(root, 'recordings'), NAMES)
  pool = createTaskPool({ threads: 2 })
})

afterAll(async () => {
  await pool?.destroy()
  if (root) await rm(root, { recursive: true, force: true })
})

const byId = (items: BatchItem[]) => Object.fromEntries(items.map((i) => [i.id, i]))

describe('batch with the real steps', () => {
  it('5 recordings, one truncated and one with an archive already: 3 done, 1 skipped, 1 failed with a clear error', async () => {
    const inputsRoot = join(root, 'recordings')
    // ret_d's .cmtr is cut to a third, as an interrupted copy from the rig would be.
    const cut = recs[3].cmtrPath
    await truncate(cut, Math.floor((await stat(cut)).size / 3))
    const out = join(root, 'out-engine')
    const existing = join(out, 'ret_b.h5')
    await rm(out, { recursive: true, force: true })
    const { mkdir } = await import('node:fs/promises')
    await mkdir(out, { recursive: true })
    await writeFile(existing, 'an archive from an earlier run')

    const found = await scanFolder(inputsRoot)
    expect(found.inputs.map((i) => i.datasetId)).toEqual(NAMES)
    const queue = await BatchQueue.open({ outputDir: out, steps: STEPS, pool, recipe: quickStartRecipe(STEPS), options: { concurrency: 2, workersPerItem: 1 } })
    try {
      await queue.add(found.inputs)
      const summary = await queue.start()
      expect(summary.counts).toEqual({ queued: 0, running: 0, done: 3, skipped: 1, failed: 1, cancelled: 0 })
      const items = byId(queue.getItems())
      expect(Object.fromEntries(NAMES.map((n) => [n, items[n].state]))).toEqual({
        ret_a: 'done',
        ret_b: 'skipped',
        ret_c: 'done',
        ret_d: 'failed',
        ret_e: 'done',
      })
      expect(items.ret_d.error?.step).toBe(LOADER)
      expect(items.ret_d.error?.message).toContain(cut)
      expect(items.ret_d.error?.message).toMatch(/truncated|corrupt/i)
      expect(items.ret_b.note).toBe(`output exists: ${existing}`)
      expect(await readFile(existing, 'utf8')).toBe('an archive from an earlier run')

      for (const name of ['ret_a', 'ret_c', 'ret_e']) {
        const s = await PipelineSession.load(join(out, `${name}.h5`))
        expect(s.datasetId).toBe(name)
        expect(s.unitCount).toBe(BATCH_UNITS)
        for (const step of quickStartRecipe(STEPS).steps) expect(s.completedSteps.has(step.step)).toBe(true)
        expect(existsSync(checkpointPath(out, name))).toBe(false)
      }
      expect(await queue.readLog('ret_d')).toContain(`failed in ${LOADER}:`)
    } finally {
      await queue.close()
    }
  })
})

function readQueue(out: string): Promise<QueueFile | null> {
  return readFile(queuePath(out), 'utf8').then(
    (t) => JSON.parse(t) as QueueFile,
    () => null,
  )
}

describe('batch CLI', () => {
  it('killed mid-batch and started again, it completes without redoing finished items', async () => {
    // Three good recordings through a mapping CSV (the truncated one and another are left out).
    const good = recs.filter((_, i) => i !== 3 && i !== 4)
    const csv = join(root, 'mapping.csv')
    await writeFile(
      csv,
      ['cmcr_path,cmtr_path,matched', ...good.map((r) => `"${r.cmcrPath}","${r.cmtrPath}",True`), `"x.cmcr","x-.cmtr",False`].join('\r\n'),
    )
    const out = join(root, 'out-cli')
    const child = spawn(process.execPath, [CLI, 'batch', csv, '--out', out, '--workers', '1'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let firstOutput = ''
    child.stdout.on('data', (d) => (firstOutput += d))
    child.stderr.on('data', (d) => (firstOutput += d))
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))

    // Kill it once one recording is done and the next has a checkpoint on disk.
    let atKill: QueueFile | null = null
    const deadline = Date.now() + 90_000
    while (Date.now() < deadline) {
      const q = await readQueue(out)
      const running = q?.items.find((i) => i.state === 'running')
      if (q && running && q.items.some((i) => i.state === 'done') && existsSync(checkpointPath(out, running.id))) {
        child.kill('SIGKILL')
        atKill = q
        break
      }
      await new Promise((r) => setTimeout(r, 25))
    }
    expect(await exited, firstOutput).toBeNull()
    expect(atKill, `the CLI never reached a done item plus a checkpoint: ${firstOutput}`).not.toBeNull()
    const doneBefore = atKill!.items.filter((i) => i.state === 'done').map((i) => i.id)
    const mtimes = new Map<string, number>()
    for (const id of doneBefore) mtimes.set(id, (await stat(join(out, `${id}.h5`))).mtimeMs)
    const queueAfterKill = await readQueue(out)
    const interrupted = queueAfterKill!.items.find((i) => i.state === 'running')

    const second = spawnSync(process.execPath, [CLI, 'batch', csv, '--out', out, '--workers', '1'], { encoding: 'utf8', timeout: 120_000 })
    expect(second.status, second.stdout + second.stderr).toBe(0)
    expect(second.stdout).toMatch(/3 done, 0 skipped, 0 failed, 0 cancelled, 0 queued/)
    for (const r of good) {
      const id = r.cmtrPath.split('/').pop()!.replace(/-\.cmtr$/, '')
      expect(existsSync(join(out, `${id}.h5`))).toBe(true)
    }
    // Finished archives were not written again, and their logs show a single attempt.
    for (const id of doneBefore) {
      expect((await stat(join(out, `${id}.h5`))).mtimeMs).toBe(mtimes.get(id))
      const log = await readFile(logPath(out, id), 'utf8')
      expect(log.match(/attempt \d+:/g)).toHaveLength(1)
      expect(second.stdout).not.toMatch(new RegExp(`\\] done +${id} `))
    }
    // The recording in flight resumed from its checkpoint: its load ran once over both runs.
    if (interrupted) {
      const log = await readFile(logPath(out, interrupted.id), 'utf8')
      expect(log).toMatch(/resuming from checkpoint/)
      expect(log.split('\n').filter((l) => l.includes(` ${LOADER}: `))).toHaveLength(1)
    }
    const final = await readQueue(out)
    expect(final!.items.map((i) => i.state)).toEqual(['done', 'done', 'done'])
    expect(existsSync(join(out, '.hdmea-batch', 'lock'))).toBe(false)
  })

  it('Ctrl+C stops cleanly: exit 130, nothing left running in the queue, the folder unlocked', async () => {
    const out = join(root, 'out-sigint')
    const child = spawn(process.execPath, [CLI, 'batch', join(root, 'recordings', 'ret_a'), join(root, 'recordings', 'ret_c'), '--out', out], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline && !(await readQueue(out))?.items.some((i) => i.state === 'running')) {
      await new Promise((r) => setTimeout(r, 20))
    }
    child.kill('SIGINT')
    expect(await exited, output).toBe(130)
    expect(output).toContain('run the same command again to resume')
    const q = await readQueue(out)
    expect(q!.items.filter((i) => i.state === 'running')).toEqual([])
    expect(q!.items.some((i) => i.state === 'queued')).toBe(true)
    expect(existsSync(join(out, '.hdmea-batch', 'lock'))).toBe(false)
  })

  it('exits non-zero and names the failure when a recording fails, and 2 on bad arguments', () => {
    const res = spawnSync(process.execPath, [CLI, 'batch', join(root, 'recordings', 'ret_d'), '--out', join(root, 'out-fail')], { encoding: 'utf8' })
    expect(res.status).toBe(1)
    expect(res.stdout).toMatch(new RegExp(`failed +ret_d .*${LOADER}: .*ret_d-\\.cmtr`))
    expect(res.stdout).toMatch(/0 done, 0 skipped, 1 failed/)
    // HDF5's reason is in the message; no raw HDF5 error stack reaches the terminal.
    expect(res.stdout).toMatch(/HDF5: truncated file: eof = \d+/)
    expect(res.stdout + res.stderr).not.toContain('HDF5-DIAG')
    const bad = spawnSync(process.execPath, [CLI, 'batch', join(root, 'recordings')], { encoding: 'utf8' })
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('--out DIR is required')
  })
})
