// Which paths a request may use. In browser mode reads and writes stay inside the allowed folders
// (set when the web host starts); the desktop app may use any path the user picked.

import { dirname, resolve } from 'node:path'
import type { Transport } from '../../src-shared/contract'
import { RequestError } from '../../src-shared/wire'
import { classifyPath, normalizeUserPath, probePath } from './fileAccess'
import { isInside } from './fileBrowser'

export class PathGuard {
  constructor(
    private readonly transport: Transport,
    private readonly allowedFolders: () => string[],
  ) {}

  get restricted(): boolean {
    return this.transport === 'web'
  }

  /** An existing file or folder to read; returns the normalised (absolute in browser mode) path. */
  async existing(raw: string): Promise<string> {
    const path = normalizeUserPath(String(raw ?? ''))
    if (!path) throw new RequestError('FILE_NOT_FOUND', 'No file was given')
    const kind = classifyPath(path).kind
    if (process.platform !== 'win32' && (kind === 'drive' || kind === 'unc')) await probePath(path) // explains why it cannot be used here
    if (this.restricted) this.assertAllowed(resolve(path))
    return this.restricted ? resolve(path) : path
  }

  /** A file about to be written. */
  async target(target: string): Promise<void> {
    if (!this.restricted) return
    this.assertAllowed(dirname(target))
  }

  /** A folder that will receive output. */
  async outputFolder(dir: string): Promise<void> {
    if (this.restricted) this.assertAllowed(resolve(dir))
  }

  requireWebBrowsing(): void {
    if (!this.restricted) throw new RequestError('UNSUPPORTED', 'The server-side file browser is for browser mode; use the Open dialog')
  }

  assertAllowed(path: string): void {
    const roots = this.allowedFolders().map((r) => resolve(r))
    if (!roots.some((r) => isInside(path, r))) {
      throw new RequestError('FORBIDDEN', `${path} is outside the folders this browser session may use (${roots.join(', ')}); add it in Settings`, {
        path,
      })
    }
  }
}
