// The renderer's single door to the backend. In the desktop app it goes through the preload bridge
// (window.workbench); in a browser it talks HTTP + WebSocket to the local web host, with the token from
// the page URL. Both give the same typed API; errors arrive as RemoteError with code, message, path.

import type { EventName, Events, ParamsOf, Reply, RequestName, ResultOf, WorkbenchApi } from '../src-shared/contract'
import { RemoteError } from '../src-shared/wire'

type Listener = (payload: unknown) => void

class Listeners {
  private map = new Map<string, Set<Listener>>()
  add(name: string, l: Listener): () => void {
    if (!this.map.has(name)) this.map.set(name, new Set())
    this.map.get(name)!.add(l)
    return () => this.map.get(name)?.delete(l)
  }
  fire(name: string, payload: unknown): void {
    for (const l of this.map.get(name) ?? []) l(payload)
  }
}

function unwrap<T>(reply: Reply<T>): T {
  if (reply.ok) return reply.result
  throw new RemoteError(reply.error)
}

function electronApi(): WorkbenchApi {
  const bridge = window.workbench!
  const listeners = new Listeners()
  bridge.on((event, payload) => listeners.fire(event, payload))
  return {
    transport: 'electron',
    async invoke<K extends RequestName>(name: K, params: ParamsOf<K>): Promise<ResultOf<K>> {
      return unwrap((await bridge.invoke(name, params)) as Reply<ResultOf<K>>)
    },
    on<E extends EventName>(name: E, listener: (payload: Events[E]) => void) {
      return listeners.add(name, listener as Listener)
    },
    pathForFile: (file) => bridge.pathForFile(file),
  }
}

/**
 * The token of this browser tab: from ?token= of the printed URL, then kept in the tab's session storage
 * for reloads and removed from the address bar (and so from the history) at once.
 */
function webToken(): string {
  const params = new URLSearchParams(location.search)
  const fromUrl = params.get('token')
  if (fromUrl) {
    sessionStorage.setItem('workbench-token', fromUrl)
    params.delete('token')
    const rest = params.toString()
    history.replaceState(history.state, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`)
    return fromUrl
  }
  return sessionStorage.getItem('workbench-token') ?? ''
}

export type ConnectionState = 'connecting' | 'open' | 'closed'

function webApi(onConnection: (s: ConnectionState) => void): WorkbenchApi {
  const token = webToken()
  const listeners = new Listeners()
  let retry = 500
  const connect = () => {
    onConnection('connecting')
    // The token travels in the handshake's subprotocol list, not in the URL (see src-main/ipc/webHost.ts).
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`, ['workbench', `workbench.token.${token}`])
    ws.onopen = () => {
      retry = 500
      onConnection('open')
      listeners.fire('__reconnected', null)
    }
    ws.onmessage = (m) => {
      try {
        const { event, payload } = JSON.parse(String(m.data)) as { event: string; payload: unknown }
        listeners.fire(event, payload)
      } catch {
        // not one of ours
      }
    }
    ws.onclose = () => {
      onConnection('closed')
      setTimeout(connect, retry)
      retry = Math.min(retry * 2, 5000)
    }
  }
  connect()
  return {
    transport: 'web',
    async invoke<K extends RequestName>(name: K, params: ParamsOf<K>): Promise<ResultOf<K>> {
      let res: Response
      try {
        res = await fetch(`/api/${name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-workbench-token': token },
          body: JSON.stringify(params ?? {}),
        })
      } catch (err) {
        throw new RemoteError({ code: 'DISCONNECTED', message: `The workbench backend is not reachable (${String(err)})`, retryable: true })
      }
      let reply: Reply<ResultOf<K>>
      try {
        reply = (await res.json()) as Reply<ResultOf<K>>
      } catch {
        throw new RemoteError({ code: 'BAD_REPLY', message: `The backend answered ${res.status} without JSON` })
      }
      return unwrap(reply)
    },
    on<E extends EventName>(name: E, listener: (payload: Events[E]) => void) {
      return listeners.add(name, listener as Listener)
    },
  }
}

let connectionListener: (s: ConnectionState) => void = () => {}
export function onConnectionChange(l: (s: ConnectionState) => void): void {
  connectionListener = l
}

export const api: WorkbenchApi & { onReconnect(l: () => void): () => void } = (() => {
  const base = window.workbench ? electronApi() : webApi((s) => connectionListener(s))
  return Object.assign(base, {
    onReconnect: (l: () => void) => base.on('__reconnected' as EventName, l as never),
  })
})()

export { RemoteError }
