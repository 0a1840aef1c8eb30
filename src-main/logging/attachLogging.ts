// Connects the workbench service to the log on disk: every activity-log entry is written to the file,
// errors of the window arrive over the contract (log.report), and the Log view's "Copy
// diagnostics" and "Open log folder" are answered here. (Worker errors reach the main process with the
// task that failed and are logged as that step's failure.) Used by the desktop app and the web host.

import { arch, cpus, freemem, platform, release, totalmem } from 'node:os'
import type { AppInfo, ErrorReport, Events, SessionSnapshot } from '../../src-shared/contract'
import { RequestError } from '../../src-shared/wire'
import { DIAGNOSTIC_LOG_LINES, buildDiagnostics } from './diagnostics'
import type { DiskLog } from './diskLog'

/** The part of the WorkbenchService this module uses. */
export interface LoggingServiceLike {
  register(name: 'log.report', handler: (p: ErrorReport) => null): void
  register(name: 'log.diagnostics', handler: () => Promise<{ text: string; logFile: string | null }>): void
  register(name: 'log.openFolder', handler: () => Promise<{ path: string | null; opened: boolean }>): void
  onEvent(listener: (name: string, payload: unknown) => void): () => void
  dispatch(name: 'app.info', params: Record<string, never>): Promise<unknown>
  snapshot(): SessionSnapshot | null
  addLog(level: 'info' | 'warn' | 'error', message: string): void
}

export interface LoggingOptions {
  /** Opens a folder in the file manager (desktop); resolves false when it could not. */
  openFolder?: (path: string) => Promise<boolean>
  /** Reports accepted per minute before further ones are only counted (a render loop must not flood the disk). */
  reportsPerMinute?: number
  now?: () => number
}

const MAX_MESSAGE = 4000
const MAX_STACK = 16000

export function validateReport(p: unknown): ErrorReport {
  const r = (p ?? {}) as Partial<ErrorReport>
  if (r.level !== 'warn' && r.level !== 'error') throw new RequestError('BAD_REQUEST', "log.report: level must be 'warn' or 'error'", { parameter: 'level' })
  if (r.source !== 'renderer') throw new RequestError('BAD_REQUEST', "log.report: source must be 'renderer'", { parameter: 'source' })
  if (typeof r.message !== 'string' || !r.message.trim()) throw new RequestError('BAD_REQUEST', 'log.report: message must be a non-empty text', { parameter: 'message' })
  if (r.stack !== undefined && typeof r.stack !== 'string') throw new RequestError('BAD_REQUEST', 'log.report: stack must be a text', { parameter: 'stack' })
  return { level: r.level, source: r.source, message: r.message.slice(0, MAX_MESSAGE), stack: r.stack?.slice(0, MAX_STACK) }
}

export function attachLogging(service: LoggingServiceLike, disk: DiskLog | null, options: LoggingOptions = {}): () => void {
  const now = options.now ?? Date.now
  const limit = options.reportsPerMinute ?? 60
  let windowStart = now()
  let inWindow = 0
  let suppressed = 0

  const unsubscribe = service.onEvent((name, payload) => {
    if (name !== 'log' || !disk) return
    const e = payload as Events['log']
    disk.write(e.level, e.step ? `[${e.step}] ${e.message}` : e.message)
  })

  service.register('log.report', (params) => {
    const r = validateReport(params)
    if (now() - windowStart >= 60_000) {
      if (suppressed > 0) service.addLog('warn', `${suppressed} further error reports in the last minute were not logged`)
      windowStart = now()
      inWindow = 0
      suppressed = 0
    }
    if (++inWindow > limit) {
      suppressed++
      return null
    }
    service.addLog(r.level, `${r.source}: ${r.message}`)
    if (r.stack && disk) disk.write(r.level, `${r.source} stack: ${r.stack}`)
    return null
  })

  service.register('log.diagnostics', async () => {
    const info = (await service.dispatch('app.info', {})) as AppInfo
    const mem = process.memoryUsage()
    const text = buildDiagnostics({
      app: { name: info.name, version: info.version, transport: info.transport },
      versions: { ...process.versions },
      os: { platform: platform(), release: release(), arch: arch(), cpus: cpus().length, totalBytes: totalmem(), freeBytes: freemem() },
      memory: { rss: mem.rss, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external, arrayBuffers: mem.arrayBuffers },
      logFile: disk?.file ?? null,
      session: service.snapshot(),
      logLines: disk ? disk.tail(DIAGNOSTIC_LOG_LINES) : [],
      now: new Date(now()),
    })
    return { text, logFile: disk?.file ?? null }
  })

  service.register('log.openFolder', async () => {
    if (!disk) return { path: null, opened: false }
    const opened = options.openFolder ? await options.openFolder(disk.folder) : false
    return { path: disk.folder, opened }
  })

  return unsubscribe
}
