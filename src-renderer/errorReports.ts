// Errors in the window reach the log on disk: Vue's error handler, uncaught errors and unhandled
// promise rejections are sent to the backend (log.report). The browser console still shows them.

import type { App } from 'vue'
import type { ErrorReport } from '../src-shared/contract'
import { api } from './api'

function report(message: string, stack?: string): void {
  const r: ErrorReport = { level: 'error', source: 'renderer', message: message || 'unknown error', stack }
  // Reporting must never raise another error (that could loop); a lost report is only a lost log line.
  api.invoke('log.report', r).catch(() => {})
}

function describe(err: unknown): { message: string; stack?: string } {
  if (err instanceof Error) return { message: `${err.name}: ${err.message}`, stack: err.stack }
  return { message: String(err) }
}

export function reportErrors(app: App): void {
  app.config.errorHandler = (err, _instance, info) => {
    const d = describe(err)
    report(`${d.message} (${info})`, d.stack)
    console.error(err)
  }
  window.addEventListener('error', (e) => {
    const d = e.error ? describe(e.error) : { message: `${e.message} at ${e.filename}:${e.lineno}` }
    report(d.message, d.stack)
  })
  window.addEventListener('unhandledrejection', (e) => {
    const d = describe(e.reason)
    report(`unhandled rejection: ${d.message}`, d.stack)
  })
}
