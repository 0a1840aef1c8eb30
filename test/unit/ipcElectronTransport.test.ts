// The Electron transport without Electron: an in-memory ipcMain/ipcRenderer pair carries the contract
// between the preload bridge and the main-process binding exactly as Electron would (invoke/handle by
// channel, send/on for events).
import { describe, expect, it } from 'vitest'
import { EVENT_CHANNEL, type EventName, type Events, REQUEST_NAMES, requestChannel } from '../../src-shared/contract'
import { bindMainProcess, createPreloadBridge, type IpcMainLike, type IpcRendererLike } from '../../src-main/ipc/electronTransport'
import { ConfigurationError } from '../../src-shared/errors'

type Listener = <E extends EventName>(name: E, payload: Events[E]) => void
type Handler = (event: { sender: unknown; senderFrame: unknown }, params: unknown) => Promise<unknown>

function fakeElectron() {
  const handlers = new Map<string, Handler>()
  const rendererListeners = new Map<string, Set<(e: unknown, m: unknown) => void>>()
  const mainFrame = { name: 'main frame' }
  let destroyed = false
  const webContents = {
    mainFrame,
    send(channel: string, message: unknown) {
      for (const l of rendererListeners.get(channel) ?? []) l({}, structuredClone(message))
    },
  }
  const win = { isDestroyed: () => destroyed, webContents }
  const ipcMain: IpcMainLike = {
    handle: (channel, listener) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`)
      handlers.set(channel, listener)
    },
    removeHandler: (channel) => void handlers.delete(channel),
  }
  let frame: unknown = mainFrame
  const invoked: string[] = []
  const ipcRenderer: IpcRendererLike = {
    async invoke(channel, params) {
      invoked.push(channel)
      const h = handlers.get(channel)
      if (!h) throw new Error(`No handler registered for '${channel}'`)
      // Electron structured-clones both ways.
      return structuredClone(await h({ sender: webContents, senderFrame: frame }, structuredClone(params)))
    },
    on(channel, l) {
      if (!rendererListeners.has(channel)) rendererListeners.set(channel, new Set())
      rendererListeners.get(channel)!.add(l)
    },
    removeListener(channel, l) {
      rendererListeners.get(channel)?.delete(l)
    },
  }
  return {
    handlers,
    ipcMain,
    ipcRenderer,
    win,
    invoked,
    fromOtherFrame: () => (frame = { name: 'iframe' }),
    destroy: () => (destroyed = true),
  }
}

class FakeService {
  calls: Array<[string, unknown]> = []
  listeners = new Set<Listener>()
  async dispatch(name: string, params: unknown): Promise<unknown> {
    this.calls.push([name, params])
    if (name === 'step.run') throw new ConfigurationError("load_recording: parameter 'cmtr_path' is required", { parameter: 'cmtr_path' })
    return { name, params }
  }
  onEvent(l: Listener) {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }
  emit<E extends EventName>(name: E, payload: Events[E]) {
    for (const l of this.listeners) l(name, payload)
  }
}

describe('Electron transport', () => {
  it('registers one handler per request of the contract and removes them all on unbind', () => {
    const e = fakeElectron()
    const unbind = bindMainProcess(e.ipcMain, new FakeService(), e.win)
    expect([...e.handlers.keys()].sort()).toEqual(REQUEST_NAMES.map(requestChannel).sort())
    unbind()
    expect(e.handlers.size).toBe(0)
  })

  it('carries requests and results, and errors with their code and parameter', async () => {
    const e = fakeElectron()
    const service = new FakeService()
    bindMainProcess(e.ipcMain, service, e.win)
    const bridge = createPreloadBridge(e.ipcRenderer, () => '')
    expect(await bridge.invoke('session.open', { cmcrPath: 'O:\\a.cmcr' })).toEqual({
      ok: true,
      result: { name: 'session.open', params: { cmcrPath: 'O:\\a.cmcr' } },
    })
    expect(await bridge.invoke('step.run', { stepId: 'load_recording', params: {} })).toEqual({
      ok: false,
      error: { code: 'CONFIGURATION', message: "load_recording: parameter 'cmtr_path' is required", parameter: 'cmtr_path' },
    })
  })

  it('lets only contract names through the preload', async () => {
    const e = fakeElectron()
    const service = new FakeService()
    bindMainProcess(e.ipcMain, service, e.win)
    const bridge = createPreloadBridge(e.ipcRenderer, () => '')
    expect(await bridge.invoke('shell.openExternal', { url: 'x' })).toEqual({ ok: false, error: { code: 'UNKNOWN_REQUEST', message: "Unknown request 'shell.openExternal'" } })
    expect(e.invoked).toEqual([])
    expect(service.calls).toEqual([])
  })

  it('refuses requests from any frame but the main frame of our window', async () => {
    const e = fakeElectron()
    const service = new FakeService()
    bindMainProcess(e.ipcMain, service, e.win)
    e.fromOtherFrame()
    const reply = await createPreloadBridge(e.ipcRenderer, () => '').invoke('app.info', {})
    expect(reply).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: 'Request from an unknown frame refused' } })
    expect(service.calls).toEqual([])
  })

  it('pushes contract events to the renderer until unsubscribed, and nothing to a destroyed window', () => {
    const e = fakeElectron()
    const service = new FakeService()
    bindMainProcess(e.ipcMain, service, e.win)
    const bridge = createPreloadBridge(e.ipcRenderer, () => '')
    const got: Array<[string, unknown]> = []
    const off = bridge.on((event, payload) => got.push([event, payload]))
    service.emit('menu.command', { command: 'saveAs' })
    e.win.webContents.send(EVENT_CHANNEL, { event: 'not.in.contract', payload: 1 })
    off()
    service.emit('menu.command', { command: 'open' })
    expect(got).toEqual([['menu.command', { command: 'saveAs' }]])
    const again: unknown[] = []
    bridge.on((event) => again.push(event))
    e.destroy()
    service.emit('session.changed', null)
    expect(again).toEqual([])
  })

  it('gives the path of a dropped file, or null when Electron cannot', () => {
    const e = fakeElectron()
    const file = {} as File
    expect(createPreloadBridge(e.ipcRenderer, () => 'C:\\rec\\a.cmcr').pathForFile(file)).toBe('C:\\rec\\a.cmcr')
    expect(createPreloadBridge(e.ipcRenderer, () => '').pathForFile(file)).toBeNull()
    expect(
      createPreloadBridge(e.ipcRenderer, () => {
        throw new Error('not a file')
      }).pathForFile(file),
    ).toBeNull()
  })
})
