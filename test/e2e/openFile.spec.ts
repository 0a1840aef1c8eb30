// A file named at start (as a double-clicked file reaches the desktop app) opens in the page through the
// renderer's Open path: the .cmcr with the .cmtr found beside it becomes the session.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { type RunningHost, startHost } from './host'

let host: RunningHost
let workdir: string

test.beforeAll(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'wb-openfile-'))
  // opening a recording only checks the files; the steps read them later
  writeFileSync(join(workdir, 'set6_rec.cmcr'), '')
  writeFileSync(join(workdir, 'set6_rec-.cmtr'), '')
  host = await startHost(workdir, [join(workdir, 'set6_rec.cmcr')])
})

test.afterAll(async () => {
  await host?.stop()
  rmSync(workdir, { recursive: true, force: true })
})

test('the file given at start opens as the session, paired with its .cmtr, once', async ({ page }) => {
  await page.goto(host.url)
  await expect(page.getByTestId('dataset')).toHaveText('set6_rec')
  const res = await page.request.post(`${host.base}/api/session.get`, { data: {}, headers: { 'x-workbench-token': host.token } })
  const snap = (await res.json()).result as { sourceFiles: Record<string, string> }
  expect(snap.sourceFiles).toMatchObject({ cmcr_path: join(workdir, 'set6_rec.cmcr'), cmtr_path: join(workdir, 'set6_rec-.cmtr') })
  // taken once: a reload does not open it again (the session stays, nothing new queued)
  const again = await page.request.post(`${host.base}/api/app.takeOpenRequests`, { data: {}, headers: { 'x-workbench-token': host.token } })
  expect((await again.json()).result).toEqual([])
})
