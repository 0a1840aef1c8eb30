// The server-side file browser of browser mode: lists one folder at a time, only inside the allowed
// folders (a browser page must not be able to walk the whole disk), resolving symlinks before checking.

import { readdir, realpath, stat } from 'node:fs/promises'
import { dirname, join, relative, resolve, isAbsolute } from 'node:path'
import type { DirListing, FileEntry } from '../../src-shared/contract'
import { RequestError } from '../../src-shared/wire'
import { probePath } from './fileAccess'

export function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

/** The real path of `p` if it lies inside one of `roots` (also real paths), else a FORBIDDEN error. */
export async function resolveAllowed(p: string, roots: string[]): Promise<string> {
  const real = await realpath(resolve(p)).catch(() => null)
  if (real === null) {
    await probePath(p) // throws the explained error (not found, share unreachable, ...)
    throw new RequestError('FILE_NOT_FOUND', `File not found: ${p}`, { path: p })
  }
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => resolve(r))))
  if (!realRoots.some((r) => isInside(real, r))) {
    throw new RequestError('FORBIDDEN', `${p} is outside the folders this browser session may use (${roots.join(', ')}); to add a folder, start the workbench with npm start -- --allow <dir>`, {
      path: p,
    })
  }
  return real
}

export async function listDir(dir: string | undefined, roots: string[], extensions?: string[]): Promise<DirListing> {
  if (roots.length === 0) throw new RequestError('FORBIDDEN', 'No folders are allowed for browsing; add one in Settings')
  const target = await resolveAllowed(dir ?? roots[0], roots)
  const st = await stat(target)
  if (!st.isDirectory()) throw new RequestError('FILE_KIND', `${target} is a file, a folder was expected`, { path: target })
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => resolve(r))))
  const wanted = extensions?.map((e) => e.toLowerCase().replace(/^\.?/, '.'))
  const names = await readdir(target)
  const entries: FileEntry[] = []
  for (const name of names) {
    if (name.startsWith('.')) continue
    const path = join(target, name)
    const s = await stat(path).catch(() => null)
    if (!s) continue
    const kind = s.isDirectory() ? 'dir' : 'file'
    if (kind === 'file' && wanted && !wanted.some((e) => name.toLowerCase().endsWith(e))) continue
    entries.push({ name, path, kind, size: s.size, modified: s.mtime.toISOString() })
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1))
  const up = dirname(target)
  const parent = up !== target && realRoots.some((r) => isInside(up, r)) ? up : null
  return { dir: target, parent, entries, roots: realRoots }
}
