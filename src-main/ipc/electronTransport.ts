// The Electron transport of the contract, written against the few methods of ipcMain / ipcRenderer it
// uses so it can be tested without Electron: one handler per request name answering a Reply envelope
// (errors thrown across contextBridge would lose their code and path), events pushed on one channel,
// and the bridge the preload exposes as window.workbench.

import { EVENT_CHANNEL, type EventName, type Events, type PreloadBridge, REQUEST_NAMES, type Reply, isEventName, isRequestName, requestChannel } from '../../src-shared/contract'
import { toWireError } from '../../src-shared/wire'

export interface IpcMainLike {
  handle(channel: string, listener: (event: { sender: unknown; senderFrame: unknown }, params: unknown) => Promise<unknown>): void
  removeHandler(channel: string): void
}

export interface WindowLike {
  isDestroyed(): boolean
  webContents: { send(channel: string, message: unknown): void; mainFrame: unknown }
}

export interface ServiceLike {
  dispatch(name: string, params: unknown): Promise<unknown>
  onEvent(listener: <E extends EventName>(name: E, payload: Events[E]) => void): () => void
}

/** Answers every contract request from the window's main frame; returns the function that unbinds. */
export function bindMainProcess(ipcMain: IpcMainLike, service: ServiceLike, win: WindowLike): () => void {
  for (const name of REQUEST_NAMES) {
    ipcMain.handle(requestChannel(name), async (event, params): Promise<Reply<unknown>> => {
      if (event.sender !== win.webContents || event.senderFrame !== win.webContents.mainFrame) {
        return { ok: false, error: { code: 'FORBIDDEN', message: 'Request from an unknown frame refused' } }
      }
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

export interface IpcRendererLike {
  invoke(channel: string, params: unknown): Promise<unknown>
  on(channel: string, listener: (event: unknown, message: unknown) => void): void
  removeListener(channel: string, listener: (event: unknown, message: unknown) => void): void
}

/** What the preload exposes: only contract names pass, in both directions. */
export function createPreloadBridge(ipcRenderer: IpcRendererLike, pathForFile: (file: File) => string): PreloadBridge {
  return {
    transport: 'electron',
    async invoke(name: string, params: unknown): Promise<Reply<unknown>> {
      if (!isRequestName(name)) return { ok: false, error: { code: 'UNKNOWN_REQUEST', message: `Unknown request '${name}'` } }
      return (await ipcRenderer.invoke(requestChannel(name), params ?? {})) as Reply<unknown>
    },
    on(listener: (event: string, payload: unknown) => void): () => void {
      const handler = (_e: unknown, message: unknown) => {
        const m = message as { event?: unknown; payload?: unknown } | null
        if (m && typeof m.event === 'string' && isEventName(m.event)) listener(m.event, m.payload)
      }
      ipcRenderer.on(EVENT_CHANNEL, handler)
      return () => ipcRenderer.removeListener(EVENT_CHANNEL, handler)
    },
    pathForFile(file: File): string | null {
      try {
        return pathForFile(file) || null
      } catch {
        return null
      }
    },
  }
}
