// Issue 13 item 10: Start starts the queue on the first click even while an option field still has
// focus (leaving the field sends the option as the click happens; that must not swallow the click).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { generateBatchRecordings } from '../integration/batchFixtures'
import { type RunningHost, startHost } from './host'

let host: RunningHost
let root: string

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'batch-start-e2e-'))
  await generateBatchRecordings(join(root, 'recordings'), ['start_a', 'start_b'])
  host = await startHost(join(root, 'work'), ['--allow', root])
})

test.afterAll(async () => {
  await host?.stop()
  rmSync(root, { recursive: true, force: true })
})

test('one click on Start with a changed option still focused starts the queue with that option', async ({ page }) => {
  await page.goto(host.url)
  await page.getByTestId('nav-batch').click()
  await page.getByTestId('batch-output').fill(join(root, 'out'))
  await page.getByTestId('batch-open').click()
  await page.getByTestId('batch-add-path').fill(join(root, 'recordings'))
  await page.getByTestId('batch-add').click()
  await expect(page.getByTestId('batch-item-start_b')).toHaveAttribute('data-state', 'queued')

  const workers = page.getByTestId('batch-workers')
  await workers.click()
  await workers.fill('1')
  await expect(workers).toBeFocused()
  await page.getByTestId('batch-start').click()

  // The queue runs (no second click) and finishes, with the option typed just before.
  for (const id of ['start_a', 'start_b']) {
    await expect(page.getByTestId(`batch-item-${id}`)).toHaveAttribute('data-state', 'done', { timeout: 120_000 })
  }
  // The backend has the option (the app's default is 2 workers): a reload reads it back.
  await page.reload()
  await page.getByTestId('nav-batch').click()
  await expect(page.getByTestId('batch-workers')).toHaveValue('1')
})
