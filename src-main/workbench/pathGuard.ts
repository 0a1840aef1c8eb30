// Which paths a request may use. In browser mode every path a request names (files to open or resume,
// save and checkpoint targets, output folders, and path parameters of steps) must lie inside the
// allowed folders set when the web host started, and this is checked on the REAL path: symlinks are
// resolved, and for a file that does not exist yet its nearest existing parent folder is resolved, so
// a link inside an allowed folder cannot lead outside it. The desktop app may use any path the user picked.

import { realpath } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import type { Transport } from '../../src-shared/contract'
import { RequestError } from '../../src-shared/wire'
import type { StepDefinition } from '../steps/framework'
import { classifyPath, normalizeUserPath, probePath } from './fileAccess'
import { isInside } from './fileBrowser'

/** Step parameters that name files or folders although their type is a list of strings. */
const PATH_LIST_PARAMS = new Set(['stimulus_config_dir'])

export class PathGuard {
  constructor(
    private readonly transport: Transport,
    private readonly allowedFolders: () => string[],
    /** Folders a step may read from although they are not allowed folders: the app's own bundled resources. */
    private readonly readOnlyFolders: () => string[] = () => [],
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
    if (!this.restricted) return path
    const abs = resolve(path)
    await this.assertAllowedReal(abs, await realOrNearest(abs))
    return abs
  }

  /** A file about to be written (it may not exist yet, nor its folder). */
  async target(target: string): Promise<void> {
    if (!this.restricted) return
    const abs = resolve(target)
    await this.assertAllowedReal(abs, await realOrNearest(abs))
  }

  /** A folder that will receive output (it may not exist yet). */
  async outputFolder(dir: string): Promise<void> {
    await this.target(dir)
  }

  /** Every path-valued parameter of a step run (files, folders, lists of folders). */
  async stepParams(def: StepDefinition<any>, raw: Record<string, unknown>): Promise<void> {
    if (!this.restricted) return
    for (const spec of def.params) {
      const value = raw?.[spec.name]
      if (value === undefined || value === null || value === '') continue
      if (spec.type === 'path' || spec.type === 'folder') {
        if (typeof value === 'string') await this.readable(normalizeUserPath(value))
      } else if (PATH_LIST_PARAMS.has(spec.name)) {
        const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : []
        for (const item of list) if (typeof item === 'string' && item.trim()) await this.readable(normalizeUserPath(item))
      }
    }
  }

  /** A file or folder a step reads: inside the allowed folders, or inside the app's bundled resources. */
  private async readable(path: string): Promise<void> {
    const abs = resolve(path)
    const real = await realOrNearest(abs)
    for (const folder of this.readOnlyFolders()) {
      const root = resolve(folder)
      const realRoot = await realpath(root).catch(() => root)
      if (isInside(abs, root) && isInside(real, realRoot)) return
    }
    await this.assertAllowedReal(abs, real)
  }

  requireWebBrowsing(): void {
    if (!this.restricted) throw new RequestError('UNSUPPORTED', 'The server-side file browser is for browser mode; use the Open dialog')
  }

  /** Lexical check only (for settings whose folders may not exist). */
  assertAllowed(path: string): void {
    const roots = this.allowedFolders().map((r) => resolve(r))
    if (!roots.some((r) => isInside(path, r))) throw this.forbidden(path, roots)
  }

  private async assertAllowedReal(shown: string, real: string): Promise<void> {
    const roots = this.allowedFolders().map((r) => resolve(r))
    const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => r)))
    // Both the path as named and where it really leads must be inside.
    if (!roots.some((r) => isInside(shown, r)) || !realRoots.some((r) => isInside(real, r))) {
      const via = real !== shown && roots.some((r) => isInside(shown, r)) ? ` (it leads to ${real} through a link)` : ''
      throw new RequestError('FORBIDDEN', `${shown} is outside the folders this browser session may use${via} (${roots.join(', ')}); to add a folder, start the workbench with npm start -- --allow <dir>`, {
        path: shown,
      })
    }
  }

  private forbidden(path: string, roots: string[]): RequestError {
    return new RequestError('FORBIDDEN', `${path} is outside the folders this browser session may use (${roots.join(', ')}); to add a folder, start the workbench with npm start -- --allow <dir>`, { path })
  }
}

/** The real path of `p`, or, when it does not exist, the real path of its nearest existing parent joined with the rest. */
export async function realOrNearest(p: string): Promise<string> {
  const rest: string[] = []
  let at = resolve(p)
  for (;;) {
    try {
      const real = await realpath(at)
      return rest.length ? join(real, ...rest.reverse()) : real
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      // A dangling symlink is where a new file would be created: refuse to reason past it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return at
      const parent = dirname(at)
      if (parent === at) return resolve(p)
      rest.push(basename(at))
      at = parent
    }
  }
}
