// Runs in the sandboxed preload: exposes exactly the contract as window.workbench (request and event
// names from src-shared/contract.ts), nothing else of Electron or Node.

import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { createPreloadBridge } from '../ipc/electronTransport'

contextBridge.exposeInMainWorld(
  'workbench',
  createPreloadBridge(ipcRenderer, (file) => webUtils.getPathForFile(file)),
)
