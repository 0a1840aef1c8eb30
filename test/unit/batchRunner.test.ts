import { cp, mkdtemp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { BatchInput } from '../../src-main/batch/discovery'
import type { BatchItem } from '../../src-shared/batchModel'
import { validateRecipe, type Recipe } from '../../src-main/batch/recipe'
import { BatchQueue } from '../../src-main/batch/runner'
import { checkpointPath, logPath, queuePath } from '../../src-main/batch/store'
import type { TaskPool } from '../../src-main/pool/taskPool'
import { FileAccessError, throwIfAborted } from '../../src-shared/errors'
import { PipelineSession } from '../../src-main/session/session'
import { asNumber, f64, getNode, group } from '../../src-shared/tree'
import type { StepDefinition } from '../../src-main/steps/framework'

// Test doubles of the step interface. The "recording" is a small JSON file {"units": n, "rate": r};
// the loader reads it (and fails like a real loader on a truncated file), later steps derive values
// from what the loader stored, so the archives can be checked against closed-form numbers.

const calls = new Map<string, number>()
const count = (key: string) => calls.set(key, (calls.get(key) ?? 0) + 1)
let heavyNow = 0
let heavyMax = 0
let itemsNow = 0
let itemsMax = 0
/** Milliseconds the slow step takes (in 10 slices, checking cancel between them). */
let slowMs = 0

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const load: StepDefinition<{ cmcr_path: string | null; cmtr_path: string | null }> = {
  id: 'load_recording',
  title: 'Load',
  description: 'reads the test recording',
  params: [
    { name: 'cmcr_path', label: 'CMCR', type: 'path', default: null, help: '', optional: true },
    { name: 'cmtr_path', label: 'CMTR', type: 'path', default: null, help: '', optional: true },
  ],
  prerequisites: [],
  async run(session, p) {
    count(`${session.datasetId}:load_recording`)
    itemsNow++
    itemsMax = Math.max(itemsMax, itemsNow)
    try {
      const text = await readFile(p.cmtr_path!, 'utf8')
      let rec: { units: number; rate: number }
      try {
        rec = JSON.parse(text)
      } catch {
        throw new FileAccessError('FILE_CORRUPT', `CMTR file ${p.cmtr_path} is truncated or damaged`, { path: p.cmtr_path! })
      }
      await sleep(5)
      return {
        summary: `${rec.units} units`,
        apply(s) {
          const units: Record<string, ReturnType<typeof group>> = {}
          for (let i = 1; i <= rec.units; i++) units[`unit_${i}`] = group({ spike_times: f64([i, 2 * i]) })
          s.addUnits(units)
          s.addMetadata({ acquisition_rate: f64([rec.rate], []) })
        },
      }
    } finally {
      itemsNow--
    }
  },
}

const heavy: StepDefinition<Record<string, never>> = {
  id: 'load_recording_with_eimage_sta',
  title: 'Heavy',
  description: 'stands in for the eimage job: only one may run at a time',
  params: [],
  prerequisites: [['load_recording']],
  async run(session, _p, ctx) {
    count(`${session.datasetId}:heavy`)
    heavyNow++
    heavyMax = Math.max(heavyMax, heavyNow)
    try {
      await sleep(30)
      throwIfAborted(ctx.signal)
    } finally {
      heavyNow--
    }
    return { summary: 'heavy done', apply: () => {} }
  },
}

const slow: StepDefinition<{ factor: number }> = {
  id: 'add_section_time',
  title: 'Slow',
  description: 'doubles the rate, slowly, with progress and cancel checks',
  params: [{ name: 'factor', label: 'Factor', type: 'number', default: 2, help: '' }],
  prerequisites: [['load_recording']],
  async run(session, p, ctx) {
    count(`${session.datasetId}:add_section_time`)
    for (let k = 0; k < 10; k++) {
      throwIfAborted(ctx.signal)
      ctx.progress({ fraction: k / 10, message: `slice ${k}` })
      await sleep(slowMs / 10)
    }
    throwIfAborted(ctx.signal)
    const rate = asNumber(getNode(session.metadata, 'acquisition_rate')!) as number
    return { summary: 'scaled', apply: (s) => s.addMetadata({ scaled_rate: f64([rate * p.factor], []) }) }
  },
}

const last: StepDefinition<Record<string, never>> = {
  id: 'section_spike_times',
  title: 'Count',
  description: 'counts units',
  params: [],
  prerequisites: [['add_section_time']],
  async run(session) {
    count(`${session.datasetId}:section_spike_times`)
    return { summary: 'counted', apply: (s) => s.addMetadata({ n_units: f64([s.unitCount], []) }) }
  },
}

const STEPS = [load, heavy, slow, last]
const noPool: TaskPool = {
  threads: 1,
  run: async () => {
    throw new Error('no pool in this test')
  },
  destroy: async () => {},
}

function recipe(steps = ['load_recording', { step: 'add_section_time', params: { factor: 3 } }, 'section_spike_times'], checkpoint = true): Recipe {
  return validateRecipe({ name: 'test', steps, checkpoint }, { steps: STEPS })
}

let root = ''
let out = ''
const open: BatchQueue[] = []

async function makeRecordings(n: number, opts: { truncated?: number } = {}): Promise<BatchInput[]> {
  const inputs: BatchInput[] = []
  for (let i = 0; i < n; i++) {
    const id = `rec${i}`
    const cmcr = join(root, `${id}.cmcr`)
    const cmtr = join(root, `${id}-.cmtr`)
    await writeFile(cmcr, 'raw')
    const json = JSON.stringify({ units: i + 1, rate: 1000 * (i + 1) })
    await writeFile(cmtr, i === opts.truncated ? json.slice(0, 9) : json)
    inputs.push({ datasetId: id, cmcrPath: cmcr, cmtrPath: cmtr, origin: 'test' })
  }
  return inputs
}

async function openQueue(extra: Partial<Parameters<typeof BatchQueue.open>[0]> = {}): Promise<BatchQueue> {
  const q = await BatchQueue.open({ outputDir: out, steps: STEPS, pool: noPool, recipe: recipe(), ...extra })
  open.push(q)
  return q
}

const states = (q: BatchQueue) => Object.fromEntries(q.getItems().map((i) => [i.id, i.state]))

function waitFor(q: BatchQueue, pred: (item: BatchItem) => boolean): Promise<BatchItem> {
  return new Promise((resolve) => {
    const on = (item: BatchItem) => {
      if (pred(item)) {
        q.off('item', on)
        resolve(item)
      }
    }
    q.on('item', on)
  })
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'batch-run-'))
  out = join(root, 'out')
  await mkdir(out)
  calls.clear()
  heavyNow = heavyMax = itemsNow = itemsMax = 0
  slowMs = 0
})

afterEach(async () => {
  for (const q of open.splice(0)) await q.close()
  await rm(root, { recursive: true, force: true })
})

describe('BatchQueue', () => {
  it('5 recordings, one truncated and one with an archive already: 3 done, 1 skipped, 1 failed with its error', async () => {
    const inputs = await makeRecordings(5, { truncated: 3 })
    const existing = join(out, 'rec1.h5')
    await writeFile(existing, 'an archive made earlier')
    const q = await openQueue()
    await q.add(inputs)
    const summary = await q.start()
    expect(summary.counts).toEqual({ queued: 0, running: 0, done: 3, skipped: 1, failed: 1, cancelled: 0 })
    expect(states(q)).toEqual({ rec0: 'done', rec1: 'skipped', rec2: 'done', rec3: 'failed', rec4: 'done' })
    const failed = q.getItems().find((i) => i.id === 'rec3')!
    expect(failed.error).toEqual({
      code: 'FILE_CORRUPT',
      message: `CMTR file ${inputs[3].cmtrPath} is truncated or damaged`,
      path: inputs[3].cmtrPath,
      step: 'load_recording',
    })
    expect(q.getItems().find((i) => i.id === 'rec1')!.note).toBe(`output exists: ${existing}`)
    expect(await readFile(existing, 'utf8')).toBe('an archive made earlier')
    // Archives hold what the steps computed: rate x factor 3, and the unit count.
    for (const i of [0, 2, 4]) {
      const s = await PipelineSession.load(join(out, `rec${i}.h5`))
      expect(s.datasetId).toBe(`rec${i}`)
      expect(asNumber(getNode(s.metadata, 'scaled_rate')!)).toBe(3000 * (i + 1))
      expect(asNumber(getNode(s.metadata, 'n_units')!)).toBe(i + 1)
      expect([...s.completedSteps].sort()).toEqual(['add_section_time', 'load_recording', 'section_spike_times'])
      await expect(stat(checkpointPath(out, `rec${i}`))).rejects.toThrow()
    }
    // The queue file says the same, and no temp file is left beside it.
    const file = JSON.parse(await readFile(queuePath(out), 'utf8'))
    expect(file.items.map((i: BatchItem) => i.state)).toEqual(['done', 'skipped', 'done', 'failed', 'done'])
    expect((await readdir(join(out, '.hdmea-batch'))).filter((n) => n.endsWith('.tmp'))).toEqual([])
    const log = await q.readLog('rec3')
    expect(log).toContain(`failed in load_recording: CMTR file ${inputs[3].cmtrPath} is truncated or damaged`)
    expect(await readFile(logPath(out, 'rec0'), 'utf8')).toMatch(/add_section_time: scaled/)
  })

  it('reports missing input files with the Python batch message', async () => {
    const [input] = await makeRecordings(1)
    await rm(input.cmcrPath!)
    const q = await openQueue()
    await q.add([input])
    await q.start()
    expect(q.getItems()[0].error).toEqual({ code: 'FILE_NOT_FOUND', message: `CMCR file not found: ${input.cmcrPath}`, path: input.cmcrPath })
    expect(calls.size).toBe(0)
  })

  it('overwrite replaces an existing archive; retry of a done item needs overwrite', async () => {
    const [input] = await makeRecordings(1)
    await writeFile(join(out, 'rec0.h5'), 'old')
    const q = await openQueue({ options: { overwrite: true } })
    await q.add([input])
    await q.start()
    expect(states(q)).toEqual({ rec0: 'done' })
    expect((await PipelineSession.load(join(out, 'rec0.h5'))).datasetId).toBe('rec0')
    await q.setOptions({ overwrite: false })
    await expect(q.retry('rec0')).rejects.toThrow(/turn on overwrite/)
  })

  it('runs recordings concurrently but never two heavy steps at once', async () => {
    const inputs = await makeRecordings(4)
    const q = await openQueue({
      recipe: recipe(['load_recording', 'load_recording_with_eimage_sta', 'add_section_time', 'section_spike_times']),
      options: { concurrency: 3 },
    })
    await q.add(inputs)
    const summary = await q.start()
    expect(summary.counts.done).toBe(4)
    expect(itemsMax).toBeGreaterThan(1)
    expect(heavyMax).toBe(1)
  })

  it('cancels one running item (checkpoint kept) and a retry resumes after its last finished step', async () => {
    slowMs = 400
    const inputs = await makeRecordings(2)
    const q = await openQueue()
    await q.add(inputs)
    const running = q.start()
    await waitFor(q, (i) => i.id === 'rec0' && i.progress?.stepId === 'add_section_time' && i.progress.fraction >= 0.2)
    await q.cancel('rec0')
    const first = await running
    expect(first.counts).toMatchObject({ cancelled: 1, done: 1 })
    expect(q.getItems()[0].completedSteps).toEqual(['load_recording'])
    await stat(checkpointPath(out, 'rec0'))
    slowMs = 0
    await q.retry('rec0')
    await q.start()
    expect(states(q)).toEqual({ rec0: 'done', rec1: 'done' })
    expect(calls.get('rec0:load_recording')).toBe(1)
    expect(calls.get('rec0:add_section_time')).toBe(2)
    expect(asNumber(getNode((await PipelineSession.load(join(out, 'rec0.h5'))).metadata, 'scaled_rate')!)).toBe(3000)
  })

  it('cancelAll cancels queued and running items; retryFailed only requeues failed ones', async () => {
    slowMs = 300
    const inputs = await makeRecordings(3, { truncated: 2 })
    const q = await openQueue()
    await q.add(inputs)
    const run = q.start()
    await waitFor(q, (i) => i.id === 'rec0' && i.progress?.stepId === 'add_section_time')
    await q.cancelAll()
    await run
    expect(states(q)).toEqual({ rec0: 'cancelled', rec1: 'cancelled', rec2: 'cancelled' })
    expect(await q.retryFailed()).toBe(0)
    slowMs = 0
    await q.retry('rec2')
    await q.start()
    expect(states(q)).toEqual({ rec0: 'cancelled', rec1: 'cancelled', rec2: 'failed' })
    expect(await q.retryFailed()).toBe(1)
    expect(states(q).rec2).toBe('queued')
  })

  it('stop puts the running item back in the queue; reopening resumes it without redoing finished work', async () => {
    slowMs = 300
    const inputs = await makeRecordings(3)
    let q = await openQueue()
    await q.add(inputs)
    const run = q.start()
    await waitFor(q, (i) => i.id === 'rec1' && i.progress?.stepId === 'add_section_time' && i.progress.fraction >= 0.3)
    await q.stop()
    const summary = await run
    expect(summary.interrupted).toBe(true)
    expect(states(q)).toEqual({ rec0: 'done', rec1: 'queued', rec2: 'queued' })
    await q.close()
    open.splice(open.indexOf(q), 1)

    slowMs = 0
    q = await openQueue({ recipe: undefined })
    expect(q.getRecipe().steps[1]).toEqual({ step: 'add_section_time', params: { factor: 3 } })
    await q.start()
    expect(states(q)).toEqual({ rec0: 'done', rec1: 'done', rec2: 'done' })
    expect(calls.get('rec0:load_recording')).toBe(1)
    expect(calls.get('rec1:load_recording')).toBe(1)
    expect(calls.get('rec1:add_section_time')).toBe(2)
    expect(calls.get('rec2:load_recording')).toBe(1)
    expect(await q.readLog('rec1')).toMatch(/resuming from checkpoint .* \(finished: load_recording\)/)
  })

  it('after a kill (queue file says running), the item resumes from its checkpoint', async () => {
    slowMs = 300
    const inputs = await makeRecordings(2)
    let q = await openQueue()
    await q.add(inputs)
    const run = q.start()
    await waitFor(q, (i) => i.id === 'rec1' && i.progress?.stepId === 'add_section_time' && i.progress.fraction >= 0.3)
    // What a kill at this moment leaves on disk: the queue file and checkpoint as they are now.
    const frozen = join(root, 'frozen')
    await cp(join(out, '.hdmea-batch'), frozen, { recursive: true })
    await q.stop()
    await run
    await q.close()
    open.splice(open.indexOf(q), 1)
    await rm(join(out, '.hdmea-batch'), { recursive: true })
    await cp(frozen, join(out, '.hdmea-batch'), { recursive: true })
    expect(JSON.parse(await readFile(queuePath(out), 'utf8')).items.map((i: BatchItem) => i.state)).toEqual(['done', 'running'])

    slowMs = 0
    q = await openQueue()
    expect(states(q)).toEqual({ rec0: 'done', rec1: 'queued' })
    await q.start()
    expect(states(q)).toEqual({ rec0: 'done', rec1: 'done' })
    expect(calls.get('rec0:load_recording')).toBe(1)
    expect(calls.get('rec1:load_recording')).toBe(1)
    expect(asNumber(getNode((await PipelineSession.load(join(out, 'rec1.h5'))).metadata, 'n_units')!)).toBe(2)
  })

  it('refuses a second runner on the same folder and a different recipe for a saved queue', async () => {
    await openQueue()
    await expect(BatchQueue.open({ outputDir: out, steps: STEPS, pool: noPool, recipe: recipe() })).rejects.toThrow(/already open/)
    await open.pop()!.close()
    await expect(openQueue({ recipe: recipe(['load_recording']) })).rejects.toThrow(/was started with a different recipe/)
    const q = await openQueue({ recipe: recipe(['load_recording']), fresh: true })
    expect(q.getRecipe().steps.map((s) => s.step)).toEqual(['load_recording'])
  })

  it('rejects a second recording with the same dataset id', async () => {
    const [a] = await makeRecordings(1)
    const q = await openQueue()
    const res = await q.add([a, { ...a, cmcrPath: '/elsewhere/rec0.cmcr', origin: 'other.csv line 3' }])
    expect(res.added.map((i) => i.id)).toEqual(['rec0'])
    expect(res.rejected).toEqual(["other.csv line 3: dataset id 'rec0' is already in the queue (test)"])
  })
})
