// Binds the contract to Electron's ipcMain for our window (the logic is in ../ipc/electronTransport).

import { type BrowserWindow, ipcMain } from 'electron'
import { type IpcMainLike, bindMainProcess } from '../ipc/electronTransport'
import type { WorkbenchService } from '../workbench/service'

export function bindIpc(service: WorkbenchService, win: BrowserWindow): () => void {
  return bindMainProcess(ipcMain as unknown as IpcMainLike, service, win)
}
