// The browser transport of the contract: HTTP for requests (POST /api/<name> with JSON params) and a
// WebSocket (/ws) for events, on 127.0.0.1 only, with a random token that every request and every
// socket must carry. It also serves the built renderer. Used by `npm start` without the Electron binary
// and by the Playwright tests.
//
// Where the token may travel: API requests only in the x-workbench-token header, the event socket only
// in its handshake (the subprotocol `workbench.token.<token>`), never in an API or socket URL (URLs end
// up in histories and logs). The printed URL carries it once, for the first page load; the page then
// gets an HttpOnly cookie named after this port (another workbench on another port keeps its own) and
// removes the token from the address bar.

import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import type { EventName, Events, Reply } from '../../src-shared/contract'
import { isRequestName } from '../../src-shared/contract'
import { toWireError } from '../../src-shared/wire'

export interface RequestDispatcher {
  dispatch(name: string, params: unknown): Promise<unknown>
  onEvent(listener: <E extends EventName>(name: E, payload: Events[E]) => void): () => void
}

export interface WebHostOptions {
  service: RequestDispatcher
  /** The built renderer (out/renderer); when absent only the API is served. */
  rendererDir?: string
  token?: string
  /** 0 (default) picks a free port. */
  port?: number
}

export interface WebHost {
  url: string
  port: number
  token: string
  close(): Promise<void>
}

/** The cookie of the host on `port`: cookies are not port-specific, their names here are. */
export function cookieName(port: number): string {
  return `workbench_token_${port}`
}

/** The WebSocket subprotocol that carries the token in the handshake (the browser API cannot set headers). */
export const WS_PROTOCOL = 'workbench'
export const WS_TOKEN_PREFIX = 'workbench.token.'
const MAX_BODY = 16 * 1024 * 1024
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
}

/** HTTP status for an error code: the body always carries the full WireError. */
function statusFor(code: string): number {
  if (code === 'UNKNOWN_REQUEST') return 404
  if (code === 'FORBIDDEN') return 403
  if (code === 'ERROR') return 500
  return 400
}

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

function cookieToken(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie ?? ''
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === name) return safeDecode(v.join('='))
  }
  return null
}

/** decodeURIComponent, or null for a malformed % escape (answered 400, not 500). */
function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s)
  } catch {
    return null
  }
}

function badEscape(res: ServerResponse): void {
  sendJson(res, 400, { ok: false, error: { code: 'BAD_REQUEST', message: 'Malformed % escape in the request path' } } satisfies Reply<never>)
}

function protocolToken(req: IncomingMessage): string | null {
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
  const entry = offered.find((p) => p.startsWith(WS_TOKEN_PREFIX))
  return entry ? entry.slice(WS_TOKEN_PREFIX.length) : null
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  res.end(text)
}

function forbid(res: ServerResponse, why: string): void {
  sendJson(res, 403, { ok: false, error: { code: 'FORBIDDEN', message: why } } satisfies Reply<never>)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw Object.assign(new Error(`Request body larger than ${MAX_BODY} bytes`), { code: 'BAD_REQUEST' })
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = options.token ?? randomBytes(24).toString('hex')
  const rendererDir = options.rendererDir ? resolve(options.rendererDir) : null
  let port = 0

  // A page on another site must not reach us through DNS rebinding: only our own host names are served.
  const hostOk = (req: IncomingMessage) => {
    const host = req.headers.host ?? ''
    return host === `127.0.0.1:${port}` || host === `localhost:${port}`
  }
  const originOk = (req: IncomingMessage) => {
    const origin = req.headers.origin
    return !origin || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`
  }

  async function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string, queryToken: string | null): Promise<void> {
    if (!rendererDir) {
      res.writeHead(404).end('No renderer build to serve')
      return
    }
    const rel = safeDecode(pathname === '/' ? '/index.html' : pathname)
    if (rel === null) return badEscape(res)
    let file = normalize(join(rendererDir, rel))
    if (!file.startsWith(rendererDir + sep)) {
      res.writeHead(404).end()
      return
    }
    let st = await stat(file).catch(() => null)
    if (!st || !st.isFile()) {
      if (extname(rel)) {
        res.writeHead(404).end()
        return
      }
      file = join(rendererDir, 'index.html') // client-side routes
      st = await stat(file).catch(() => null)
      if (!st) {
        res.writeHead(404).end('The renderer is not built; run `npm run build`')
        return
      }
    }
    const headers: Record<string, string> = {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': String(st.size),
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    }
    if (queryToken) headers['set-cookie'] = `${cookieName(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`
    res.writeHead(200, headers)
    if (req.method === 'HEAD') {
      res.end()
      return
    }
    createReadStream(file).pipe(res)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostOk(req)) return forbid(res, 'Unknown host')
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    const queryToken = url.searchParams.get('token')
    const headerToken = req.headers['x-workbench-token']
    if (url.pathname.startsWith('/api/')) {
      // API calls carry the token in their header, never only as a cookie (another site could make the
      // browser send that) and never in the URL (histories and logs keep URLs).
      if (!sameToken(typeof headerToken === 'string' ? headerToken : null, token)) return forbid(res, 'Missing or wrong token (send it in the x-workbench-token header)')
      if (!originOk(req)) return forbid(res, 'Cross-origin request refused')
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST' }).end()
        return
      }
      const name = safeDecode(url.pathname.slice('/api/'.length))
      if (name === null) return badEscape(res)
      let params: unknown
      try {
        const body = await readBody(req)
        params = body.trim() ? JSON.parse(body) : {}
      } catch (err) {
        const w = toWireError(err)
        return sendJson(res, 400, { ok: false, error: { code: 'BAD_REQUEST', message: `Request body is not valid JSON: ${w.message}` } })
      }
      if (!isRequestName(name)) {
        return sendJson(res, 404, { ok: false, error: { code: 'UNKNOWN_REQUEST', message: `Unknown request '${name}'` } })
      }
      try {
        const result = await options.service.dispatch(name, params)
        return sendJson(res, 200, { ok: true, result: result ?? null })
      } catch (err) {
        const error = toWireError(err)
        return sendJson(res, statusFor(error.code), { ok: false, error })
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end()
      return
    }
    // The page itself may be opened with ?token= (the printed URL): that is how the cookie is first set.
    const given = queryToken ?? (typeof headerToken === 'string' ? headerToken : null) ?? cookieToken(req, cookieName(port))
    if (!sameToken(given, token)) return forbid(res, 'Missing or wrong token: open the URL printed by the workbench')
    return serveStatic(req, res, url.pathname, sameToken(queryToken, token) ? queryToken : null)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: toWireError(err) })
      else res.destroy()
    })
  })

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024 * 1024,
    // Answer with the plain protocol name, never echoing the token back.
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  })
  const sockets = new Set<WebSocket>()
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    if (url.pathname !== '/ws' || !hostOk(req) || !originOk(req) || !sameToken(protocolToken(req), token)) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws)
      ws.on('close', () => sockets.delete(ws))
      ws.on('error', () => sockets.delete(ws))
      ws.send(JSON.stringify({ event: 'hello', payload: null }))
    })
  })

  const unsubscribe = options.service.onEvent((event, payload) => {
    if (sockets.size === 0) return
    const text = JSON.stringify({ event, payload })
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text)
  })

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolvePromise()
    })
  })
  port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      unsubscribe()
      for (const ws of sockets) ws.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
