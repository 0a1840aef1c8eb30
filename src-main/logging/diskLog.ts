// The log on disk, written through electron-log (its main-process logger in the desktop app, its Node
// logger in browser mode and the CLI): one file, rotated into numbered generations, and the tail that
// "Copy diagnostics" includes.

import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type ElectronLog from 'electron-log'
import type { LogEntry } from '../../src-shared/contract'
import { APP_NAME } from '../desktop/identity'
import { rotatedName, rotateLogFiles } from './rotation'

/** An electron-log logger: its main-process logger (desktop) or its Node logger (browser mode, CLI). */
export type ElectronLogLike = ElectronLog.NodeLogger

export interface DiskLogOptions {
  file: string
  /** Size at which the file is rotated (default 2 MB). */
  maxBytes?: number
  /** Older generations kept (default 5). */
  keep?: number
  /** Also print to the console (default false: the CLI and web host print their own output). */
  console?: boolean
}

export interface DiskLog {
  readonly file: string
  readonly folder: string
  write(level: LogEntry['level'], message: string): void
  /** The last `n` lines of the log, older generations first when the current file has fewer. */
  tail(n: number): string[]
}

export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024
export const DEFAULT_KEEP = 5

export function openDiskLog(logger: ElectronLogLike, options: DiskLogOptions): DiskLog {
  const file = options.file
  const keep = options.keep ?? DEFAULT_KEEP
  mkdirSync(dirname(file), { recursive: true })
  const t = logger.transports
  // electron-log resolves path variables from the app name even when the path is fixed; outside Electron
  // it would look for the name in the nearest package.json and give up without one (a packaged CLI run).
  t.file.setAppName(APP_NAME)
  t.file.resolvePathFn = () => file
  t.file.maxSize = options.maxBytes ?? DEFAULT_MAX_BYTES
  t.file.archiveLogFn = (old) => rotateLogFiles(old.toString(), keep)
  t.file.format = '[{y}-{m}-{d} {h}:{i}:{s}.{ms}] [{level}] {text}'
  t.file.level = 'info'
  t.console.level = options.console ? 'info' : false
  try {
    t.file.getFile() // opens it now, so a folder that cannot be written is reported here and not lost silently
  } catch (err) {
    throw new Error(`Cannot write the log file ${file}: ${err instanceof Error ? err.message : String(err)}`)
  }
  return {
    file,
    folder: dirname(file),
    write(level, message) {
      logger[level](message)
    },
    tail(n) {
      return tailOfGenerations(file, keep, n)
    },
  }
}

/** The last n lines over the file and its rotated generations (oldest first). */
export function tailOfGenerations(file: string, keep: number, n: number): string[] {
  const lines: string[] = []
  for (let g = 0; g <= keep && lines.length < n; g++) {
    const path = rotatedName(file, g)
    if (!existsSync(path)) break
    const text = readFileSync(path, 'utf8')
    const own = text.split(/\r?\n/).filter((l) => l.length > 0)
    lines.unshift(...own.slice(Math.max(0, own.length - (n - lines.length))))
  }
  return lines
}
