// The log on disk: numbered rotation, electron-log writing through it, the tail, the CLI's line capture,
// "Copy diagnostics" content, renderer error reports over the contract (with a flood limit), and crash
// events from stand-in process / app emitters.
import { EventEmitter } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import nodeLog from 'electron-log/node'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SessionSnapshot } from '../../src-shared/contract'
import { logAppCrashes, logProcessCrashes } from '../../src-main/desktop/crashLog'
import { attachLogging } from '../../src-main/logging/attachLogging'
import { lineSplitter } from '../../src-main/logging/cliLog'
import { buildDiagnostics, DIAGNOSTIC_LOG_LINES } from '../../src-main/logging/diagnostics'
import { openDiskLog, tailOfGenerations } from '../../src-main/logging/diskLog'
import { rotatedName, rotateLogFiles } from '../../src-main/logging/rotation'
import type { TaskPool } from '../../src-main/pool/taskPool'
import { WorkbenchService } from '../../src-main/workbench/service'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hdmea-log-'))
})
// Services write their settings in the background: closed (settings flushed) before the folder goes.
const openServices: WorkbenchService[] = []
afterEach(async () => {
  for (const service of openServices.splice(0)) await service.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('rotation', () => {
  it('names generations workbench.1.log, workbench.2.log', () => {
    expect(rotatedName('/l/workbench.log', 0)).toBe('/l/workbench.log')
    expect(rotatedName('/l/workbench.log', 3)).toBe('/l/workbench.3.log')
  })

  it('shifts every generation by one and drops the one beyond keep', () => {
    const f = join(dir, 'w.log')
    for (const [n, text] of [[0, 'current'], [1, 'one'], [2, 'two'], [3, 'three']] as const) writeFileSync(rotatedName(f, n), text)
    rotateLogFiles(f, 3)
    expect(existsSync(f)).toBe(false)
    expect(readFileSync(rotatedName(f, 1), 'utf8')).toBe('current')
    expect(readFileSync(rotatedName(f, 2), 'utf8')).toBe('one')
    expect(readFileSync(rotatedName(f, 3), 'utf8')).toBe('two')
    expect(existsSync(rotatedName(f, 4))).toBe(false) // 'three' was the oldest beyond keep = 3
  })

  it('electron-log rotates through it when the file exceeds maxBytes, and the tail spans generations', () => {
    const file = join(dir, 'logs', 'workbench.log')
    const disk = openDiskLog(nodeLog.create({ logId: `rot-${Date.now()}` }), { file, maxBytes: 1000, keep: 2 })
    // each line is ~100 bytes with the time stamp; 60 lines = ~6 kB, so rotation happens several times
    for (let i = 0; i < 60; i++) disk.write('info', `line ${String(i).padStart(3, '0')} ${'x'.repeat(60)}`)
    expect(existsSync(rotatedName(file, 1))).toBe(true)
    expect(existsSync(rotatedName(file, 2))).toBe(true)
    expect(existsSync(rotatedName(file, 3))).toBe(false)
    for (const g of [0, 1, 2]) expect(readFileSync(rotatedName(file, g)).length).toBeLessThanOrEqual(1000 + 200)
    const tail = disk.tail(15)
    expect(tail).toHaveLength(15)
    // the last 15 lines written, in order, whichever files they are in
    expect(tail.map((l) => /line (\d+)/.exec(l)![1])).toEqual(Array.from({ length: 15 }, (_, k) => String(45 + k).padStart(3, '0')))
    expect(tail[14]).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[info\]/)
  })

  it('tail of a missing log is empty', () => {
    expect(tailOfGenerations(join(dir, 'none.log'), 3, 10)).toEqual([])
  })

  it('an unwritable log folder is reported with the file name', () => {
    const blocker = join(dir, 'file-not-folder')
    writeFileSync(blocker, '')
    expect(() => openDiskLog(nodeLog.create({ logId: `bad-${Date.now()}` }), { file: join(blocker, 'w.log') })).toThrow(/file-not-folder/)
  })
})

describe('CLI line capture', () => {
  it('joins pieces into lines, keeps the last redraw of a \\r progress line and drops colour codes', () => {
    const lines: string[] = []
    const s = lineSplitter((l) => lines.push(l))
    s.push('demo: run')
    s.push('ning load\n  [x]  10%\r  [x]  50%\r\x1b[K  [x] 100%\n\n')
    s.push('tail without newline')
    s.flush()
    expect(lines).toEqual(['demo: running load', '  [x] 100%', 'tail without newline'])
  })
})

const snapshot = (over: Partial<SessionSnapshot> = {}): SessionSnapshot => ({
  datasetId: 'rec_2025_01',
  saveState: 'saved',
  modifiedSinceSave: true,
  hdf5Path: '/data/rec_2025_01.h5',
  openedFrom: null,
  outputDir: '/data',
  sourceFiles: { cmcr_path: '/data/rec.cmcr' },
  unitCount: 42,
  memoryBytes: 3 * 1024 ** 2,
  memoryWarningBytes: 8 * 1024 ** 3,
  memoryWarning: false,
  completedSteps: ['load_recording', 'add_section_time'],
  warnings: [{ step: 'load_recording', message: 'w' }],
  steps: [{ id: 'compute_sta', state: 'failed', missing: [], lastError: { code: 'FILE_NOT_FOUND', message: 'movie.npy not found' } }],
  suggestedParams: {},
  runningJob: null,
  createdAt: '2025-01-01T00:00:00Z',
  savedAt: null,
  ...over,
})

describe('diagnostics', () => {
  it('holds versions, OS, memory, the session state and the given log lines', () => {
    const text = buildDiagnostics({
      app: { name: 'HD-MEA Workbench', version: '0.1.0', transport: 'electron' },
      versions: { node: '22.1.0', electron: '45.4.1', chrome: '140.0', v8: '14.0' },
      os: { platform: 'win32', release: '10.0.22631', arch: 'x64', cpus: 16, totalBytes: 32 * 1024 ** 3, freeBytes: 20 * 1024 ** 3 },
      memory: { rss: 200 * 1024 ** 2, heapUsed: 50 * 1024 ** 2, heapTotal: 80 * 1024 ** 2, external: 10 * 1024 ** 2 },
      logFile: 'C:\\Users\\lab\\AppData\\Roaming\\HD-MEA Workbench\\logs\\workbench.log',
      session: snapshot(),
      logLines: ['[a] first', '[b] second'],
      now: new Date('2025-03-04T05:06:07Z'),
    })
    expect(text).toContain('HD-MEA Workbench 0.1.0 (desktop) — diagnostics 2025-03-04T05:06:07.000Z')
    expect(text).toContain('electron: 45.4.1')
    expect(text).toContain('node: 22.1.0')
    expect(text).toContain('os: win32 10.0.22631 (x64), 16 logical CPUs')
    expect(text).toContain('memory: 20480 MB free of 32768 MB')
    expect(text).toContain('backend process: rss 200 MB, heap 50 MB of 80 MB, external 10 MB')
    expect(text).toContain('dataset: rec_2025_01')
    expect(text).toContain('state: modified since save (/data/rec_2025_01.h5)')
    expect(text).toContain('units: 42')
    expect(text).toContain('completed steps: load_recording, add_section_time')
    expect(text).toContain('failed: compute_sta: movie.npy not found')
    expect(text.trimEnd().endsWith('## Last 2 log lines\n[a] first\n[b] second')).toBe(true)
  })

  it('says when no session is open', () => {
    const text = buildDiagnostics({
      app: { name: 'W', version: '1', transport: 'web' },
      versions: { node: '20.0.0' },
      os: { platform: 'linux', release: '6', arch: 'x64', cpus: 2, totalBytes: 1, freeBytes: 1 },
      memory: { rss: 0, heapUsed: 0, heapTotal: 0, external: 0 },
      logFile: null,
      session: null,
      logLines: [],
      now: new Date(0),
    })
    expect(text).toContain('(browser mode)')
    expect(text).toContain('no session open')
    expect(text).not.toContain('electron:')
  })
})

const noPool: TaskPool = { threads: 1, run: async () => Promise.reject(new Error('no pool')), destroy: async () => {} }

describe('attachLogging on the workbench service', () => {
  function setup(options: Parameters<typeof attachLogging>[2] = {}) {
    const workdir = join(dir, 'wd')
    const service = new WorkbenchService({ transport: 'web', workdir, steps: [], createPool: () => noPool })
    openServices.push(service)
    const file = join(dir, 'logs', 'workbench.log')
    const disk = openDiskLog(nodeLog.create({ logId: `svc-${Math.random()}` }), { file })
    attachLogging(service, disk, options)
    return { service, disk, file }
  }

  it('writes activity-log entries and renderer reports (with their stack) to the file', async () => {
    const { service, file } = setup()
    service.addLog('warn', 'memory estimate high')
    await service.dispatch('log.report', { level: 'error', source: 'renderer', message: 'TypeError: x is undefined', stack: 'at RasterChart.vue:12' })
    const text = readFileSync(file, 'utf8')
    expect(text).toMatch(/\[warn\]\s+memory estimate high/)
    expect(text).toMatch(/\[error\]\s+renderer: TypeError: x is undefined/)
    expect(text).toMatch(/renderer stack: at RasterChart\.vue:12/)
    const listed = (await service.dispatch('log.list', {})) as Array<{ message: string }>
    expect(listed.map((e) => e.message)).toContain('renderer: TypeError: x is undefined')
  })

  it('refuses malformed reports with the parameter named', async () => {
    const { service } = setup()
    await expect(service.dispatch('log.report', { level: 'fatal', source: 'renderer', message: 'x' })).rejects.toMatchObject({ parameter: 'level' })
    await expect(service.dispatch('log.report', { level: 'error', source: 'renderer', message: '  ' })).rejects.toMatchObject({ parameter: 'message' })
  })

  it('stops logging a flood of reports after the per-minute limit and says how many it dropped', async () => {
    let t = 1_000_000
    const { service, file } = setup({ reportsPerMinute: 3, now: () => t })
    for (let i = 0; i < 10; i++) await service.dispatch('log.report', { level: 'error', source: 'renderer', message: `loop ${i}` })
    t += 60_000
    await service.dispatch('log.report', { level: 'error', source: 'renderer', message: 'after the minute' })
    const text = readFileSync(file, 'utf8')
    expect(text.match(/renderer: loop \d/g)).toEqual(['renderer: loop 0', 'renderer: loop 1', 'renderer: loop 2'])
    expect(text).toContain('7 further error reports in the last minute were not logged')
    expect(text).toContain('renderer: after the minute')
  })

  it('diagnostics carry the real tail of the log file and the session state', async () => {
    const { service, file } = setup()
    for (let i = 0; i < DIAGNOSTIC_LOG_LINES + 30; i++) service.addLog('info', `entry ${i}`)
    const d = (await service.dispatch('log.diagnostics', {})) as { text: string; logFile: string }
    expect(d.logFile).toBe(file)
    const tail = d.text.split('## Last ')[1].trimEnd().split('\n')
    expect(tail[0]).toBe(`${DIAGNOSTIC_LOG_LINES} log lines`)
    const fileLines = readFileSync(file, 'utf8').trimEnd().split('\n')
    expect(fileLines.length).toBeGreaterThan(DIAGNOSTIC_LOG_LINES)
    expect(tail.slice(1)).toEqual(fileLines.slice(-DIAGNOSTIC_LOG_LINES))
    expect(tail.some((l) => l.endsWith(`entry ${DIAGNOSTIC_LOG_LINES + 29}`))).toBe(true)
    expect(tail.some((l) => l.endsWith('entry 0'))).toBe(false)
    expect(d.text).toContain('no session open')
    expect(d.text).toContain(`node: ${process.versions.node}`)
  })

  it('open log folder: the desktop opener gets the folder; without one only the path comes back', async () => {
    const opened: string[] = []
    const a = setup({ openFolder: async (p) => (opened.push(p), true) })
    expect(await a.service.dispatch('log.openFolder', {})).toEqual({ path: join(dir, 'logs'), opened: true })
    expect(opened).toEqual([join(dir, 'logs')])
    const b = setup()
    expect(await b.service.dispatch('log.openFolder', {})).toEqual({ path: join(dir, 'logs'), opened: false })
  })
})

describe('crash logging', () => {
  it('logs uncaught exceptions, unhandled rejections and gone processes; a clean exit is not an error', () => {
    const lines: Array<[string, string]> = []
    const write = (level: 'info' | 'warn' | 'error', m: string) => lines.push([level, m])
    const proc = new EventEmitter()
    const app = new EventEmitter()
    logProcessCrashes(proc as never, write)
    logAppCrashes(app as never, write)
    proc.emit('uncaughtExceptionMonitor', new RangeError('bad index'), 'uncaughtException')
    proc.emit('unhandledRejection', 'plain reason')
    app.emit('render-process-gone', {}, { getURL: () => 'file:///app/index.html' }, { reason: 'oom', exitCode: -536870904 })
    app.emit('child-process-gone', {}, { type: 'GPU', reason: 'crashed', exitCode: 3 })
    app.emit('child-process-gone', {}, { type: 'Utility', reason: 'clean-exit', exitCode: 0, serviceName: 'network' })
    expect(lines[0][0]).toBe('error')
    expect(lines[0][1]).toMatch(/^uncaught exception \(uncaughtException\): RangeError: bad index/)
    expect(lines[1]).toEqual(['error', 'unhandled promise rejection: plain reason'])
    expect(lines[2]).toEqual(['error', 'window process gone: oom (exit code -536870904) at file:///app/index.html'])
    expect(lines[3]).toEqual(['error', 'GPU process gone: crashed (exit code 3)'])
    expect(lines[4]).toEqual(['info', "Utility process 'network' gone: clean-exit (exit code 0)"])
  })
})
