// Step plugins in the browser against the real web host started with --plugins: Settings lists the
// loaded plugins and the broken or colliding ones with their errors; a JavaScript and a Python step
// render their parameters, show their prerequisites and run through the wizard; "Reload plugins"
// picks up a new plugin file; the saved archive holds the plugin results.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { readArchive } from '../../src-main/archive'
import { getNode } from '../../src-shared/tree'
import { type RunningHost, demoDir, startHost } from './host'

let host: RunningHost
let workdir: string
let plugins: string

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'wb-e2e-plugins-'))
  plugins = join(workdir, 'plugins')
  mkdirSync(join(plugins, 'tag_session'), { recursive: true })
  writeFileSync(
    join(plugins, 'spike_total.mjs'),
    `export default {
  id: 'spike_total', title: 'Spike total', description: 'Adds up the spikes of every unit.',
  prerequisites: ['load_recording'],
  params: [{ name: 'scale', label: 'Scale factor', type: 'number', default: 1, min: 0, help: 'The total is multiplied by this.' }],
  run(api, p) {
    let n = 0
    for (const id of api.unitIds()) n += api.units.get(id + '/spike_times').length
    api.addMetadata('spike_total', n * p.scale)
    return 'total ' + n * p.scale
  },
}
`,
  )
  writeFileSync(
    join(plugins, 'tag_session', 'step.json'),
    JSON.stringify({ id: 'tag_session', title: 'Tag session', command: ['{python}', 'tag.py'], prerequisites: ['spike_total'], params: [{ name: 'tag', type: 'string', default: 'e2e', help: 'Written to metadata/tag.' }] }),
  )
  writeFileSync(
    join(plugins, 'tag_session', 'tag.py'),
    `import argparse, json
import h5py
ap = argparse.ArgumentParser(); ap.add_argument("--archive"); ap.add_argument("--params"); a = ap.parse_args()
p = json.load(open(a.params))
with h5py.File(a.archive, "r+") as f:
    f["metadata"].create_dataset("tag", data=p["tag"])
    f.require_group("stimulus").create_dataset("tagged", data=1)
    print("PROGRESS 1.0 tagged", flush=True)
`,
  )
  writeFileSync(join(plugins, 'broken.mjs'), 'export default { id: "broken", title: "Broken" }\n')
  writeFileSync(join(plugins, 'clash.mjs'), `export default { id: 'load_recording', title: 'Clash', run() {} }\n`)
  host = await startHost(workdir, ['--demo-dir', demoDir(), '--plugins', plugins])
})

test.afterAll(async () => {
  await host?.stop()
  rmSync(workdir, { recursive: true, force: true })
})

test('plugins: settings list, wizard runs of a JavaScript and a Python step, reload, saved results', async ({ page }, testInfo) => {
  await page.goto(host.url)

  // ---- Settings: what was found, with the errors of the broken and the colliding plugin
  await page.getByTestId('nav-settings').click()
  const list = page.getByTestId('plugin-list')
  for (const id of ['spike_total', 'tag_session', 'compute_burst_statistics', 'compute_burst_statistics_py']) {
    await expect(list.locator(`[data-testid="plugin-row"][data-status="loaded"][data-id="${id}"]`)).toHaveCount(1)
  }
  const errors = list.getByTestId('plugin-error')
  await expect(errors).toHaveCount(2)
  await expect(errors.filter({ hasText: join(plugins, 'broken.mjs') })).toContainText('run: must be a function')
  await expect(errors.filter({ hasText: 'clash.mjs' })).toHaveText(
    `step id 'load_recording' of ${join(plugins, 'clash.mjs')} is already taken by a built-in step of the workbench; rename one of them`,
  )
  // Browser mode: folders and interpreter are fixed at the host's start.
  await expect(page.getByTestId('plugin-folders')).toHaveAttribute('readonly', '')
  await expect(page.getByTestId('plugin-python')).toHaveValue('/usr/bin/python3')
  await page.screenshot({ path: testInfo.outputPath('plugins-settings.png'), fullPage: true })

  // ---- the wizard: plugin steps are listed, blocked until a loader ran, and render their parameters
  await page.getByTestId('nav-wizard').click()
  await page.getByTestId('open-demo').click()
  await expect(page.getByTestId('dataset')).toHaveText('synthetic_demo', { timeout: 60_000 })
  await expect(page.getByTestId('side-spike_total')).toHaveAttribute('data-state', 'blocked')
  await page.getByTestId('side-spike_total').click()
  await expect(page.getByTestId('step-spike_total')).toContainText('load_recording or load_recording_with_eimage_sta (not yet)')
  await expect(page.getByTestId('param-scale')).toContainText('Scale factor')
  await expect(page.getByTestId('param-scale')).toContainText('The total is multiplied by this.')
  await page.getByTestId('param-scale').locator('input').fill('-1')
  await expect(page.getByTestId('param-scale').getByTestId('param-error')).toContainText("'scale' must be >= 0")

  // The Load stage with its electrical-images switch off is the plain load.
  await page.getByTestId('side-load_recording_with_eimage_sta').click()
  await page.getByTestId('eimage-switch').uncheck()
  await page.getByTestId('side-load_recording').click()
  await page.getByTestId('run-step').click()
  await expect(page.getByTestId('side-load_recording')).toHaveAttribute('data-state', 'done', { timeout: 120_000 })

  await page.getByTestId('side-spike_total').click()
  await page.getByTestId('param-scale').locator('input').fill('2')
  await page.getByTestId('run-step').click()
  await expect(page.getByTestId('step-summary')).toContainText('total ', { timeout: 60_000 })
  await expect(page.getByTestId('side-spike_total')).toHaveAttribute('data-state', 'done')

  await page.getByTestId('side-tag_session').click()
  await page.getByTestId('param-tag').locator('input').fill('from-the-wizard')
  await page.getByTestId('run-step').click()
  await expect(page.getByTestId('step-summary')).toContainText('new or changed: 1 under metadata/, 1 under stimulus/', { timeout: 120_000 })
  await expect(page.getByTestId('side-tag_session')).toHaveAttribute('data-state', 'done')
  await expect(page.getByTestId('completed-steps')).toContainText('tag_session')
  await page.screenshot({ path: testInfo.outputPath('plugins-python-step.png'), fullPage: true })

  // ---- Reload plugins picks up a plugin added while the app runs
  writeFileSync(join(plugins, 'late.mjs'), `export default { id: 'late_step', title: 'Late step', run(api) { return 'late' } }\n`)
  await page.getByTestId('nav-settings').click()
  await page.getByTestId('reload-plugins').click()
  await expect(list.locator('[data-testid="plugin-row"][data-status="loaded"][data-id="late_step"]')).toHaveCount(1)
  await page.getByTestId('nav-wizard').click()
  await expect(page.getByTestId('side-late_step')).toBeVisible()

  // ---- saved and read back like any other result
  await page.getByTestId('save').click()
  const archivePath = join(workdir, 'artifacts', 'synthetic_demo.h5')
  await expect(page.getByTestId('activity')).toContainText(`Saved ${archivePath}`)
  const archive = await readArchive(archivePath)
  const total = [...archive.units.children.keys()].reduce((a, id) => a + ((getNode(archive.units, `${id}/spike_times`) as { data: Float64Array }).data.length), 0)
  expect(getNode(archive.metadata, 'spike_total')).toMatchObject({ dtype: 'float64', data: Float64Array.of(2 * total) })
  expect(getNode(archive.metadata, 'tag')).toMatchObject({ kind: 'string', data: ['from-the-wizard'] })
  expect(getNode(archive.stimulus, 'tagged')).toMatchObject({ kind: 'numeric' })
  expect(archive.completedSteps).toEqual(expect.arrayContaining(['spike_total', 'tag_session']))
})
