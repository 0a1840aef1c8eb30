// Runs test/robustness/child.ts under a memory and time cap and snapshots folders, so each test can
// assert: a clear error naming the file and the problem, nothing written outside the output folder,
// no earlier file changed, memory bounded, no hang.

import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

/** Generous caps: a healthy load of the small test recording needs ~300 MB and a few seconds. */
export const RSS_CAP_MB = 1200
export const TIME_CAP_MS = 240_000

export interface ChildOutcome {
  ok: boolean
  error?: { code: string; message: string; path?: string }
  summary?: string
  warnings?: string[]
  units?: string[]
  saved?: string
  maxRssMb: number
  exitCode: number | null
  /** Set when the harness had to kill the child. */
  killed?: 'memory' | 'time' | 'died'
  stderr: string
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}

/** Runs child commands (in one process); kills it past RSS_CAP_MB resident memory or TIME_CAP_MS. */
export function runChildren(commands: Array<Record<string, unknown>>): Promise<ChildOutcome[]> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--max-old-space-size=512', '--import', 'tsx', 'test/robustness/child.ts', JSON.stringify(commands)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let killed: ChildOutcome['killed']
    let peak = 0
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const watch = setInterval(() => {
      const rss = rssOf(child.pid!)
      peak = Math.max(peak, rss)
      if (rss > RSS_CAP_MB && !killed) {
        killed = 'memory'
        child.kill('SIGKILL')
      }
    }, 100)
    const timer = setTimeout(() => {
      killed ??= 'time'
      child.kill('SIGKILL')
    }, TIME_CAP_MS)
    child.on('close', (exitCode) => {
      clearInterval(watch)
      clearTimeout(timer)
      const lines = stdout.trim().split('\n').filter(Boolean)
      resolve(
        commands.map((_, i) => {
          let parsed: Partial<ChildOutcome> | null = null
          try {
            if (lines[i]) parsed = JSON.parse(lines[i])
          } catch {
            // a line cut by a kill
          }
          // A command that finished reports its own peak; the kill (if any) is charged to those that did not.
          if (parsed) return { ok: false, ...parsed, maxRssMb: parsed.maxRssMb ?? 0, exitCode, stderr } as ChildOutcome
          return { ok: false, maxRssMb: Math.round(peak), exitCode, killed: killed ?? 'died', stderr } as ChildOutcome
        }),
      )
    })
  })
}

export async function runChild(command: Record<string, unknown>): Promise<ChildOutcome> {
  return (await runChildren([command]))[0]
}

/** Relative path -> sha256 of every file below `dir` (empty when it does not exist). */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  if (!existsSync(dir)) return out
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile()) out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex')
      else out[relative(dir, p)] = `link or special (${statSync(p, { throwIfNoEntry: false })?.size ?? '-'})`
    }
  }
  walk(dir)
  return out
}
