// One instance: a second launch (a double-clicked .cmcr while the workbench runs) hands its command
// line to the first one and quits; the first brings its window to the front and opens the files there
// (the renderer asks about unsaved work first, as for its own Open action).

import type { OpenRequest } from '../../src-shared/contract'
import { fileArgsFromArgv, openRequestsFor } from './openArgs'

/** What the second launch sends along (app.requestSingleInstanceLock's additionalData). */
export interface LaunchData {
  argv: string[]
  cwd: string
}

export function launchData(argv: readonly string[], cwd: string): LaunchData {
  return { argv: [...argv], cwd }
}

export interface FocusableWindow {
  isDestroyed(): boolean
  isMinimized(): boolean
  restore(): void
  show(): void
  focus(): void
}

/** Electron passes the second launch's argv and working directory; additionalData is exact where argv may be reordered or extended by Chromium. */
export function secondLaunchFiles(argv: readonly string[], workingDirectory: string, additionalData: unknown): string[] {
  const data = additionalData as Partial<LaunchData> | null | undefined
  const exact = data && Array.isArray(data.argv) && data.argv.every((a) => typeof a === 'string') && typeof data.cwd === 'string'
  return exact ? fileArgsFromArgv(data.argv!.slice(1), data.cwd!) : fileArgsFromArgv(argv.slice(1), workingDirectory)
}

export function focusWindow(win: FocusableWindow | null): boolean {
  if (!win || win.isDestroyed()) return false
  if (win.isMinimized()) win.restore()
  win.show()
  win.focus()
  return true
}

/** The 'second-instance' handler: focus the window, then queue the files of that launch. */
export function handleSecondInstance(
  launch: { argv: readonly string[]; workingDirectory: string; additionalData: unknown },
  deps: { window: () => FocusableWindow | null; open: (requests: OpenRequest[]) => void; exists: (path: string) => boolean },
): OpenRequest[] {
  focusWindow(deps.window())
  const requests = openRequestsFor(secondLaunchFiles(launch.argv, launch.workingDirectory, launch.additionalData), deps.exists)
  if (requests.length > 0) deps.open(requests)
  return requests
}
