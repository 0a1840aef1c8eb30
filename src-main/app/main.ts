// The desktop app: one instance, one window, the native menu, native dialogs, the contract over
// Electron IPC, and the log on disk (electron-log) in the user's log folder. The backend is the same
// WorkbenchService the web host serves; what can be tested without Electron lives in ../desktop and
// ../logging.

import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { app, BrowserWindow, dialog, shell } from 'electron'
import log from 'electron-log/main'
import { logAppCrashes, logProcessCrashes } from '../desktop/crashLog'
import { APP_ID, LOG_FILE_NAME } from '../desktop/identity'
import { fileArgsFromArgv, openRequestsFor } from '../desktop/openArgs'
import { OpenQueue } from '../desktop/openQueue'
import { handleSecondInstance, launchData } from '../desktop/singleInstance'
import { attachLogging } from '../logging/attachLogging'
import { openDiskLog } from '../logging/diskLog'
import { createWorkbenchService } from '../workbench/create'
import { confirmClose } from './closeGuard'
import { bindIpc } from './ipcBridge'
import { registerDialogs } from './dialogs'
import { buildMenu } from './menu'
import { createMainWindow } from './window'
import { exitProcess } from '../../src-worker/threadsLeftBehind'

let quitting = false

// Before anything else: the taskbar identity (matches appId in electron-builder.yml), and one instance.
app.setAppUserModelId(APP_ID)
const primary = app.requestSingleInstanceLock(launchData(process.argv, process.cwd()))
if (!primary) {
  app.quit() // the running instance got our command line through 'second-instance'
} else {
  start().catch((err) => {
    log.error(`start-up failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    console.error(err)
    app.exit(1)
  })
}

async function start(): Promise<void> {
  const disk = openDiskLog(log, { file: join(app.getPath('logs'), LOG_FILE_NAME), console: !app.isPackaged })
  logProcessCrashes(process, disk.write)
  logAppCrashes(app, disk.write)
  let win: BrowserWindow | null = null
  let service: ReturnType<typeof createWorkbenchService> | null = null
  const opens = new OpenQueue((request) => service?.emit('app.openFile', request))
  // Registered before ready: macOS delivers files of the launch as open-file events, and a second
  // launch may come while we start.
  app.on('open-file', (e, path) => {
    e.preventDefault()
    opens.push(openRequestsFor([path], existsSync))
  })
  app.on('second-instance', (_e, argv, workingDirectory, additionalData) => {
    const requests = handleSecondInstance({ argv, workingDirectory, additionalData }, { window: () => win, open: (r) => opens.push(r), exists: existsSync })
    disk.write('info', `second launch${requests.length ? `: opening ${requests.length} file(s) here` : ''}`)
  })

  await app.whenReady()
  disk.write('info', `HD-MEA Workbench ${app.getVersion()} starting (Electron ${process.versions.electron}, ${process.platform} ${process.arch})`)
  const workdir = join(app.getPath('documents'), 'HD-MEA Workbench')
  mkdirSync(workdir, { recursive: true })
  service = createWorkbenchService({ transport: 'electron', workdir, configDir: app.getPath('userData'), version: app.getVersion(), prewarm: true })
  attachLogging(service, disk, { openFolder: async (path) => (await shell.openPath(path)) === '' })
  service.register('app.takeOpenRequests', () => opens.take())
  opens.push(openRequestsFor(fileArgsFromArgv(process.argv.slice(1), process.cwd()), existsSync))

  win = createMainWindow()
  win.webContents.on('did-start-loading', () => opens.pause()) // a reload: hold files until the page asks again
  registerDialogs(service, () => BrowserWindow.getFocusedWindow() ?? win!)
  const unbind = bindIpc(service, win)
  const svc = service
  buildMenu((command) => svc.emit('menu.command', { command }))

  // Unsaved work is asked about once, whether the window is closed or the app quits (menu, Cmd+Q).
  const window = win
  let closeAllowed = false
  const mayClose = async (): Promise<boolean> => {
    if (closeAllowed) return true
    closeAllowed = await confirmClose({
      snapshot: () => svc.snapshot(),
      ask: async (q) =>
        (await dialog.showMessageBox(window, { type: 'warning', message: q.message, detail: q.detail, buttons: q.buttons, defaultId: 0, cancelId: q.buttons.length - 1, noLink: true })).response,
      save: async (overwrite) => {
        await svc.dispatch('session.save', { overwrite })
      },
    })
    return closeAllowed
  }
  window.on('close', (e) => {
    if (closeAllowed) return
    e.preventDefault()
    void mayClose().then((ok) => ok && window.close())
  })
  app.on('before-quit', (e) => {
    if (quitting) return
    e.preventDefault()
    void mayClose().then((ok) => {
      if (!ok) return
      quitting = true
      unbind()
      disk.write('info', 'quitting')
      svc.close().finally(() => exitProcess(0, { exit: (code) => app.exit(code), log: (m) => disk.write('warn', m) }))
    })
  })
  app.on('window-all-closed', () => app.quit())
}
