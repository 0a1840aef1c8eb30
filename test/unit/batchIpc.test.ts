// The batch.* requests through the workbench service in browser mode: the allowed-folder rule applies
// to every path, a run emits batch events, and the queue is visible to a later batch.get.
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { attachBatch } from '../../src-main/batch/ipc'
import type { BatchSnapshot } from '../../src-shared/batchModel'
import type { TaskPool } from '../../src-main/pool/taskPool'
import { FileAccessError } from '../../src-shared/errors'
import { f64 } from '../../src-shared/tree'
import type { StepDefinition } from '../../src-main/steps/framework'
import { WorkbenchService } from '../../src-main/workbench/service'

// A test double of the loader: reads the .cmtr as JSON {units}, fails on anything else.
const load: StepDefinition<{ cmcr_path: string | null; cmtr_path: string | null }> = {
  id: 'load_recording',
  title: 'Load',
  description: 'test loader',
  params: [
    { name: 'cmcr_path', label: 'CMCR', type: 'path', default: null, help: '', optional: true },
    { name: 'cmtr_path', label: 'CMTR', type: 'path', default: null, help: '', optional: true },
  ],
  prerequisites: [],
  async run(_s, p) {
    let units: number
    try {
      units = JSON.parse(await readFile(p.cmtr_path!, 'utf8')).units
    } catch {
      throw new FileAccessError('FILE_CORRUPT', `CMTR file is damaged: ${p.cmtr_path}`, { path: p.cmtr_path! })
    }
    return { summary: `${units} units`, apply: (s) => s.addMetadata({ n: f64([units], []) }) }
  },
}
const noPool: TaskPool = { threads: 1, run: async () => Promise.reject(new Error('no pool')), destroy: async () => {} }

let root = ''
let service: WorkbenchService
const events: { name: string; payload: unknown }[] = []

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'batch-ipc-'))
  await mkdir(join(root, 'allowed', 'recs'), { recursive: true })
  await mkdir(join(root, 'elsewhere'))
  for (const [name, body] of [
    ['a', '{"units": 3}'],
    ['b', '{"units'],
  ]) {
    await writeFile(join(root, 'allowed', 'recs', `${name}.cmcr`), 'raw')
    await writeFile(join(root, 'allowed', 'recs', `${name}-.cmtr`), body)
  }
  service = new WorkbenchService({ transport: 'web', workdir: join(root, 'work'), steps: [load] })
  service.allowFolders([join(root, 'allowed')])
  attachBatch(service, { createPool: () => noPool })
  events.length = 0
  service.onEvent((name, payload) => events.push({ name, payload }))
})

afterEach(async () => {
  await service.dispatch('batch.close', {})
  // Settings are written in the background: close (which flushes them) before the folder goes.
  await service.close()
  await rm(root, { recursive: true, force: true })
})

const recipe = { name: 'load only', steps: ['load_recording'] }

describe('batch requests', () => {
  it('refuses folders outside the allowed ones in browser mode', async () => {
    await expect(service.dispatch('batch.open', { outputDir: join(root, 'elsewhere', 'out'), recipe })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await service.dispatch('batch.open', { outputDir: join(root, 'allowed', 'out'), recipe })
    await expect(service.dispatch('batch.add', { paths: [join(root, 'elsewhere')] })).rejects.toMatchObject({ code: 'FORBIDDEN' })
  })

  it('opens, adds a folder, runs with events, and a later batch.get sees the finished states', async () => {
    const opened = (await service.dispatch('batch.open', { outputDir: join(root, 'allowed', 'out'), recipe })) as BatchSnapshot
    expect(opened.recipe.name).toBe('load only')
    const added = (await service.dispatch('batch.add', { paths: [join(root, 'allowed', 'recs')] })) as { added: string[]; notes: string[] }
    expect(added.added).toEqual(['a', 'b'])
    const finished = new Promise<void>((resolve) =>
      service.onEvent((name, payload) => {
        if (name === 'batch.changed' && payload && !(payload as BatchSnapshot).running && (payload as BatchSnapshot).counts.queued === 0) resolve()
      }),
    )
    await service.dispatch('batch.start', {})
    await finished
    const snap = (await service.dispatch('batch.get', {})) as BatchSnapshot
    expect(snap.items.map((i) => [i.id, i.state])).toEqual([
      ['a', 'done'],
      ['b', 'failed'],
    ])
    expect(snap.items[1].error?.message).toBe(`CMTR file is damaged: ${join(root, 'allowed', 'recs', 'b-.cmtr')}`)
    expect(events.some((e) => e.name === 'batch.item' && (e.payload as { state: string }).state === 'running')).toBe(true)
    expect(events.some((e) => e.name === 'batch.log' && /failed in load_recording/.test((e.payload as { line: string }).line))).toBe(true)
    const log = (await service.dispatch('batch.log', { id: 'a' })) as { text: string }
    expect(log.text).toMatch(/load_recording: 3 units/)
  })

  it('rejects an invalid recipe with the step named', async () => {
    await expect(service.dispatch('batch.open', { outputDir: join(root, 'allowed', 'out'), recipe: { steps: ['load_recordin'] } })).rejects.toThrow(
      "recipe: steps[0]: unknown step 'load_recordin' (available: load_recording)",
    )
  })
})
