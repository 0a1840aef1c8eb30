// Logs on disk in browser mode: the web host writes <workdir>/.workbench/logs/workbench.log; the Log
// view says where it is, copies a diagnostics report, and errors of the page reach the file.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { type RunningHost, startHost } from './host'

let host: RunningHost
let workdir: string
let logFile: string

test.beforeAll(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'wb-logdisk-'))
  host = await startHost(workdir)
  logFile = join(workdir, '.workbench', 'logs', 'workbench.log')
})

test.afterAll(async () => {
  await host?.stop()
  rmSync(workdir, { recursive: true, force: true })
})

test('the web host prints and writes its log file', async () => {
  await expect.poll(() => host.output()).toContain(`Log file: ${logFile}`) // printed just after the URL
  expect(existsSync(logFile)).toBe(true)
  expect(readFileSync(logFile, 'utf8')).toContain(`web host starting`)
})

test('Log view: where the log folder is, and diagnostics with versions, the session and the log tail', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: host.base })
  await page.goto(host.url)
  await page.getByTestId('nav-log').click()
  await page.getByTestId('open-log-folder').click()
  await expect(page.getByTestId('log-notice')).toHaveText(`The log files are in ${join(workdir, '.workbench', 'logs')}`)

  await page.getByTestId('copy-diagnostics').click()
  await expect(page.getByTestId('log-notice')).toHaveText('Diagnostics copied to the clipboard.')
  const copied = await page.evaluate(() => navigator.clipboard.readText())
  expect(copied).toMatch(/^HD-MEA Workbench \S+ \(browser mode\) — diagnostics /)
  expect(copied).toContain(`node: `)
  expect(copied).toContain(`log file: ${logFile}`)
  expect(copied).toContain('no session open')
  expect(copied).toMatch(/## Last \d+ log lines\n/)
  expect(copied).toContain('web host starting')
})

test('an error thrown in the page is written to the log file with its stack', async ({ page }) => {
  await page.goto(host.url)
  await expect(page.getByTestId('nav-log')).toBeVisible()
  await page.evaluate(() => {
    setTimeout(() => {
      throw new Error('e2e boom from the page')
    })
  })
  // the message line and then its stack are appended by the host process; poll until both are there
  await expect.poll(() => readFileSync(logFile, 'utf8')).toMatch(/renderer stack: Error: e2e boom from the page\n\s+at /)
  expect(readFileSync(logFile, 'utf8')).toContain('renderer: Error: e2e boom from the page')
})
