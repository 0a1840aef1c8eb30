// The wizard a biologist can trust (issue 13 items 1-4, 6, 7), in a browser against the real web host,
// at 1366 x 768: pairing and raw-only loads, mixed recordings need a yes, 0 units is a warning, unsaved
// work is never replaced silently, one Load stage with the electrical-images switch and one Section-time
// stage, landing after Open demo and after a resume, a failure after a success, the review page.
// Screenshots of every page this touches, light and dark, go to test-results/screenshots/.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { type Page, expect, test } from '@playwright/test'
import { type RunningHost, demoDir, startHost } from './host'

const DEMO_DIR = demoDir()
const SHOTS = resolve(import.meta.dirname, '../../test-results/screenshots')
const EIMAGE = 'load_recording_with_eimage_sta'

let host: RunningHost
let workdir: string

test.describe.configure({ mode: 'serial' })
test.use({ viewport: { width: 1366, height: 768 } })

test.beforeAll(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'wb-wizard-'))
  host = await startHost(workdir, ['--demo-dir', DEMO_DIR])
  // Make sure the demo exists (generated on first use in this run), then lay out test folders inside the
  // working folder with links to its files: another recording name, and a raw file without its sorting.
  const post = (name: string) =>
    fetch(`${host.base}/api/${name}`, { method: 'POST', headers: { 'x-workbench-token': host.token }, body: '{}' }).then((r) => r.json())
  expect((await post('session.openDemo')).ok).toBe(true)
  expect((await post('session.close')).ok).toBe(true)
  mkdirSync(join(workdir, 'other'))
  symlinkSync(join(DEMO_DIR, 'synthetic_demo-.cmtr'), join(workdir, 'other', 'other_rec-.cmtr'))
  mkdirSync(join(workdir, 'raw'))
  symlinkSync(join(DEMO_DIR, 'synthetic_demo.cmcr'), join(workdir, 'raw', 'lonely.cmcr'))
  mkdirSync(SHOTS, { recursive: true })
})

test.afterAll(async () => {
  await host?.stop()
  rmSync(workdir, { recursive: true, force: true })
})

/** The page in both themes at 1366 x 768 (the viewport of this file). */
async function shots(page: Page, name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme })
    await page.screenshot({ path: join(SHOTS, `${name}-${scheme}.png`) })
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

async function runStage(page: Page, stepId: string): Promise<void> {
  await expect(page.getByTestId(`step-${stepId}`)).toBeVisible()
  await page.getByTestId('run-step').click()
  await expect(page.getByTestId('step-summary').or(page.getByTestId('step-error'))).toBeVisible({ timeout: 120_000 })
  await expect(page.getByTestId('step-error'), `${stepId} failed`).toHaveCount(0)
  await expect(page.getByTestId(`side-${stepId}`)).toHaveAttribute('data-state', 'done')
}

test('start page: pairing, mixed recordings need a yes, raw only is a choice and finds 0 units (amber)', async ({ page }) => {
  await page.goto(host.url)
  await expect(page.getByTestId('start-page')).toBeVisible()
  await expect(page.getByTestId('no-session')).toBeVisible()
  await shots(page, 'start')

  // Picking X.cmcr finds X-.cmtr beside it, and the reverse.
  await page.getByTestId('cmcr-path').fill(join(DEMO_DIR, 'synthetic_demo.cmcr'))
  await expect(page.getByTestId('cmtr-path')).toHaveValue(join(DEMO_DIR, 'synthetic_demo-.cmtr'))
  await expect(page.getByTestId('pair-note')).toContainText('synthetic_demo-.cmtr')
  await page.getByTestId('cmcr-path').fill('')
  await page.getByTestId('cmtr-path').fill('')
  await page.getByTestId('cmtr-path').fill(join(DEMO_DIR, 'synthetic_demo-.cmtr'))
  await expect(page.getByTestId('cmcr-path')).toHaveValue(join(DEMO_DIR, 'synthetic_demo.cmcr'))

  // A .cmtr of another name in another folder: Open asks; Cancel opens nothing.
  await page.getByTestId('cmtr-path').fill(join(workdir, 'other', 'other_rec-.cmtr'))
  await page.getByTestId('cmcr-path').fill(join(DEMO_DIR, 'synthetic_demo.cmcr'))
  await expect(page.getByTestId('cmtr-path')).toHaveValue(join(workdir, 'other', 'other_rec-.cmtr'))
  await page.getByTestId('open-recording').click()
  const pair = page.getByTestId('pair-dialog')
  await expect(pair).toContainText('different folders')
  await expect(pair).toContainText('their names differ (synthetic_demo / other_rec)')
  await shots(page, 'start-mixed-pair-dialog')
  await pair.getByTestId('dialog-cancel').click()
  await expect(pair).toHaveCount(0)
  await expect(page.getByTestId('no-session')).toBeVisible()

  // A raw file without its sorting: opened only after the explicit raw-only choice.
  await page.getByTestId('cmtr-path').fill('')
  await page.getByTestId('cmcr-path').fill(join(workdir, 'raw', 'lonely.cmcr'))
  await expect(page.getByTestId('pair-note')).toContainText('No lonely-.cmtr or lonely.cmtr beside it')
  await page.getByTestId('open-recording').click()
  const rawOnly = page.getByTestId('raw-only-dialog')
  await expect(rawOnly).toContainText('No .cmtr is given for lonely.cmcr')
  await rawOnly.getByTestId('dialog-cancel').click()
  await expect(page.getByTestId('no-session')).toBeVisible()
  await page.getByTestId('open-recording').click()
  await rawOnly.getByTestId('dialog-raw').click()
  await expect(page.getByTestId('dataset')).toHaveText('lonely')
  // Landed on the Load stage; without a .cmtr only the plain load can run.
  await expect(page.getByTestId(`step-${EIMAGE}`)).toBeVisible()
  await page.getByTestId('eimage-switch').uncheck()
  await expect(page.getByTestId('step-load_recording')).toBeVisible()
  await page.getByTestId('run-step').click()
  // 0 units: amber warning, never the green success.
  await expect(page.getByTestId('step-warning')).toContainText('no units', { timeout: 60_000 })
  await expect(page.getByTestId('step-summary')).toHaveCount(0)
  await expect(page.getByTestId('side-load_recording')).toHaveAttribute('data-state', 'warning')
  await expect(page.getByTestId('step-state')).toHaveAttribute('data-state', 'warning')
  await expect(page.getByTestId('unit-count')).toHaveText('0')
  await shots(page, 'step-load-zero-units')
})

test('unsaved work: Open demo asks Save / Discard / Cancel; Cancel keeps the session, Save saves it first', async ({ page }) => {
  await page.goto(host.url)
  await expect(page.getByTestId('dataset')).toHaveText('lonely')
  await page.getByTestId('side-recording').click()
  await page.getByTestId('open-demo').click()
  const dialog = page.getByTestId('unsaved-dialog')
  await expect(dialog).toContainText('The session lonely (1 completed step) has never been saved.')
  await expect(dialog.getByRole('button')).toHaveText(['Save', 'Discard', 'Cancel'])
  await shots(page, 'unsaved-dialog')
  await dialog.getByTestId('dialog-cancel').click()
  await expect(dialog).toHaveCount(0)
  await expect(page.getByTestId('dataset')).toHaveText('lonely')
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'deferred')
  await expect(page.getByTestId('completed-steps')).toContainText('load_recording')

  // Escape is Cancel too.
  await page.getByTestId('open-demo').click()
  await expect(dialog).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(dialog).toHaveCount(0)
  await expect(page.getByTestId('dataset')).toHaveText('lonely')

  // Save writes the session, then the demo replaces it.
  await page.getByTestId('open-demo').click()
  await dialog.getByTestId('dialog-save').click()
  await expect(page.getByTestId('dataset')).toHaveText('synthetic_demo', { timeout: 60_000 })
  const recent = await (
    await fetch(`${host.base}/api/recent.list`, { method: 'POST', headers: { 'x-workbench-token': host.token }, body: '{}' })
  ).json()
  expect(recent.result.archives.map((a: { path: string; kind: string }) => [a.path, a.kind])).toContainEqual([join(workdir, 'artifacts', 'lonely.h5'), 'save'])
})

test('one Load stage with the electrical-images switch, one Section-time stage; the sidebar shows the chosen path', async ({ page }) => {
  await page.goto(host.url)
  await expect(page.getByTestId('dataset')).toHaveText('synthetic_demo')
  await page.getByTestId(`side-${EIMAGE}`).click()
  const sidebar = page.getByTestId('wizard-sidebar')
  // Open demo landed here: the first step that can run, with electrical images on by default.
  await expect(page.getByTestId(`step-${EIMAGE}`)).toBeVisible()
  await expect(page.getByTestId('eimage-switch')).toBeChecked()
  await expect(sidebar.getByTestId(`side-${EIMAGE}`)).toContainText('Load recording')
  await expect(sidebar.getByTestId('side-load_recording')).toHaveCount(0)
  await expect(sidebar.getByTestId('side-add_section_time')).toBeVisible()
  await expect(sidebar.getByTestId('side-add_section_time_analog')).toHaveCount(0)
  // State in words as well as colour.
  await expect(sidebar.getByTestId(`side-${EIMAGE}`)).toContainText('ready to run')
  await expect(sidebar.getByTestId('side-section_spike_times')).toContainText('waiting for an earlier step')
  await shots(page, 'step-load')

  // The switch picks the other load: the sidebar follows.
  await page.getByTestId('eimage-switch').uncheck()
  await expect(page.getByTestId('step-load_recording')).toBeVisible()
  await expect(sidebar.getByTestId('side-load_recording')).toBeVisible()
  await expect(sidebar.getByTestId(`side-${EIMAGE}`)).toHaveCount(0)
  await page.getByTestId('eimage-switch').check()
  await expect(page.getByTestId(`step-${EIMAGE}`)).toBeVisible()
  // The form holds this session's own files.
  await expect(page.getByTestId('param-cmcr_path').locator('input').first()).toHaveValue(join(DEMO_DIR, 'synthetic_demo.cmcr'))
  await expect(page.getByTestId('param-cmtr_path').locator('input').first()).toHaveValue(join(DEMO_DIR, 'synthetic_demo-.cmtr'))

  // Section time: playlist or analog inside one stage; the playlist is a list of the file's names.
  await sidebar.getByTestId('side-add_section_time').click()
  await expect(page.getByTestId('step-add_section_time')).toBeVisible()
  const playlist = page.getByTestId('param-playlist_name').locator('select')
  await expect(playlist).toHaveValue('demo_playlist')
  await expect(playlist.locator('option')).toHaveText(['demo_playlist'])
  await shots(page, 'step-section-time')
  await page.getByTestId('choice-add_section_time_analog').check()
  await expect(page.getByTestId('step-add_section_time_analog')).toBeVisible()
  await expect(sidebar.getByTestId('side-add_section_time_analog')).toBeVisible()
  await expect(sidebar.getByTestId('side-add_section_time')).toHaveCount(0)
  await page.getByTestId('choice-add_section_time').check()
  await expect(sidebar.getByTestId('side-add_section_time')).toBeVisible()
})

test('a failure after a success replaces its "done"; resume lands on the first step that can run; the review page', async ({ page }) => {
  await page.goto(host.url)
  await expect(page.getByTestId('dataset')).toHaveText('synthetic_demo')
  await page.getByTestId(`side-${EIMAGE}`).click()
  await runStage(page, EIMAGE)
  await expect(page.getByTestId('unit-count')).not.toHaveText('0')

  // A checkpoint after the load, resumed later: lands on Section time, the first step that can run.
  await page.getByTestId('checkpoint').click()
  await expect(page.getByTestId('activity')).toContainText('Checkpoint written:')
  const checkpoint = ((await page.getByTestId('activity').textContent()) ?? '').replace(/^.*Checkpoint written:\s*/s, '').trim()

  await page.getByTestId('next').click()
  await runStage(page, 'add_section_time')
  await page.getByTestId('next').click()
  await runStage(page, 'section_spike_times')
  await page.getByTestId('next').click()
  await runStage(page, 'compute_sta')

  // Run again with a folder that does not exist: the error replaces the earlier success everywhere.
  const dir = page.getByTestId('param-stimulus_dir').locator('input').first()
  const goodDir = await dir.inputValue()
  await dir.fill(join(workdir, 'no-such-stimuli'))
  await page.getByTestId('run-step').click()
  await expect(page.getByTestId('step-error')).toContainText('no-such-stimuli', { timeout: 60_000 })
  await expect(page.getByTestId('step-summary')).toHaveCount(0)
  await expect(page.getByTestId('step-done')).toHaveCount(0)
  await expect(page.getByTestId('step-state')).toHaveAttribute('data-state', 'failed')
  await expect(page.getByTestId('step-state')).toContainText('failed')
  await expect(page.getByTestId('side-compute_sta')).toHaveAttribute('data-state', 'failed')
  await expect(page.getByTestId('step-error')).toContainText('The results of an earlier successful run are still in the session.')
  await shots(page, 'step-failed-after-success')
  await dir.fill(goodDir)
  await runStage(page, 'compute_sta')
  await page.getByTestId('next').click()
  await runStage(page, 'extract_features')

  // The review (after the last step; bundled plugin steps may follow extract_features): per step what
  // was computed, and the way on.
  await page.getByTestId('side-review').click()
  const review = page.getByTestId('review-page')
  await expect(review).toBeVisible()
  for (const id of [EIMAGE, 'add_section_time', 'section_spike_times', 'compute_sta', 'extract_features']) {
    await expect(review.getByTestId(`review-${id}`)).toHaveAttribute('data-state', 'done')
  }
  await expect(review.getByTestId(`review-${EIMAGE}`)).toContainText('Load recording')
  await expect(review.getByTestId('review-save-state')).toHaveText('Not saved yet')
  await shots(page, 'review')
  await review.getByTestId('review-charts').click()
  await expect(page.getByTestId('charts-view')).toBeVisible()
  await page.getByTestId('nav-wizard').click()
  await page.getByTestId('review-save').click()
  await expect(page.getByTestId('activity')).toContainText(`Saved ${join(workdir, 'artifacts', 'synthetic_demo.h5')}`)
  await expect(review.getByTestId('review-save-state')).toContainText('Saved to')

  // Change the saved session (run a step again), then resume the checkpoint: asked first, then landed.
  await page.getByTestId('side-extract_features').click()
  await runStage(page, 'extract_features')
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'modified')
  await page.getByTestId('side-recording').click()
  await page.getByTestId('resume-path').fill(checkpoint)
  await page.getByTestId('resume-button').click()
  await expect(page.getByTestId('unsaved-dialog')).toContainText('was changed since it was saved')
  await page.getByTestId('dialog-discard').click()
  await expect(page.getByTestId('opened-from')).toHaveText(checkpoint)
  await expect(page.getByTestId('step-add_section_time')).toBeVisible()
  await expect(page.getByTestId(`side-${EIMAGE}`)).toHaveAttribute('data-state', 'done')
})

test('closing the tab with unsaved work asks (beforeunload); Settings says how to allow a folder', async ({ page }) => {
  await page.goto(host.url)
  await expect(page.getByTestId('dataset')).toHaveText('synthetic_demo')
  await page.getByTestId('nav-settings').click()
  await expect(page.getByTestId('allowed-folders')).toHaveValue(new RegExp(workdir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
  await page.getByTestId('allow-folder').fill('/data/recordings')
  await expect(page.getByTestId('allow-command')).toContainText('npm start -- ')
  await expect(page.getByTestId('allow-command')).toContainText('--allow /data/recordings')
  await shots(page, 'settings')

  // The resumed checkpoint is saved; run a step so the session holds unsaved work, then close the tab.
  await page.getByTestId('nav-wizard').click()
  await page.getByTestId('side-add_section_time').click()
  await runStage(page, 'add_section_time')
  const asked = new Promise<string>((resolveType) => page.once('dialog', (d) => (resolveType(d.type()), void d.accept())))
  await page.close({ runBeforeUnload: true })
  expect(await asked).toBe('beforeunload')
})
