// The web transport: the token guards every request and socket, requests are routed by name to the
// dispatcher, events reach WebSocket clients, and errors arrive as {code, message, path}.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { EventName, Events } from '../../src-shared/contract'
import { REQUEST_NAMES } from '../../src-shared/contract'
import { type WebHost, startWebHost } from '../../src-main/ipc/webHost'
import { FileAccessError } from '../../src-shared/errors'

type Listener = <E extends EventName>(name: E, payload: Events[E]) => void

class FakeService {
  calls: Array<{ name: string; params: unknown }> = []
  listeners = new Set<Listener>()
  async dispatch(name: string, params: unknown): Promise<unknown> {
    this.calls.push({ name, params })
    if (name === 'files.check') throw new FileAccessError('FILE_LOCKED', 'O:\\rec\\a.cmcr is locked by another program', { path: 'O:\\rec\\a.cmcr' })
    if (name === 'session.get') return null
    return { echo: name, params }
  }
  onEvent(l: Listener): () => void {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }
  emit<E extends EventName>(name: E, payload: Events[E]): void {
    for (const l of this.listeners) l(name, payload)
  }
}

let host: WebHost
let service: FakeService
let rendererDir: string

beforeAll(async () => {
  rendererDir = mkdtempSync(join(tmpdir(), 'wb-renderer-'))
  mkdirSync(join(rendererDir, 'assets'))
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>wb</title>')
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(rendererDir, '..', 'secret.txt'), 'secret')
  service = new FakeService()
  host = await startWebHost({ service, rendererDir })
})

afterAll(async () => {
  await host.close()
  rmSync(rendererDir, { recursive: true, force: true })
  rmSync(join(rendererDir, '..', 'secret.txt'), { force: true })
})

const api = (name: string, body: unknown, headers: Record<string, string> = { 'x-workbench-token': host.token }) =>
  fetch(`http://127.0.0.1:${host.port}/api/${name}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })

/** A raw GET with a chosen Host header (fetch does not let us set it). */
function rawGet(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: host.port, path, headers }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
  })
}

describe('token', () => {
  it('is random, long, and part of the printed URL on 127.0.0.1', async () => {
    expect(host.token).toMatch(/^[0-9a-f]{48}$/)
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${host.token}`)
    const other = await startWebHost({ service })
    expect(other.token).not.toBe(host.token)
    expect(other.port).not.toBe(host.port)
    await other.close()
  })

  it('is required by every API request (403 without it or with a wrong one)', async () => {
    const before = service.calls.length
    expect((await api('app.info', {}, {})).status).toBe(403)
    expect((await api('app.info', {}, { 'x-workbench-token': 'x'.repeat(48) })).status).toBe(403)
    const cookieOnly = await api('app.info', {}, { cookie: `workbench_token_${host.port}=${host.token}` })
    expect(cookieOnly.status).toBe(403) // a cookie alone would let other sites call us
    // Not in the URL either: URLs are kept in histories and logs.
    const inUrl = await fetch(`http://127.0.0.1:${host.port}/api/app.info?token=${host.token}`, { method: 'POST', body: '{}' })
    expect(inUrl.status).toBe(403)
    expect(service.calls.length).toBe(before)
    expect((await api('app.info', {})).status).toBe(200)
  })

  it('is required for the page, which then sets a same-site cookie for its assets', async () => {
    expect((await fetch(`http://127.0.0.1:${host.port}/`)).status).toBe(403)
    expect((await fetch(`http://127.0.0.1:${host.port}/assets/app.js`)).status).toBe(403)
    const page = await fetch(host.url)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<title>wb</title>')
    const cookie = page.headers.get('set-cookie')!
    // Named after the port: cookies of 127.0.0.1 are sent to every port, so two hosts must not share one.
    expect(cookie.startsWith(`workbench_token_${host.port}=`)).toBe(true)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    const asset = await fetch(`http://127.0.0.1:${host.port}/assets/app.js`, { headers: { cookie: cookie.split(';')[0] } })
    expect(asset.status).toBe(200)
    expect(asset.headers.get('content-type')).toContain('javascript')
  })

  it('refuses other Host names (DNS rebinding) and paths outside the renderer', async () => {
    expect(await rawGet(`/?token=${host.token}`, { host: `evil.example:${host.port}` })).toBe(403)
    expect(await rawGet(`/%2e%2e/secret.txt?token=${host.token}`, { host: `127.0.0.1:${host.port}` })).toBe(404)
  })

  it('answers 400, not 500, to a malformed % escape in the path', async () => {
    expect(await rawGet(`/%E0%A4%A?token=${host.token}`, { host: `127.0.0.1:${host.port}` })).toBe(400)
    const r = await fetch(`http://127.0.0.1:${host.port}/api/app.%E0%A4%A`, { method: 'POST', headers: { 'x-workbench-token': host.token }, body: '{}' })
    expect(r.status).toBe(400)
    expect((await r.json()).error.code).toBe('BAD_REQUEST')
  })
})

describe('requests', () => {
  it('are routed by name with their JSON params and answer {ok, result}', async () => {
    const r = await api('session.open', { cmcrPath: 'C:\\data\\x.cmcr', cmtrPath: null })
    expect(r.status).toBe(200)
    expect(await r.json()).toEqual({ ok: true, result: { echo: 'session.open', params: { cmcrPath: 'C:\\data\\x.cmcr', cmtrPath: null } } })
    expect(service.calls.at(-1)).toEqual({ name: 'session.open', params: { cmcrPath: 'C:\\data\\x.cmcr', cmtrPath: null } })
    const none = await api('session.get', {})
    expect(await none.json()).toEqual({ ok: true, result: null })
  })

  it('reach the dispatcher for every name of the contract and for nothing else', async () => {
    expect(REQUEST_NAMES.length).toBeGreaterThan(20)
    const r = await api('fs.deleteEverything', {})
    expect(r.status).toBe(404)
    expect((await r.json()).error.code).toBe('UNKNOWN_REQUEST')
    expect(service.calls.some((c) => c.name === 'fs.deleteEverything')).toBe(false)
    expect((await fetch(`http://127.0.0.1:${host.port}/api/app.info`, { headers: { 'x-workbench-token': host.token } })).status).toBe(405)
  })

  it('carry errors as {code, message, path} with retryable for locks', async () => {
    const r = await api('files.check', { path: 'O:\\rec\\a.cmcr' })
    expect(r.status).toBe(400)
    expect(await r.json()).toEqual({
      ok: false,
      error: { code: 'FILE_LOCKED', message: 'O:\\rec\\a.cmcr is locked by another program', path: 'O:\\rec\\a.cmcr', retryable: true },
    })
  })

  it('answer BAD_REQUEST to a body that is not JSON', async () => {
    const r = await fetch(`http://127.0.0.1:${host.port}/api/app.info`, { method: 'POST', headers: { 'x-workbench-token': host.token }, body: '{nope' })
    expect(r.status).toBe(400)
    expect((await r.json()).error.code).toBe('BAD_REQUEST')
  })
})

describe('events', () => {
  const connect = (token: string | null, query = '') =>
    new WebSocket(`ws://127.0.0.1:${host.port}/ws${query}`, token === null ? [] : ['workbench', `workbench.token.${token}`])

  const handshake = (ws: WebSocket) =>
    new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('open', () => {
        resolve(101)
        ws.close()
      })
      ws.on('error', () => {})
    })

  it('need the token in the handshake to connect, not in the URL', async () => {
    expect(await handshake(connect(null))).toBe(403)
    expect(await handshake(connect(null, `?token=${host.token}`))).toBe(403)
    expect(await handshake(connect('y'.repeat(48)))).toBe(403)
    expect(await handshake(connect(host.token))).toBe(101)
  })

  it('are delivered to every connected client as {event, payload}', { timeout: 10_000 }, async () => {
    const clients = [connect(host.token), connect(host.token)]
    expect(clients.every((ws) => ws.protocol === '' || ws.protocol === 'workbench')).toBe(true)
    const greeted: Array<Promise<void>> = []
    const received = clients.map((ws, i) => {
      let greet!: () => void
      greeted[i] = new Promise<void>((r) => (greet = r))
      return new Promise<unknown[]>((resolve) => {
        const got: unknown[] = []
        ws.on('message', (m) => {
          const msg = JSON.parse(String(m))
          // The server greets a socket once it is registered for events.
          if (msg.event === 'hello') return greet()
          got.push(msg)
          if (got.length === 2) resolve(got)
        })
      })
    })
    await Promise.all(greeted)
    service.emit('job.progress', { jobId: 'j1', stepId: 's', fraction: 0.25, elapsedSeconds: 2, etaSeconds: 6 })
    service.emit('log', { seq: 7, time: '2026-01-01T00:00:00.000Z', level: 'warn', message: 'm', step: 's' })
    for (const got of await Promise.all(received)) {
      expect(got).toEqual([
        { event: 'job.progress', payload: { jobId: 'j1', stepId: 's', fraction: 0.25, elapsedSeconds: 2, etaSeconds: 6 } },
        { event: 'log', payload: { seq: 7, time: '2026-01-01T00:00:00.000Z', level: 'warn', message: 'm', step: 's' } },
      ])
    }
    for (const ws of clients) ws.close()
  })
})
