// The renderer's desktop code path (window.workbench from the preload) cannot run without the Electron
// binary; here a stand-in bridge with the preload's shape (Reply envelopes, one event listener, a
// pathForFile) forwards to the web host, so the renderer's bridge client, drag and drop of recording
// files, and the keyboard shortcuts are exercised in Chromium.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { type RunningHost, demoDir, startHost } from './host'

const DEMO_DIR = demoDir()
let host: RunningHost
let workdir: string

test.beforeAll(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'wb-desktop-'))
  host = await startHost(workdir, ['--demo-dir', DEMO_DIR])
  // Make sure the demo files exist (generated on first use in this run).
  const post = (name: string) =>
    fetch(`${host.base}/api/${name}`, { method: 'POST', headers: { 'x-workbench-token': host.token }, body: '{}' }).then((r) => r.json())
  expect((await post('session.openDemo')).ok).toBe(true)
  expect((await post('session.close')).ok).toBe(true)
})

test.afterAll(async () => {
  await host?.stop()
  rmSync(workdir, { recursive: true, force: true })
})

test('drop the recording pair onto the window, then Ctrl+S saves and Ctrl+Shift+S asks where', async ({ page }, testInfo) => {
  await page.addInitScript(
    ({ token, demoDir }) => {
      const listeners = new Set<(event: string, payload: unknown) => void>()
      const ws = new WebSocket(`ws://${location.host}/ws`, ['workbench', `workbench.token.${token}`])
      ws.onmessage = (m) => {
        const { event, payload } = JSON.parse(String(m.data))
        if (event !== 'hello') for (const l of listeners) l(event, payload)
      }
      ;(window as unknown as { workbench: unknown }).workbench = {
        transport: 'electron',
        invoke: async (name: string, params: unknown) =>
          (await fetch(`/api/${name}`, { method: 'POST', headers: { 'x-workbench-token': token }, body: JSON.stringify(params ?? {}) })).json(),
        on: (l: (event: string, payload: unknown) => void) => {
          listeners.add(l)
          return () => listeners.delete(l)
        },
        pathForFile: (file: File) => `${demoDir}/${file.name}`,
      }
    },
    { token: host.token, demoDir: DEMO_DIR },
  )
  await page.goto(host.url)
  await expect(page.getByTestId('no-session')).toBeVisible()

  await page.evaluate(() => {
    const dt = new DataTransfer()
    dt.items.add(new File(['x'], 'synthetic_demo.cmcr'))
    dt.items.add(new File(['x'], 'synthetic_demo-.cmtr'))
    const shell = document.querySelector('.shell')!
    shell.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }))
    shell.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }))
  })
  await expect(page.getByTestId('dataset')).toHaveText('synthetic_demo')
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'deferred')

  // Events reach the renderer through the bridge: running a step updates the sidebar live.
  // The Load stage, with its electrical-images switch off: the plain load.
  await page.getByTestId('side-load_recording_with_eimage_sta').click()
  await page.getByTestId('eimage-switch').uncheck()
  await page.getByTestId('side-load_recording').click()
  await page.getByTestId('run-step').click()
  await expect(page.getByTestId('side-load_recording')).toHaveAttribute('data-state', 'done', { timeout: 60_000 })
  await expect(page.getByTestId('unit-count')).not.toHaveText('0')

  await page.keyboard.press('Control+s')
  await expect(page.getByTestId('activity')).toContainText(`Saved ${join(workdir, 'artifacts', 'synthetic_demo.h5')}`)
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await page.keyboard.press('Control+Shift+S')
  await expect(page.getByTestId('save-as-form')).toBeVisible()
  await page.keyboard.press('Control+o')
  await expect(page.getByTestId('file-browser').first()).toBeVisible()
  await page.screenshot({ path: testInfo.outputPath('desktop-path.png'), fullPage: true })
})
