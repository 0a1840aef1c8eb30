// The Electron transport of the contract: one ipcMain.handle per request name, events to the window
// with webContents.send. Only requests from our own window's main frame are answered.

import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import { EVENT_CHANNEL, REQUEST_NAMES, requestChannel, type Reply } from '../ipc/contract'
import { toWireError } from '../ipc/wire'
import type { WorkbenchService } from '../workbench/service'

export function bindIpc(service: WorkbenchService, win: BrowserWindow): () => void {
  const fromOurWindow = (e: IpcMainInvokeEvent) => e.sender === win.webContents && e.senderFrame === win.webContents.mainFrame
  for (const name of REQUEST_NAMES) {
    ipcMain.handle(requestChannel(name), async (e, params): Promise<Reply<unknown>> => {
      if (!fromOurWindow(e)) return { ok: false, error: { code: 'FORBIDDEN', message: 'Request from an unknown frame refused' } }
      try {
        return { ok: true, result: (await service.dispatch(name, params)) ?? null }
      } catch (err) {
        return { ok: false, error: toWireError(err) }
      }
    })
  }
  const unsubscribe = service.onEvent((event, payload) => {
    if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, { event, payload })
  })
  return () => {
    unsubscribe()
    for (const name of REQUEST_NAMES) ipcMain.removeHandler(requestChannel(name))
  }
}
