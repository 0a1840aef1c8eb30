// The web host serves the built renderer behind its token, and the app comes up with every registered step.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { type RunningHost, startHost } from './host'

let host: RunningHost
let workdir: string

test.beforeAll(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'wb-smoke-'))
  host = await startHost(workdir)
})

test.afterAll(async () => {
  await host?.stop()
  rmSync(workdir, { recursive: true, force: true })
})

test('the page and the API refuse requests without the token', async ({ request }) => {
  expect((await request.get(`${host.base}/`)).status()).toBe(403)
  expect((await request.post(`${host.base}/api/app.info`, { data: {} })).status()).toBe(403)
  expect((await request.post(`${host.base}/api/app.info`, { data: {}, headers: { 'x-workbench-token': 'nope' } })).status()).toBe(403)
  const ok = await request.post(`${host.base}/api/app.info`, { data: {}, headers: { 'x-workbench-token': host.token } })
  expect(ok.status()).toBe(200)
  const body = await ok.json()
  expect(body.ok).toBe(true)
  expect(body.result.transport).toBe('web')
  expect(body.result.workdir).toBe(workdir)
})

test('the workbench opens with the wizard, every registered step and an empty session panel', async ({ page, request }, testInfo) => {
  const steps = (await (await request.post(`${host.base}/api/steps.list`, { data: {}, headers: { 'x-workbench-token': host.token } })).json()).result as Array<{ id: string }>
  await page.goto(host.url)
  await expect(page.getByTestId('no-session')).toBeVisible()
  // The token leaves the address bar (and so the history) once the page has it (issue 10 item 13).
  expect(page.url()).not.toContain('token')
  expect(page.url()).not.toContain(host.token)
  await page.reload() // a reload of the tab still works: the token is kept for the tab, the cookie serves the page
  await expect(page.getByTestId('no-session')).toBeVisible()
  await expect(page.getByTestId('connection')).toHaveCount(0)
  await expect(page.getByTestId('side-recording')).toBeVisible()
  // Every step is in the sidebar, or is the alternative of a stage shown by its default (a choice inside the stage).
  const shownAs: Record<string, string> = { load_recording: 'load_recording_with_eimage_sta', add_section_time_analog: 'add_section_time' }
  for (const s of steps) await expect(page.getByTestId(`side-${shownAs[s.id] ?? s.id}`)).toBeVisible()
  await expect(page.getByTestId('connection')).toHaveCount(0) // the event socket is open
  // A missing file is refused with a message naming it, and the page stays usable.
  await page.getByTestId('cmcr-path').fill(join(workdir, 'missing.cmcr'))
  await page.getByTestId('open-recording').click()
  await expect(page.getByTestId('recording-error')).toContainText('missing.cmcr')
  await expect(page.getByTestId('no-session')).toBeVisible()
  await page.screenshot({ path: testInfo.outputPath('smoke-start.png'), fullPage: true })
})
