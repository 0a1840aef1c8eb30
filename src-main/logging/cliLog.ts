// The CLI's log file: `demo` and `batch` write <out>/<command>.log beside their results. Everything
// the command prints (progress, notes, the summary, errors) goes into it with a time stamp, plus the
// command line, the versions and the exit code, so a run on a lab PC can be read afterwards.

import { release } from 'node:os'
import { join } from 'node:path'
import nodeLog from 'electron-log/node'
import { type DiskLog, openDiskLog } from './diskLog'

export interface CliLog {
  readonly file: string
  close(): void
}

/** Splits written chunks into complete lines (a progress line may arrive in pieces). */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; flush(): void } {
  let pending = ''
  return {
    push(chunk) {
      const parts = (pending + chunk).split(/\r?\n/)
      pending = parts.pop() ?? ''
      for (const p of parts) {
        // a terminal progress line redraws itself with \r: keep what was drawn last, without its ANSI escapes
        // eslint-disable-next-line no-control-regex -- ESC starts the escape sequences being removed
        const shown = p.slice(p.lastIndexOf('\r') + 1).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
        if (shown.trim()) onLine(shown)
      }
    },
    flush() {
      if (pending.trim()) onLine(pending)
      pending = ''
    },
  }
}

export function startCliLog(outDir: string, command: string, argv: string[]): CliLog {
  const logger = nodeLog.create({ logId: `cli-${command}` })
  const disk: DiskLog = openDiskLog(logger, { file: join(outDir, `${command}.log`) })
  disk.write('info', `hdmea-workbench ${command} ${argv.join(' ')}`)
  disk.write('info', `node ${process.versions.node} on ${process.platform} ${release()} (${process.arch}), cwd ${process.cwd()}`)

  const restore: Array<() => void> = []
  for (const [stream, level] of [
    [process.stdout, 'info'],
    [process.stderr, 'info'],
  ] as const) {
    const lines = lineSplitter((line) => disk.write(level, line))
    const original = stream.write
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      lines.push(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk))
      return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest)
    } as typeof stream.write
    restore.push(() => {
      lines.flush()
      stream.write = original
    })
  }
  const onUncaught = (err: Error) => disk.write('error', `uncaught: ${err.stack ?? err.message}`)
  const onExit = (code: number) => disk.write(code === 0 ? 'info' : 'error', `${command} exited with code ${code}`)
  process.on('uncaughtExceptionMonitor', onUncaught)
  process.on('exit', onExit)
  let closed = false
  return {
    file: disk.file,
    close() {
      if (closed) return
      closed = true
      for (const r of restore) r()
      process.off('uncaughtExceptionMonitor', onUncaught)
    },
  }
}
