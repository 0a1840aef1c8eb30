// A checkpoint that cannot be written after a step succeeded is reported as the checkpoint's failure,
// not the step's (issue 10 item 12).

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { validateRecipe } from '../../src-main/batch/recipe'
import { BatchQueue } from '../../src-main/batch/runner'
import { checkpointPath } from '../../src-main/batch/store'
import type { TaskPool } from '../../src-main/pool/taskPool'
import type { StepDefinition } from '../../src-main/steps/framework'
import { f64 } from '../../src-shared/tree'

let duringLoad: () => Promise<void> = async () => {}

const step = (id: string, prerequisites: string[][] = []): StepDefinition<{ cmcr_path: string | null; cmtr_path: string | null }> => ({
  id,
  title: id,
  description: id,
  params: [
    { name: 'cmcr_path', label: 'CMCR', type: 'path', default: null, help: '', optional: true },
    { name: 'cmtr_path', label: 'CMTR', type: 'path', default: null, help: '', optional: true },
  ],
  prerequisites,
  async run() {
    if (id === 'load_recording') await duringLoad()
    return { summary: `${id} done`, apply: (s) => s.addMetadata({ [id]: f64([1], []) }) }
  },
})
const STEPS = [step('load_recording'), step('second_step', [['load_recording']])]
const noPool: TaskPool = { threads: 1, run: async () => Promise.reject(new Error('no pool')), destroy: async () => {} }

let root = ''
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'batch-checkpoint-'))
})
afterEach(() => rm(root, { recursive: true, force: true }))

it('names the checkpoint, not the step that had just succeeded', async () => {
  const out = join(root, 'out')
  await mkdir(out)
  await writeFile(join(root, 'rec0.cmcr'), 'raw')
  await writeFile(join(root, 'rec0-.cmtr'), 'sorted')
  const recipe = validateRecipe({ name: 'two', steps: ['load_recording', 'second_step'], checkpoint: true }, { steps: STEPS })
  const q = await BatchQueue.open({ outputDir: out, steps: STEPS, pool: noPool, recipe })
  try {
    await q.add([{ datasetId: 'rec0', cmcrPath: join(root, 'rec0.cmcr'), cmtrPath: join(root, 'rec0-.cmtr'), origin: 'test' }])
    // While the step runs, a folder appears where its checkpoint file goes: the checkpoint cannot be written.
    duringLoad = async () => void (await mkdir(checkpointPath(out, 'rec0'), { recursive: true }))
    const summary = await q.start()
    expect(summary.counts.failed).toBe(1)
    const item = q.getItems()[0]
    expect(item.error?.step).toBe('checkpoint after load_recording')
    expect(item.error?.message).toMatch(/checkpoint after load_recording could not be written \(load_recording itself finished\)/)
    expect(item.error?.message).toContain(checkpointPath(out, 'rec0'))
    expect(item.completedSteps).toEqual(['load_recording'])
  } finally {
    await q.close()
  }
})
