// Runs a plugin's program: stdout and stderr line by line, and on cancel the whole process tree ends
// (a Python script may start helpers of its own). Resolves once the process has exited, so files it
// held can be removed afterwards (Windows keeps open files locked).

import { type ChildProcess, spawn } from 'node:child_process'

export interface ProcessResult {
  /** Exit code, or null when ended by a signal. */
  code: number | null
  signal: NodeJS.Signals | null
  /** The last lines of stderr (at most `keepStderrLines`). */
  stderrTail: string[]
  /** True when the run was ended because `signal` aborted. */
  killed: boolean
}

export interface RunOptions {
  cwd: string
  env?: NodeJS.ProcessEnv
  signal: AbortSignal
  onStdoutLine?: (line: string) => void
  keepStderrLines?: number
  /** After this long a tree that ignored the polite stop is killed (ms). */
  killGraceMs?: number
}

const isWindows = process.platform === 'win32'

function endTree(child: ChildProcess, force: boolean): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  if (isWindows) {
    // taskkill /T ends the children too; /F because console programs ignore the polite request.
    spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on('error', () => child.kill())
    return
  }
  try {
    process.kill(-child.pid, force ? 'SIGKILL' : 'SIGTERM') // the process group the child leads
  } catch {
    child.kill(force ? 'SIGKILL' : 'SIGTERM')
  }
}

function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer | string): void; end(): void } {
  let rest = ''
  return {
    push(chunk) {
      const text = rest + String(chunk)
      const lines = text.split(/\r?\n/)
      rest = lines.pop() ?? ''
      for (const l of lines) onLine(l)
    },
    end() {
      if (rest) onLine(rest)
      rest = ''
    },
  }
}

export function runProcess(command: string, args: string[], options: RunOptions): Promise<ProcessResult> {
  const keep = options.keepStderrLines ?? 20
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) {
      resolve({ code: null, signal: null, stderrTail: [], killed: true })
      return
    }
    let child: ChildProcess
    try {
      child = spawn(command, args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group on POSIX, so the whole tree can be signalled at once.
        detached: !isWindows,
        windowsHide: true,
      })
    } catch (err) {
      reject(err)
      return
    }
    const stderrTail: string[] = []
    const out = lineSplitter((l) => options.onStdoutLine?.(l))
    const errLines = lineSplitter((l) => {
      stderrTail.push(l)
      if (stderrTail.length > keep) stderrTail.shift()
    })
    child.stdout!.on('data', (d) => out.push(d))
    child.stderr!.on('data', (d) => errLines.push(d))
    let killed = false
    let forceTimer: NodeJS.Timeout | undefined
    const onAbort = () => {
      killed = true
      endTree(child, false)
      forceTimer = setTimeout(() => endTree(child, true), options.killGraceMs ?? 2000)
    }
    options.signal.addEventListener('abort', onAbort, { once: true })
    child.once('error', (err) => {
      options.signal.removeEventListener('abort', onAbort)
      clearTimeout(forceTimer)
      reject(err)
    })
    child.once('close', (code, signal) => {
      options.signal.removeEventListener('abort', onAbort)
      clearTimeout(forceTimer)
      // Helpers the script started may still run in its group: end them too.
      if (killed && !isWindows && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL')
        } catch {
          // the group is gone already
        }
      }
      out.end()
      errLines.end()
      resolve({ code, signal, stderrTail, killed })
    })
  })
}
