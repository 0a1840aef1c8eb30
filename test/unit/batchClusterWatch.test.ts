// The desktop's Batch view on an output folder a SLURM cluster fills: opened read-only, items merged
// from the tasks' state files, refreshed by polling, each item's log readable, actions refused.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import type { BatchItem, BatchSnapshot } from '../../src-shared/batchModel'
import { BatchController } from '../../src-main/batch/controller'
import { validateRecipe } from '../../src-main/batch/recipe'
import { writeItemState } from '../../src-main/batch/slurm/itemStateFile'
import { logPath, queuePath } from '../../src-main/batch/store'
import { batchItem, slurmStandIns } from '../fixtures/batch'
import type { StepDefinition } from '../../src-main/steps/framework'

const load: StepDefinition<Record<string, never>> = {
  id: 'load_recording',
  title: 'Load',
  description: 'a stand-in: the watcher never runs steps',
  params: [],
  prerequisites: [],
  run: async () => ({ summary: '', apply: () => {} }),
}

let root = ''
const savedPath = process.env.PATH

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cluster-watch-'))
  // A PC: squeue cannot reach a controller, so only the state files count.
  const bin = join(root, 'bin')
  await slurmStandIns(bin, { squeue: 'echo "squeue: error: Unable to contact slurm controller" >&2\nexit 1\n', sacct: 'exit 1\n' })
  process.env.PATH = `${bin}:${savedPath}`
})

afterAll(async () => {
  process.env.PATH = savedPath
  await rm(root, { recursive: true, force: true })
})

function item(id: string, state: BatchItem['state'], extra: Partial<BatchItem> = {}): BatchItem {
  return batchItem(id, state, join(root, 'out'), extra)
}

it('watches a SLURM batch read-only: merged states, live changes, logs; actions are refused', async () => {
  const out = join(root, 'out')
  await mkdir(join(out, '.hdmea-batch', 'logs'), { recursive: true })
  const recipe = validateRecipe({ name: 'cluster', steps: ['load_recording'] }, { steps: [load] })
  const engine = {
    kind: 'slurm',
    partition: 'main',
    sbatchArgs: [],
    maxParallel: 2,
    pathMap: [],
    node: 'node',
    cli: 'cli.js',
    resources: { cpus: 2, memMB: 2152, timeMin: 120 },
    submissions: [{ jobId: '77', indexes: [0, 1], submittedAt: '' }],
  }
  await writeFile(
    queuePath(out),
    JSON.stringify({ format: 'hdmea-batch-queue', version: 1, outputDir: out, recipe, options: { concurrency: 1, workersPerItem: 2, overwrite: false }, engine, items: [item('rec_a', 'queued'), item('rec_b', 'queued')] }),
  )
  const running = item('rec_a', 'running', {
    attempts: 1,
    startedAt: new Date().toISOString(),
    cluster: { jobId: '77', arrayTaskId: 0, node: 'node3' },
    progress: { stepIndex: 0, stepCount: 1, stepId: 'load_recording', fraction: 0.5 },
  })
  await writeItemState(out, running)
  await writeFile(logPath(out, 'rec_a'), '2026-12-01T10:00:00.000Z SLURM task 77_0 on node3\n')

  const snaps: (BatchSnapshot | null)[] = []
  const controller = new BatchController({ steps: [load], events: { changed: (s) => snaps.push(s), item: () => {}, log: () => {} } })
  try {
    const snap = await controller.open({ outputDir: out })
    expect(snap).toMatchObject({ engineKind: 'slurm', readOnly: true })
    expect(snap.items.map((i) => [i.id, i.state])).toEqual([
      ['rec_a', 'running'],
      ['rec_b', 'queued'],
    ])
    expect(snap.items[0].progress?.fraction).toBe(0.5)
    expect(snap.items[0].cluster).toMatchObject({ jobId: '77', arrayTaskId: 0, node: 'node3' })
    expect(snap.items[1].cluster).toMatchObject({ jobId: '77', arrayTaskId: 1 })
    expect((await controller.log('rec_a')).text).toContain('SLURM task 77_0 on node3')
    expect(() => controller.start()).toThrow(/run by SLURM; this view only watches it/)
    await expect(controller.retry('rec_b')).rejects.toThrow(/run by SLURM/)

    // The task finishes: the next poll shows it.
    await writeItemState(out, { ...running, state: 'done', progress: null, finishedAt: new Date().toISOString(), elapsedS: 12 })
    await vi.waitFor(() => expect(snaps.at(-1)?.items[0].state).toBe('done'), { timeout: 20_000, interval: 200 })
    expect(controller.snapshot()?.counts).toMatchObject({ done: 1, queued: 1 })
  } finally {
    await controller.dispose()
  }
  expect(snaps.at(-1)).toBeNull()
})
