// The Batch page on an output folder a SLURM cluster fills (issue 15 item 5): it says which engine runs
// the queue, shows the tasks' states read-only and follows them as the state files change, and shows
// each item's log. The host gets a squeue that cannot reach a controller, as on a lab PC.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { type RunningHost, startHost } from './host'

let host: RunningHost
let root: string
let out: string
const savedPath = process.env.PATH

function stateFile(id: string, state: string, extra: Record<string, unknown> = {}): void {
  const record = { format: 'hdmea-batch-item', id, updatedAt: new Date().toISOString(), state, attempts: 1, startedAt: new Date().toISOString(), ...extra }
  writeFileSync(join(out, '.hdmea-batch', 'items', `${id}.json`), JSON.stringify(record))
}

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'batch-cluster-e2e-'))
  out = join(root, 'out')
  mkdirSync(join(out, '.hdmea-batch', 'items'), { recursive: true })
  mkdirSync(join(out, '.hdmea-batch', 'logs'), { recursive: true })
  const item = (id: string) => ({ id, datasetId: id, cmcrPath: `/mnt/lab/${id}.cmcr`, cmtrPath: `/mnt/lab/${id}-.cmtr`, origin: 'mapping.csv', outputPath: join(out, `${id}.h5`), state: 'queued' })
  const queue = {
    format: 'hdmea-batch-queue',
    version: 1,
    outputDir: out,
    recipe: { format: 'hdmea-batch-recipe', version: 1, name: 'Cluster recipe', steps: [{ step: 'load_recording', params: {} }], outputDir: null, checkpoint: true },
    options: { concurrency: 1, workersPerItem: 2, overwrite: false },
    engine: {
      kind: 'slurm',
      partition: 'main',
      sbatchArgs: [],
      maxParallel: 4,
      pathMap: [],
      node: '/usr/bin/node',
      cli: '/opt/hdmea/out/main/cli.js',
      resources: { cpus: 2, memMB: 2152, timeMin: 120 },
      submissions: [{ jobId: '4242', indexes: [0, 1], submittedAt: new Date().toISOString() }],
    },
    items: [item('ret_1'), item('ret_2')],
  }
  writeFileSync(join(out, '.hdmea-batch', 'queue.json'), JSON.stringify(queue))
  stateFile('ret_1', 'running', { cluster: { jobId: '4242', arrayTaskId: 0, node: 'node17' }, progress: { stepIndex: 0, stepCount: 1, stepId: 'load_recording', fraction: 0.4 } })
  writeFileSync(join(out, '.hdmea-batch', 'logs', 'ret_1.log'), '2026-12-01T10:00:00.000Z SLURM task 4242_0 on node17\n')
  const bin = join(root, 'bin')
  mkdirSync(bin)
  writeFileSync(join(bin, 'squeue'), '#!/bin/sh\necho "squeue: error: Unable to contact slurm controller" >&2\nexit 1\n')
  writeFileSync(join(bin, 'sacct'), '#!/bin/sh\nexit 1\n')
  chmodSync(join(bin, 'squeue'), 0o755)
  chmodSync(join(bin, 'sacct'), 0o755)
  process.env.PATH = `${bin}:${savedPath}`
  host = await startHost(join(root, 'work'), ['--allow', root])
})

test.afterAll(async () => {
  process.env.PATH = savedPath
  await host?.stop()
  rmSync(root, { recursive: true, force: true })
})

test('a folder a SLURM cluster fills: engine named, states live and read-only, logs readable', async ({ page }) => {
  await page.goto(host.url)
  await page.getByTestId('nav-batch').click()
  await page.getByTestId('batch-output').fill(out)
  await page.getByTestId('batch-open').click()
  await expect(page.getByTestId('batch-engine')).toContainText('Engine: SLURM cluster')
  await expect(page.getByTestId('batch-engine')).toContainText('only watches')
  await expect(page.getByTestId('batch-item-ret_1')).toHaveAttribute('data-state', 'running')
  await expect(page.getByTestId('batch-item-ret_1').getByTestId('item-task')).toContainText('4242_0')
  await expect(page.getByTestId('batch-item-ret_1').getByTestId('item-task')).toContainText('node17')
  await expect(page.getByTestId('batch-item-ret_2')).toHaveAttribute('data-state', 'queued')
  // Nothing here can change the queue.
  await expect(page.getByTestId('batch-start')).toHaveCount(0)
  await expect(page.getByTestId('batch-add')).toHaveCount(0)
  await expect(page.getByTestId('item-cancel')).toHaveCount(0)

  await page.getByTestId('batch-item-ret_1').getByTestId('item-log').click()
  await expect(page.getByTestId('item-log-text')).toContainText('SLURM task 4242_0 on node17')

  // The tasks move on; the page follows without a click.
  stateFile('ret_1', 'done', { cluster: { jobId: '4242', arrayTaskId: 0, node: 'node17' }, elapsedS: 61 })
  stateFile('ret_2', 'failed', { cluster: { jobId: '4242', arrayTaskId: 1, node: 'node18' }, error: { code: 'FILE_CORRUPT', message: 'CMTR file is truncated', step: 'load_recording' } })
  await expect(page.getByTestId('batch-item-ret_1')).toHaveAttribute('data-state', 'done', { timeout: 30_000 })
  await expect(page.getByTestId('batch-item-ret_2')).toHaveAttribute('data-state', 'failed', { timeout: 30_000 })
  await expect(page.getByTestId('batch-item-ret_2').getByTestId('item-detail')).toContainText('load_recording: CMTR file is truncated')
  await expect(page.getByTestId('batch-counts')).toContainText('1 done · 0 skipped · 1 failed')
})
