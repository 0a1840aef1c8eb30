// Crashes that must reach the log on disk: uncaught exceptions and unhandled rejections of the main
// process, and (desktop) a renderer or helper process that went away (render-process-gone,
// child-process-gone; a 'clean-exit' is not a crash).

export type WriteLog = (level: 'info' | 'warn' | 'error', message: string) => void

export interface ProcessEventsLike {
  on(event: 'uncaughtExceptionMonitor', listener: (err: Error, origin: string) => void): unknown
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown
}

export interface AppEventsLike {
  on(event: 'render-process-gone', listener: (event: unknown, webContents: { getURL(): string }, details: { reason: string; exitCode: number }) => void): unknown
  on(
    event: 'child-process-gone',
    listener: (event: unknown, details: { type: string; reason: string; exitCode: number; name?: string; serviceName?: string }) => void,
  ): unknown
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err)
}

export function logProcessCrashes(proc: ProcessEventsLike, write: WriteLog): void {
  // The monitor variant logs without changing what happens next (Electron still shows its error box).
  proc.on('uncaughtExceptionMonitor', (err, origin) => write('error', `uncaught exception (${origin}): ${describe(err)}`))
  proc.on('unhandledRejection', (reason) => write('error', `unhandled promise rejection: ${describe(reason)}`))
}

export function logAppCrashes(app: AppEventsLike, write: WriteLog): void {
  app.on('render-process-gone', (_e, webContents, details) => {
    let url = ''
    try {
      url = webContents.getURL()
    } catch {
      // the contents may already be destroyed
    }
    const level = details.reason === 'clean-exit' ? 'info' : 'error'
    write(level, `window process gone: ${details.reason} (exit code ${details.exitCode})${url ? ` at ${url}` : ''}`)
  })
  app.on('child-process-gone', (_e, d) => {
    const level = d.reason === 'clean-exit' ? 'info' : 'error'
    const name = d.name ?? d.serviceName
    write(level, `${d.type} process${name ? ` '${name}'` : ''} gone: ${d.reason} (exit code ${d.exitCode})`)
  })
}
