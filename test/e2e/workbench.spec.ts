// The whole desktop flow in a browser against the real web host: open the demo, run every step through
// the wizard, check the session panel against the demo's ground truth, checkpoint, kill and restart the
// backend, resume from the checkpoint, draw every chart, and recover from a failing step.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Page, expect, test } from '@playwright/test'
import { INKED_PIXELS_SCRIPT, type RunningHost, demoDir, startHost } from './host'

// The demo recording of this run (global-setup.ts); each spec gets its own working folder.
const DEMO_DIR = demoDir()
const CHARTS = ['chart-light', 'chart-raster', 'chart-rate', 'chart-sta']
// The electrical image exists once a step that computes it (load_recording_with_eimage_sta) is registered.
const EIMAGE_STEP = 'load_recording_with_eimage_sta'

let host: RunningHost
let workdir: string
const shots: string[] = []

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'wb-e2e-'))
  host = await startHost(workdir, ['--demo-dir', DEMO_DIR])
})

test.afterAll(async () => {
  await host?.stop()
  rmSync(workdir, { recursive: true, force: true })
})

async function shot(page: Page, name: string, info: { outputPath(...p: string[]): string }): Promise<void> {
  const path = info.outputPath(`${name}.png`)
  await page.screenshot({ path, fullPage: true })
  shots.push(path)
}

async function inked(page: Page, testid: string): Promise<number> {
  const card = page.getByTestId(testid)
  await expect(card.locator('canvas').first()).toBeVisible()
  // ECharts draws on the next frames; poll until ink appears.
  let n = 0
  await expect
    .poll(async () => (n = await card.evaluate(new Function(`return (${INKED_PIXELS_SCRIPT})`)() as (el: Element) => number)), { timeout: 15_000 })
    .toBeGreaterThan(1500)
  return n
}

async function stepIds(page: Page): Promise<string[]> {
  const ids = await page.getByTestId('wizard-sidebar').locator('[data-testid^="side-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.slice(5)))
  // The start page and the review page are not steps.
  return ids.filter((id) => id !== 'recording' && id !== 'review')
}

async function sideState(page: Page, id: string): Promise<string> {
  return (await page.getByTestId(`side-${id}`).getAttribute('data-state')) ?? ''
}

test('demo: wizard, session panel, checkpoint, restart, resume, charts, failure', async ({ page }, testInfo) => {
  await page.goto(host.url)
  await expect(page.getByTestId('no-session')).toBeVisible()

  // ---- open the demo
  await page.getByTestId('open-demo').click()
  await expect(page.getByTestId('dataset')).toHaveText('synthetic_demo', { timeout: 60_000 })
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'deferred')
  const truth = JSON.parse(readFileSync(join(DEMO_DIR, 'synthetic_demo.truth.json'), 'utf8')) as { units: unknown[] }
  expect(truth.units.length).toBeGreaterThan(0)

  // ---- a bad parameter is shown next to its field and the step does not run
  const ids = await stepIds(page)
  expect(ids.length).toBeGreaterThanOrEqual(4)
  const sectionStep = ids.find((id) => id === 'add_section_time')!
  await page.getByTestId(`side-${sectionStep}`).click()
  const repeats = page.getByTestId('param-repeats').locator('input')
  await repeats.fill('0')
  await expect(page.getByTestId('param-repeats').getByTestId('param-error')).toContainText("'repeats' must be >= 1")
  await page.getByTestId('run-step').click()
  await expect(page.getByTestId('param-repeats').getByTestId('param-error')).toBeVisible()
  expect(await sideState(page, sectionStep)).not.toBe('running')
  await repeats.fill('1')
  await expect(page.getByTestId('param-repeats').getByTestId('param-error')).toHaveCount(0)

  // ---- run every step that can run, in wizard order, through its page
  const ran: string[] = []
  for (let pass = 0; pass < 2; pass++) {
    for (const id of ids) {
      const state = await sideState(page, id)
      if (state !== 'ready') continue
      await page.getByTestId(`side-${id}`).click()
      await expect(page.getByTestId(`step-${id}`)).toBeVisible()
      await page.getByTestId('run-step').click()
      await expect(page.getByTestId('step-summary').or(page.getByTestId('step-error'))).toBeVisible({ timeout: 120_000 })
      await expect(page.getByTestId('step-error'), `step ${id} failed`).toHaveCount(0)
      await expect(page.getByTestId(`side-${id}`)).toHaveAttribute('data-state', 'done')
      ran.push(id)
    }
  }
  // One Load stage: the wizard runs the load with electrical images (its switch is on by default) or the plain load.
  expect(ran.some((id) => id === 'load_recording' || id === EIMAGE_STEP)).toBe(true)
  expect(ran).toContain('section_spike_times')
  expect(ran).toContain('compute_sta')
  const charts = ids.includes(EIMAGE_STEP) ? [...CHARTS, 'chart-eimage'] : CHARTS
  if (ids.includes(EIMAGE_STEP)) expect(ran).toContain(EIMAGE_STEP)
  await shot(page, '01-wizard-after-steps', testInfo)

  // ---- the session panel: unit count from the ground truth, state, steps
  await expect(page.getByTestId('unit-count')).toHaveText(String(truth.units.length))
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'deferred')
  for (const id of ran) await expect(page.getByTestId('completed-steps')).toContainText(id)

  // ---- checkpoint
  await page.getByTestId('checkpoint').click()
  await expect(page.getByTestId('activity')).toContainText('Checkpoint written:')
  const checkpointPath = ((await page.getByTestId('activity').textContent()) ?? '').replace(/^.*Checkpoint written:\s*/s, '').trim()
  expect(checkpointPath.startsWith(join(workdir, 'artifacts', 'checkpoints'))).toBe(true)
  expect(existsSync(checkpointPath)).toBe(true)
  // A checkpoint does not change the save state.
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'deferred')

  // ---- a step that fails (missing file) shows its error and leaves the session usable
  const staSpec = page.getByTestId('param-stimulus_dir')
  await page.getByTestId('side-compute_sta').click()
  const goodDir = await staSpec.locator('input').first().inputValue()
  await staSpec.locator('input').first().fill(join(workdir, 'no-such-stimuli'))
  await page.getByTestId('run-step').click()
  await expect(page.getByTestId('step-error')).toContainText('no-such-stimuli', { timeout: 60_000 })
  await expect(page.getByTestId('side-compute_sta')).toHaveAttribute('data-state', 'failed')
  await shot(page, '02-step-failure', testInfo)
  await expect(page.getByTestId('unit-count')).toHaveText(String(truth.units.length))
  await staSpec.locator('input').first().fill(goodDir)
  await page.getByTestId('run-step').click()
  await expect(page.getByTestId('step-summary')).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('side-compute_sta')).toHaveAttribute('data-state', 'done')

  // ---- restart the backend (kill it, start it again), then resume from the checkpoint
  await host.stop()
  host = await startHost(workdir, ['--demo-dir', DEMO_DIR])
  await page.goto(host.url)
  await expect(page.getByTestId('no-session')).toBeVisible()
  await page.getByTestId('resume').click()
  const browser = page.getByTestId('resume-form').getByTestId('file-browser')
  await browser.getByRole('button', { name: /artifacts/ }).click()
  await browser.getByRole('button', { name: /checkpoints/ }).click()
  await browser.getByRole('button', { name: new RegExp(checkpointPath.split('/').pop()!.replace(/[.]/g, '\\.')) }).click()
  await expect(page.getByTestId('dataset')).toHaveText('synthetic_demo')
  await expect(page.getByTestId('unit-count')).toHaveText(String(truth.units.length))
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await expect(page.getByTestId('opened-from')).toHaveText(checkpointPath)
  for (const id of ran) await expect(page.getByTestId('completed-steps')).toContainText(id)
  await shot(page, '03-resumed', testInfo)

  // ---- the memory warning follows the threshold set in Settings
  await expect(page.getByTestId('memory-warning')).toHaveCount(0)
  await page.getByTestId('nav-settings').click()
  await page.getByTestId('memory-threshold').fill('0.001')
  await page.getByTestId('settings-apply').click()
  await expect(page.getByTestId('memory-warning')).toContainText('0.001 GB')
  await page.getByTestId('memory-threshold').fill('8')
  await page.getByTestId('settings-apply').click()
  await expect(page.getByTestId('memory-warning')).toHaveCount(0)

  // ---- every chart draws from the resumed session; selecting a unit updates the per-unit charts
  await page.getByTestId('nav-charts').click()
  await expect(page.getByTestId('unit-table').locator('tbody tr')).toHaveCount(truth.units.length)
  for (const c of charts) await inked(page, c)
  if (!ids.includes(EIMAGE_STEP)) await expect(page.getByTestId('chart-eimage').getByTestId('chart-empty')).toContainText('No electrical image')
  await shot(page, '04-charts', testInfo)
  // Zooming into the light reference asks the backend for the visible window at full detail.
  const info = page.getByTestId('light-info')
  const samplesShown = async () => Number(((await info.textContent()) ?? '').replace(/.*·\s*([\d,]+) samples.*/s, '$1').replace(/,/g, ''))
  const before = await samplesShown()
  const box = (await page.getByTestId('chart-light').locator('canvas').first().boundingBox())!
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
  await page.mouse.wheel(0, -600)
  await expect.poll(samplesShown).toBeLessThan(before)
  await inked(page, 'chart-light')
  for (const c of ['chart-raster', 'chart-sta', 'chart-eimage']) {
    const path = testInfo.outputPath(`04-${c}.png`)
    await page.getByTestId(c).screenshot({ path })
    shots.push(path)
  }
  // The theme follows the OS: dark colours when the system prefers them, and the charts still draw.
  await page.emulateMedia({ colorScheme: 'dark' })
  await expect.poll(() => page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(27, 29, 33)')
  for (const c of charts) await inked(page, c)
  await shot(page, '04b-charts-dark', testInfo)
  await page.emulateMedia({ colorScheme: 'light' })
  await expect.poll(() => page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(247, 247, 248)')
  const first = await page.getByTestId('selected-unit').textContent()
  const rows = page.getByTestId('unit-table').locator('tbody tr')
  const other = (await rows.nth(0).getAttribute('data-testid')) === `unit-row-${first}` ? rows.nth(1) : rows.nth(0)
  const otherId = (await other.getAttribute('data-testid'))!.replace('unit-row-', '')
  await other.click()
  await expect(page.getByTestId('selected-unit')).toHaveText(otherId)
  await expect(other).toHaveClass(/selected/)
  for (const c of charts) await inked(page, c)
  // Sorting by spike count puts the largest first.
  await page.getByTestId('sort-spikeCount').click()
  const counts = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.children[3].textContent)))
  expect(counts).toEqual([...counts].sort((a, b) => b - a))
  // Export PNG downloads a real PNG.
  const download = page.waitForEvent('download')
  await page.getByTestId('chart-sta-export').click()
  const file = await (await download).path()
  expect(readFileSync(file).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  // The frame sliders move the frame shown.
  for (const c of charts.filter((x) => x === 'chart-sta' || x === 'chart-eimage')) {
    await page.getByTestId(`${c}-slider`).fill('0')
    await expect(page.getByTestId(c)).toContainText('(1/')
    await inked(page, c)
  }

  // ---- save, then save as onto an existing file asks before overwriting
  await page.getByTestId('save').click()
  await expect(page.getByTestId('activity')).toContainText(`Saved ${join(workdir, 'artifacts', 'synthetic_demo.h5')}`)
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await expect(page.getByTestId('saved-to')).toHaveText(join(workdir, 'artifacts', 'synthetic_demo.h5'))
  await page.getByTestId('save-as').click()
  await page.getByTestId('save-as-path').fill(checkpointPath)
  await page.getByTestId('save-as-confirm').click()
  await expect(page.getByTestId('overwrite-confirm')).toContainText('already exists')
  await page.getByTestId('overwrite-yes').click()
  await expect(page.getByTestId('activity')).toContainText(`Saved ${checkpointPath}`)
  await shot(page, '05-saved', testInfo)
  console.log(`screenshots:\n${shots.join('\n')}`)
})
