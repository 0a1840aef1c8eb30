// The merged view of a queue a SLURM cluster runs: task state files over queue.json, and SLURM's word
// for tasks that ended without finishing (time limit, memory, lost). squeue and sacct are stand-in
// scripts on PATH that print what SLURM would, so the real parsing is exercised.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { BatchItem, QueueFile, SlurmEngineInfo } from '../../src-shared/batchModel'
import { clusterItems } from '../../src-main/batch/slurm/clusterView'
import { writeItemState } from '../../src-main/batch/slurm/itemStateFile'
import { mapPath, parsePathMapRule } from '../../src-main/batch/slurm/pathMap'
import { batchItem, slurmStandIns } from '../fixtures/batch'

let root = ''
const savedPath = process.env.PATH

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cluster-view-'))
  const bin = join(root, 'bin')
  // squeue as SLURM prints `-r --states=all -o %i|%T|%r|%N` for job 41: task 3 is forgotten (MinJobAge).
  await slurmStandIns(bin, {
    squeue: 'printf "41_0|OUT_OF_MEMORY|OutOfMemory|node7\\n41_1|TIMEOUT|TimeLimit|node7\\n41_2|PENDING|Resources|\\n41_4|RUNNING|None|node8\\n"\n',
    sacct: 'echo "Slurm accounting storage is disabled" >&2\nexit 1\n',
  })
  process.env.PATH = `${bin}:${savedPath}`
})

afterAll(async () => {
  process.env.PATH = savedPath
  await rm(root, { recursive: true, force: true })
})

/** Items of this test have been started once (attempts 1). */
function item(id: string, state: BatchItem['state'], extra: Partial<BatchItem> = {}): BatchItem {
  return batchItem(id, state, join(root, 'out'), { attempts: 1, startedAt: new Date().toISOString(), ...extra })
}

it('reports tasks SLURM killed with its reason, pending ones as queued, and lost ones as failed', async () => {
  const out = join(root, 'out')
  const engine: SlurmEngineInfo = {
    kind: 'slurm',
    partition: null,
    sbatchArgs: [],
    maxParallel: 4,
    pathMap: [],
    node: 'node',
    cli: 'cli.js',
    resources: { cpus: 2, memMB: 2000, timeMin: 60 },
    submissions: [{ jobId: '41', indexes: [0, 1, 2, 3, 4], submittedAt: '' }],
  }
  const items = ['oom', 'slow', 'waiting', 'lost', 'busy'].map((id) => item(id, 'queued'))
  const file: QueueFile = { format: 'hdmea-batch-queue', version: 1, outputDir: out, createdAt: '', updatedAt: '', recipe: { format: 'hdmea-batch-recipe', version: 1, name: 'r', steps: [], outputDir: null, checkpoint: true }, options: { concurrency: 1, workersPerItem: 2, overwrite: false }, engine, items }
  const task = (i: number) => ({ jobId: '41', arrayTaskId: i, node: 'node7' })
  // What the tasks wrote: the OOM one was killed mid-step; the slow one caught SIGTERM at its time limit.
  await writeItemState(out, item('oom', 'running', { cluster: task(0) }))
  await writeItemState(out, item('slow', 'cancelled', { cluster: task(1), note: 'stopped by SLURM (SIGTERM: ...)' }))
  await writeItemState(out, item('lost', 'running', { cluster: task(3) }))
  await writeItemState(out, item('busy', 'running', { cluster: task(4), progress: { stepIndex: 1, stepCount: 5, stepId: 'add_section_time', fraction: 0.5 } }))

  const { items: merged, schedulerSeen } = await clusterItems(file, out, { scheduler: true })
  expect(schedulerSeen).toBe(true)
  const by = Object.fromEntries(merged.map((i) => [i.id, i]))
  expect(by.oom.state).toBe('failed')
  expect(by.oom.error).toEqual({ code: 'SLURM_OUT_OF_MEMORY', message: 'SLURM task 41_0: killed by SLURM: out of memory (OUT_OF_MEMORY); raise it with --mem' })
  expect(by.slow.state).toBe('failed')
  expect(by.slow.error?.message).toBe('SLURM task 41_1: killed by SLURM: the time limit was reached (TIMEOUT); raise it with --time')
  expect(by.waiting).toMatchObject({ state: 'queued', note: 'pending in SLURM (Resources)' })
  expect(by.waiting.cluster).toMatchObject({ jobId: '41', arrayTaskId: 2, schedulerState: 'PENDING' })
  expect(by.lost.state).toBe('failed')
  expect(by.lost.error?.code).toBe('SLURM_TASK_LOST')
  expect(by.busy).toMatchObject({ state: 'running', cluster: { schedulerState: 'RUNNING', node: 'node8' } })
  expect(by.busy.progress?.fraction).toBe(0.5)

  // Without asking SLURM (a PC watching the folder), the state files stand as written.
  const plain = Object.fromEntries((await clusterItems(file, out, { scheduler: false })).items.map((i) => [i.id, i.state]))
  expect(plain).toEqual({ oom: 'running', slow: 'cancelled', waiting: 'queued', lost: 'running', busy: 'running' })
})

it('maps Windows drive and UNC prefixes to the cluster mount, case- and slash-blind', () => {
  const rules = [parsePathMapRule('O:\\=/mnt/lab/'), parsePathMapRule('\\\\server\\share=/mnt/share'), parsePathMapRule('/home/pc=/scratch/me')]
  expect(mapPath('O:\\2025\\set6\\X-Rec.cmcr', rules)).toBe('/mnt/lab/2025/set6/X-Rec.cmcr')
  expect(mapPath('o:/2025/a.cmtr', rules)).toBe('/mnt/lab/2025/a.cmtr')
  expect(mapPath('\\\\SERVER\\share\\rec\\b.cmcr', rules)).toBe('/mnt/share/rec/b.cmcr')
  expect(mapPath('/home/pc/x.cmcr', rules)).toBe('/scratch/me/x.cmcr')
  expect(mapPath('/home/pcx/x.cmcr', rules)).toBe('/home/pcx/x.cmcr')
  expect(mapPath('P:\\other.cmcr', rules)).toBe('P:\\other.cmcr')
  expect(() => parsePathMapRule('O:\\')).toThrow(/--path-map needs FROM=TO/)
})
