// Smoke test of the installed Windows app (see .github/workflows/windows.yml): the packaged window opens,
// the demo runs through the Quick Start in it (worker threads and HDF5 inside the package), the archive
// is saved, the log file is written in the user's log folder, and a second launch with that archive
// (as a double-click would) focuses the running window and resumes it there instead of starting again.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { type ElectronApplication, type Page, _electron as electron, expect, test } from '@playwright/test'

const exe = process.env.HDMEA_APP_EXE ?? ''
const QUICK_START = ['load_recording_with_eimage_sta', 'add_section_time', 'section_spike_times', 'compute_sta', 'extract_features']

interface Snapshot {
  datasetId: string
  outputDir: string
  openedFrom: string | null
  runningJob: unknown
  completedSteps: string[]
  steps: Array<{ id: string; state: string; lastError?: { message: string } }>
  suggestedParams: Record<string, Record<string, unknown>>
}

/** A contract request through the preload bridge of the packaged window (window.workbench). */
async function call<T>(page: Page, name: string, params: unknown = {}): Promise<T> {
  const reply = (await page.evaluate(
    ([n, p]) => (window as unknown as { workbench: { invoke(n: string, p: unknown): Promise<unknown> } }).workbench.invoke(n as string, p),
    [name, params] as const,
  )) as { ok: boolean; result?: T; error?: { message: string } }
  if (!reply.ok) throw new Error(`${name}: ${reply.error?.message}`)
  return reply.result as T
}

let app: ElectronApplication
let page: Page

test.beforeAll(async () => {
  test.skip(process.platform !== 'win32' || !existsSync(exe), 'needs the installed app on Windows (HDMEA_APP_EXE)')
  app = await electron.launch({ executablePath: exe, args: [] })
  page = await app.firstWindow()
})

test.afterAll(async () => {
  await app?.close()
})

test('the window opens with the wizard', async () => {
  await expect(page.getByTestId('no-session')).toBeVisible()
  const info = await call<{ transport: string; nativeDialogs: boolean }>(page, 'app.info')
  expect(info.transport).toBe('electron')
  expect(info.nativeDialogs).toBe(true)
})

test('the demo runs through the Quick Start and the archive is saved', async () => {
  let snap = await call<Snapshot>(page, 'session.openDemo')
  for (const id of QUICK_START) {
    await call(page, 'step.run', { stepId: id, params: snap.suggestedParams[id] ?? {} })
    await expect
      .poll(async () => (snap = await call<Snapshot>(page, 'session.get')).runningJob, { timeout: 10 * 60_000, intervals: [500] })
      .toBeNull()
    const status = snap.steps.find((s) => s.id === id)
    expect(status?.state, `${id}: ${status?.lastError?.message ?? ''}`).toBe('done')
  }
  const saved = await call<{ path: string }>(page, 'session.save', { overwrite: true })
  expect(existsSync(saved.path)).toBe(true)
  expect(statSync(saved.path).size).toBeGreaterThan(1_000_000)
  process.env.HDMEA_SAVED_ARCHIVE = saved.path
})

test('the log file is in the user log folder', async () => {
  const d = await call<{ text: string; logFile: string }>(page, 'log.diagnostics')
  expect(d.logFile).toMatch(/\\HD-MEA Workbench\\logs\\workbench\.log$/i)
  const text = readFileSync(d.logFile, 'utf8')
  expect(text).toContain('HD-MEA Workbench')
  expect(text).toMatch(/Saved .*\.h5/)
  expect(d.text).toContain('electron: ')
})

test('a second launch with the archive resumes it in the running window and exits', async () => {
  const archive = process.env.HDMEA_SAVED_ARCHIVE!
  const second = spawn(exe, [archive], { stdio: 'ignore' })
  const code = await new Promise<number | null>((resolve) => second.once('exit', (c) => resolve(c)))
  expect(code).toBe(0) // it handed over to the first instance and quit
  await expect.poll(async () => (await call<Snapshot>(page, 'session.get')).openedFrom, { timeout: 120_000 }).toBe(archive)
  expect(app.windows()).toHaveLength(1)
})
