// "Copy diagnostics": one plain-text report a user can paste into an e-mail or an issue. Built from
// plain values so it is the same in the desktop app and in browser mode (and testable).

import type { SessionSnapshot } from '../../src-shared/contract'

export interface DiagnosticsInput {
  app: { name: string; version: string; transport: string }
  /** process.versions (node, electron, chrome, v8 ... whichever exist). */
  versions: Record<string, string | undefined>
  os: { platform: string; release: string; arch: string; cpus: number; totalBytes: number; freeBytes: number }
  /** process.memoryUsage() of the backend. */
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers?: number }
  logFile: string | null
  session: SessionSnapshot | null
  logLines: string[]
  now: Date
}

export const DIAGNOSTIC_LOG_LINES = 200

const mb = (n: number) => `${(n / 1024 ** 2).toFixed(0)} MB`

export function buildDiagnostics(d: DiagnosticsInput): string {
  const out: string[] = []
  out.push(`${d.app.name} ${d.app.version} (${d.app.transport === 'electron' ? 'desktop' : 'browser mode'}) — diagnostics ${d.now.toISOString()}`)
  out.push('')
  out.push('## Versions')
  for (const key of ['electron', 'chrome', 'node', 'v8', 'uv', 'modules']) {
    if (d.versions[key]) out.push(`${key}: ${d.versions[key]}`)
  }
  out.push('')
  out.push('## System')
  out.push(`os: ${d.os.platform} ${d.os.release} (${d.os.arch}), ${d.os.cpus} logical CPUs`)
  out.push(`memory: ${mb(d.os.freeBytes)} free of ${mb(d.os.totalBytes)}`)
  out.push(
    `backend process: rss ${mb(d.memory.rss)}, heap ${mb(d.memory.heapUsed)} of ${mb(d.memory.heapTotal)}, ` +
      `external ${mb(d.memory.external)}${d.memory.arrayBuffers !== undefined ? `, array buffers ${mb(d.memory.arrayBuffers)}` : ''}`,
  )
  out.push(`log file: ${d.logFile ?? '(none)'}`)
  out.push('')
  out.push('## Session')
  const s = d.session
  if (!s) {
    out.push('no session open')
  } else {
    out.push(`dataset: ${s.datasetId}`)
    out.push(`state: ${s.saveState === 'saved' ? (s.modifiedSinceSave ? 'modified since save' : 'saved') : 'not saved'}${s.hdf5Path ? ` (${s.hdf5Path})` : ''}`)
    if (s.openedFrom) out.push(`opened from: ${s.openedFrom}`)
    for (const [k, v] of Object.entries(s.sourceFiles)) out.push(`${k}: ${v}`)
    out.push(`units: ${s.unitCount}; memory estimate ${mb(s.memoryBytes)}${s.memoryWarning ? ' (above the warning threshold)' : ''}`)
    out.push(`completed steps: ${s.completedSteps.join(', ') || 'none'}`)
    const failed = s.steps.filter((st) => st.state === 'failed')
    for (const f of failed) out.push(`failed: ${f.id}: ${f.lastError?.message ?? ''}`)
    if (s.runningJob) out.push(`running: ${s.runningJob.stepId} since ${new Date(s.runningJob.startedAt).toISOString()}`)
    out.push(`warnings: ${s.warnings.length}`)
  }
  out.push('')
  out.push(`## Last ${d.logLines.length} log lines`)
  out.push(...d.logLines)
  return out.join('\n') + '\n'
}
