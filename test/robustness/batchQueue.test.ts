// The batch queue against a hand-edited or damaged queue.json, two runners starting at once, the
// debris of a killed writer, a queue write that fails while an item fails, and an item that was
// running twice when its program died (issue 10: items 2, 9, 11, 14).

import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { BatchInput } from '../../src-main/batch/discovery'
import { validateRecipe } from '../../src-main/batch/recipe'
import { BatchQueue } from '../../src-main/batch/runner'
import * as store from '../../src-main/batch/store'
import { acquireQueueLock, releaseQueueLock } from '../../src-main/batch/lock'
import type { TaskPool } from '../../src-main/pool/taskPool'
import type { StepDefinition } from '../../src-main/steps/framework'
import { FileAccessError } from '../../src-shared/errors'
import { f64 } from '../../src-shared/tree'
import type { QueueFile } from '../../src-shared/batchModel'

// Queue writes can be made to fail as on a full disk (ENOSPC) while `diskFull` is set.
let diskFull = false
vi.mock('../../src-main/batch/store', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src-main/batch/store')>()
  return {
    ...real,
    writeQueueFile: async (content: QueueFile) => {
      if (diskFull) {
        const err = Object.assign(new Error(`ENOSPC: no space left on device, open '${real.queuePath(content.outputDir)}.tmp'`), { code: 'ENOSPC' })
        throw new FileAccessError('FILE_LOCKED', `Cannot write ${real.queuePath(content.outputDir)}: ${err.message}`, { cause: err })
      }
      return real.writeQueueFile(content)
    },
  }
})

/** A loader double: reads {"units": n} from the .cmtr; "fail" in the file makes it throw. */
const load: StepDefinition<{ cmcr_path: string | null; cmtr_path: string | null }> = {
  id: 'load_recording',
  title: 'Load',
  description: 'reads the test recording',
  params: [
    { name: 'cmcr_path', label: 'CMCR', type: 'path', default: null, help: '', optional: true },
    { name: 'cmtr_path', label: 'CMTR', type: 'path', default: null, help: '', optional: true },
  ],
  prerequisites: [],
  async run(_session, p) {
    const text = await readFile(p.cmtr_path!, 'utf8')
    if (text.includes('fail')) throw new FileAccessError('FILE_CORRUPT', `CMTR file ${p.cmtr_path} is damaged`, { path: p.cmtr_path! })
    const units = JSON.parse(text).units as number
    return { summary: `${units} units`, apply: (s) => s.addMetadata({ n: f64([units], []) }) }
  },
}
const STEPS = [load]
const noPool: TaskPool = { threads: 1, run: async () => Promise.reject(new Error('no pool')), destroy: async () => {} }
const recipe = () => validateRecipe({ name: 'robust', steps: ['load_recording'] }, { steps: STEPS })

let root = ''
let out = ''
const opened: BatchQueue[] = []

async function recordings(specs: string[]): Promise<BatchInput[]> {
  return Promise.all(
    specs.map(async (content, i) => {
      const id = `rec${i}`
      await writeFile(join(root, `${id}.cmcr`), 'raw')
      await writeFile(join(root, `${id}-.cmtr`), content)
      return { datasetId: id, cmcrPath: join(root, `${id}.cmcr`), cmtrPath: join(root, `${id}-.cmtr`), origin: 'test' }
    }),
  )
}

async function openQueue(): Promise<BatchQueue> {
  const q = await BatchQueue.open({ outputDir: out, steps: STEPS, pool: noPool, recipe: recipe() })
  opened.push(q)
  return q
}

/** A queue.json as the engine writes it, with `edit` applied to its first item. */
async function writeEditedQueue(edit: (item: Record<string, unknown>) => void, state = 'queued'): Promise<string> {
  const [input] = await recordings(['{"units": 2}'])
  const item: Record<string, unknown> = {
    id: input.datasetId,
    datasetId: input.datasetId,
    cmcrPath: input.cmcrPath,
    cmtrPath: input.cmtrPath,
    origin: 'test',
    outputPath: join(out, `${input.datasetId}.h5`),
    state,
    completedSteps: [],
    error: null,
    note: null,
    attempts: 0,
    addedAt: '',
    startedAt: null,
    finishedAt: null,
    elapsedS: 0,
  }
  edit(item)
  await mkdir(join(out, '.hdmea-batch'), { recursive: true })
  const file = { format: 'hdmea-batch-queue', version: 1, outputDir: out, recipe: recipe(), options: { concurrency: 1, workersPerItem: 1, overwrite: false }, items: [item] }
  await writeFile(store.queuePath(out), JSON.stringify(file))
  return store.queuePath(out)
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'batch-robust-'))
  out = join(root, 'out')
  await mkdir(out)
  diskFull = false
})

afterEach(async () => {
  diskFull = false
  for (const q of opened.splice(0)) await q.close()
  await rm(root, { recursive: true, force: true })
})

describe('hand-edited queue.json (item id / outputPath)', () => {
  it.each([
    ['an id that climbs out', (it: Record<string, unknown>) => ((it.id = '../escaped'), (it.outputPath = join(out, '../escaped.h5'))), "'items[0].id'"],
    ['an id with a path separator', (it: Record<string, unknown>) => (it.id = 'sub/x'), "'items[0].id'"],
    ['an outputPath outside the folder', (it: Record<string, unknown>) => (it.outputPath = join(root, 'elsewhere', 'rec0.h5').replace('/elsewhere', '/out/../elsewhere')), "'items[0].outputPath'"],
    ['an outputPath naming another file', (it: Record<string, unknown>) => (it.outputPath = '/etc/passwd'), "'items[0].outputPath'"],
    ['a missing state', (it: Record<string, unknown>) => delete it.state, "'items[0].state'"],
  ])('%s is refused with the field and the file named, and nothing is written', async (_name, edit, field) => {
    const path = await writeEditedQueue(edit)
    const before = await readFile(path, 'utf8')
    const err = await openQueue().catch((e) => e)
    expect(err).toBeInstanceOf(FileAccessError)
    expect(err.code).toBe('FILE_CORRUPT')
    expect(err.message).toContain(path)
    expect(err.message).toContain(field)
    expect(await readFile(path, 'utf8')).toBe(before)
    expect(existsSync(join(root, 'escaped.h5'))).toBe(false)
    expect(existsSync(join(root, 'elsewhere'))).toBe(false)
    // The folder is not left locked by the refused open.
    expect(existsSync(store.lockPath(out))).toBe(false)
  })

  it('a queue.json with options of the wrong type names the field', async () => {
    await writeEditedQueue(() => {})
    const raw = JSON.parse(await readFile(store.queuePath(out), 'utf8'))
    raw.options.concurrency = 'two'
    await writeFile(store.queuePath(out), JSON.stringify(raw))
    await expect(openQueue()).rejects.toThrow(/'options\.concurrency' expected number/)
  })

  it('a new item whose dataset id is not a file name is rejected, not queued', async () => {
    const q = await openQueue()
    const [input] = await recordings(['{"units": 1}'])
    const { added, rejected } = await q.add([{ ...input, datasetId: '..' }])
    expect(added).toEqual([])
    expect(rejected[0]).toMatch(/dataset id '\.\.' .*names a folder/)
  })
})

describe('queue lock and stray temp files', () => {
  it('two opens racing for the same folder: exactly one gets the lock', async () => {
    await mkdir(join(out, '.hdmea-batch'), { recursive: true })
    const results = await Promise.allSettled([acquireQueueLock(out), acquireQueueLock(out)])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    expect((await readFile(store.lockPath(out), 'utf8')).trim()).toBe(String(process.pid))
    await releaseQueueLock(out)
    expect(existsSync(store.lockPath(out))).toBe(false)
  })

  it('a lock left by a dead process is taken over; one held by a live process is not', async () => {
    await mkdir(join(out, '.hdmea-batch'), { recursive: true })
    await writeFile(store.lockPath(out), '999999\n') // above the default pid_max: never alive
    const q = await openQueue()
    expect((await readFile(store.lockPath(out), 'utf8')).trim()).toBe(String(process.pid))
    await q.close()
    opened.splice(0)
    await writeFile(store.lockPath(out), `${process.ppid}\n`)
    await expect(openQueue()).rejects.toThrow(new RegExp(`pid ${process.ppid}`))
    await rm(store.lockPath(out))
  })

  it('temp files of a killed queue write are removed when the queue is opened', async () => {
    await mkdir(join(out, '.hdmea-batch'), { recursive: true })
    const stray = ['.queue.json.4242.1.tmp', '.queue.json.4242.7.tmp']
    for (const name of stray) await writeFile(join(out, '.hdmea-batch', name), '{"half": ')
    await openQueue()
    const left = await readdir(join(out, '.hdmea-batch'))
    for (const name of stray) expect(left).not.toContain(name)
    expect(left).toContain('queue.json')
  })
})

describe('failures are recorded in the queue', () => {
  it('an item that fails while the queue cannot be written is recorded as failed once there is room again', async () => {
    const inputs = await recordings(['fail'])
    const q = await openQueue()
    await q.add(inputs)
    const problems: string[] = []
    q.on('problem', (m) => problems.push(m))
    // The disk fills up once the item's "running" state is on disk: nothing after it reaches the file.
    q.on('log', ({ line }) => {
      if (/attempt 1:/.test(line)) diskFull = true
    })
    const summary = await q.start()
    expect(summary.counts.failed).toBe(1)
    expect(problems.some((m) => m.includes('ENOSPC'))).toBe(true)
    const onDisk = async () => JSON.parse(await readFile(store.queuePath(out), 'utf8')) as QueueFile
    expect((await onDisk()).items[0].state).toBe('running')
    diskFull = false
    // Nothing else happens in the queue; the failure still reaches the file.
    await vi.waitFor(async () => expect((await onDisk()).items[0].state).toBe('failed'), { timeout: 30_000, interval: 100 })
    expect((await onDisk()).items[0].error?.message).toContain('is damaged')
  })
})

describe('crash budget', () => {
  it('an item found running after its program died a second time is failed and skipped; the others run', async () => {
    const [crashed] = await recordings(['{"units": 1}'])
    await writeEditedQueue((it) => ((it.crashes = 1), (it.attempts = 2), (it.startedAt = new Date().toISOString())), 'running')
    const more = (await recordings(['{"units": 1}', '{"units": 2}', '{"units": 3}'])).slice(1)
    const q = await openQueue()
    await q.add(more)
    const first = q.getItems()[0]
    expect(first.id).toBe(crashed.datasetId)
    expect(first.state).toBe('failed')
    expect(first.error).toEqual({ code: 'WORKER_CRASHED', message: 'crashed the worker twice; skipped' })
    const summary = await q.start()
    expect(summary.counts).toMatchObject({ done: 2, failed: 1, queued: 0, running: 0 })
    expect(await q.readLog(crashed.datasetId)).toContain('crashed the worker twice; skipped')
  })

  it('the first death only puts the item back in the queue, and a retry gives it a fresh budget', async () => {
    await writeEditedQueue((it) => ((it.attempts = 1), (it.startedAt = new Date().toISOString())), 'running')
    const q = await openQueue()
    expect(q.getItems()[0]).toMatchObject({ state: 'queued', crashes: 1 })
    await q.close()
    opened.splice(0)
    const raw = JSON.parse(await readFile(store.queuePath(out), 'utf8'))
    raw.items[0].state = 'running'
    await writeFile(store.queuePath(out), JSON.stringify(raw))
    const again = await openQueue()
    expect(again.getItems()[0]).toMatchObject({ state: 'failed', crashes: 2 })
    await again.retry('rec0')
    expect(again.getItems()[0]).toMatchObject({ state: 'queued', crashes: 0 })
  })
})
