// The desktop app: one window, the native menu, native dialogs, and the contract over Electron IPC.
// The backend is the same WorkbenchService the web host serves.

import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { app, BrowserWindow } from 'electron'
import { createWorkbenchService } from '../workbench/create'
import { bindIpc } from './ipcBridge'
import { registerDialogs } from './dialogs'
import { buildMenu } from './menu'
import { createMainWindow } from './window'

let quitting = false

async function start(): Promise<void> {
  await app.whenReady()
  const workdir = join(app.getPath('documents'), 'HD-MEA Workbench')
  mkdirSync(workdir, { recursive: true })
  const service = createWorkbenchService({ transport: 'electron', workdir, configDir: app.getPath('userData') })
  const win = createMainWindow()
  registerDialogs(service, () => BrowserWindow.getFocusedWindow() ?? win)
  const unbind = bindIpc(service, win)
  buildMenu((command) => service.emit('menu.command', { command }))

  app.on('before-quit', (e) => {
    if (quitting) return
    quitting = true
    e.preventDefault()
    unbind()
    service.close().finally(() => app.exit(0))
  })
  app.on('window-all-closed', () => app.quit())
}

start().catch((err) => {
  console.error(err)
  app.exit(1)
})
