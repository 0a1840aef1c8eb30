// Runs in the sandboxed preload: exposes exactly the contract (request names and event names from
// ../ipc/contract) as window.workbench, nothing else of Electron or Node. Replies travel as Reply
// objects because errors thrown across contextBridge lose their fields (code, path).

import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { EVENT_CHANNEL, isEventName, isRequestName, requestChannel, type PreloadBridge, type Reply } from '../ipc/contract'

const bridge: PreloadBridge = {
  transport: 'electron',
  async invoke(name: string, params: unknown): Promise<Reply<unknown>> {
    if (!isRequestName(name)) return { ok: false, error: { code: 'UNKNOWN_REQUEST', message: `Unknown request '${name}'` } }
    return (await ipcRenderer.invoke(requestChannel(name), params ?? {})) as Reply<unknown>
  },
  on(listener: (event: string, payload: unknown) => void): () => void {
    const handler = (_e: unknown, message: { event: string; payload: unknown }) => {
      if (message && isEventName(message.event)) listener(message.event, message.payload)
    }
    ipcRenderer.on(EVENT_CHANNEL, handler)
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, handler)
    }
  },
  pathForFile(file: File): string | null {
    try {
      return webUtils.getPathForFile(file) || null
    } catch {
      return null
    }
  },
}

contextBridge.exposeInMainWorld('workbench', bridge)
