// The Batch view in Chromium against the real web host: five generated recordings (one truncated, one
// whose archive exists), run through the real steps; the queue shows 3 done, 1 skipped, 1 failed with
// its error, live progress while running, the per-item log, and opens a finished archive in the session view.
import { mkdirSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { generateBatchRecordings } from '../integration/batchFixtures'
import { type RunningHost, startHost } from './host'

const NAMES = ['ret_a', 'ret_b', 'ret_c', 'ret_d', 'ret_e']

let host: RunningHost
let root: string
let truncated = ''

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'batch-e2e-'))
  const recs = await generateBatchRecordings(join(root, 'recordings'), NAMES)
  truncated = recs[3].cmtrPath
  truncateSync(truncated, Math.floor(statSync(truncated).size / 3))
  mkdirSync(join(root, 'out'))
  writeFileSync(join(root, 'out', 'ret_b.h5'), 'an archive from an earlier run')
  host = await startHost(join(root, 'work'), ['--allow', root])
})

test.afterAll(async () => {
  await host?.stop()
  rmSync(root, { recursive: true, force: true })
})

test('batch queue: add a folder, run, see done / skipped / failed, read a log, open an archive', async ({ page }, testInfo) => {
  await page.goto(host.url)
  await page.getByTestId('nav-batch').click()
  await page.getByTestId('batch-output').fill(join(root, 'out'))
  await page.getByTestId('batch-open').click()
  await expect(page.getByTestId('batch-recipe-name')).toHaveText('Quick Start (defaults)')

  await page.getByTestId('batch-add-path').fill(join(root, 'recordings'))
  await page.getByTestId('batch-add').click()
  for (const name of NAMES) await expect(page.getByTestId(`batch-item-${name}`)).toHaveAttribute('data-state', 'queued')

  await page.getByTestId('batch-start').click()
  // While it runs, the running row shows its step and progress.
  const running = page.locator('[data-testid^="batch-item-"][data-state="running"]')
  await expect(running.first()).toBeVisible()
  await expect(running.first()).toContainText(/step \d of 5/)

  const want: Record<string, string> = { ret_a: 'done', ret_b: 'skipped', ret_c: 'done', ret_d: 'failed', ret_e: 'done' }
  for (const [name, state] of Object.entries(want)) {
    await expect(page.getByTestId(`batch-item-${name}`)).toHaveAttribute('data-state', state, { timeout: 120_000 })
  }
  await expect(page.getByTestId('batch-counts')).toContainText('3 done · 1 skipped · 1 failed · 0 cancelled · 0 running · 0 queued')
  const failed = page.getByTestId('batch-item-ret_d')
  // The loader is the first step of the default recipe: the eimage loader when registered, else the plain one.
  await expect(failed.getByTestId('item-detail')).toContainText(/^load_recording(_with_eimage_sta)?: /)
  await expect(failed.getByTestId('item-detail')).toContainText(truncated)
  await expect(page.getByTestId('batch-item-ret_b').getByTestId('item-detail')).toContainText(`output exists: ${join(root, 'out', 'ret_b.h5')}`)
  await expect(page.getByTestId('batch-item-ret_a').getByTestId('item-detail')).toContainText(join(root, 'out', 'ret_a.h5'))

  await failed.getByTestId('item-log').click()
  await expect(page.getByTestId('item-log-text')).toContainText(/failed in load_recording(_with_eimage_sta)?: /)
  await page.screenshot({ path: testInfo.outputPath('batch-queue.png'), fullPage: true })

  // A reload shows the same queue (it lives in the backend and on disk).
  await page.reload()
  await page.getByTestId('nav-batch').click()
  await expect(page.getByTestId('batch-item-ret_e')).toHaveAttribute('data-state', 'done')

  // A finished archive opens in the session view.
  await page.getByTestId('batch-item-ret_a').getByTestId('item-open').click()
  await expect(page.getByTestId('dataset')).toHaveText('ret_a', { timeout: 30_000 })
})
