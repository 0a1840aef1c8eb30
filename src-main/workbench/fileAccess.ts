// Checking that a file the user named can be used, with messages that say what to do: Windows drive
// letters (O:\...) and UNC paths (\\server\share\...) are recognised, an unreachable share is told apart
// from a missing file, and a file locked by another program (Windows sharing violation) is retried with
// backoff before it is reported as locked (the renderer then offers Retry).

import { stat as fsStat } from 'node:fs/promises'
import { isAbsolute, resolve, win32 } from 'node:path'
import { RequestError } from '../../src-shared/wire'

export type PathKind = 'drive' | 'unc' | 'posix' | 'relative'

export interface PathInfo {
  kind: PathKind
  /** The drive ('O:\') or share ('\\server\share') the path lives on, when it has one. */
  root: string | null
}

export function classifyPath(p: string): PathInfo {
  // win32's root of the path: '\\\\server\\share\\' (UNC, either slash), 'O:\\' or 'O:' (drive), '\\', '/' or ''.
  const { root } = win32.parse(p)
  const parts = root.split(/[\\/]+/).filter(Boolean)
  if (/^[\\/]{2}/.test(root)) return { kind: 'unc', root: `\\\\${parts.join('\\')}` }
  // 'O:' alone is the drive; 'O:data' (relative to that drive's current folder) is not absolute.
  if (root[1] === ':' && (root.length === 3 || root === p)) return { kind: 'drive', root: `${root[0].toUpperCase()}:\\` }
  if (p.startsWith('/')) return { kind: 'posix', root: '/' }
  return { kind: 'relative', root: null }
}

/** Whether `p` is absolute on this OS or is a Windows drive/UNC path (kept as written whatever OS we run on). */
export function isAbsoluteAnywhere(p: string): boolean {
  return isAbsolute(p) || (win32.isAbsolute(p) && win32.parse(p).root.length > 1)
}

/** `p` as written when absolute (also a Windows path on another OS), else resolved against `baseDir`. */
export function resolveAgainst(baseDir: string, p: string): string {
  return isAbsoluteAnywhere(p) ? p : resolve(baseDir, p)
}

/** Trims whitespace and the quotes Windows' "Copy as path" adds. */
export function normalizeUserPath(p: string): string {
  let s = p.trim()
  if (s.length >= 2 && ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))) s = s.slice(1, -1).trim()
  return s
}

export interface ProbeOptions {
  expect?: 'file' | 'dir' | 'any'
  /** How many extra attempts on a lock (EBUSY/EPERM on Windows). */
  retries?: number
  delayMs?: number
  platform?: NodeJS.Platform
  stat?: (p: string) => Promise<{ size: number; isDirectory(): boolean }>
}

const LOCK_CODES = new Set(['EBUSY', 'EPERM'])
const NETWORK_CODES = new Set(['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTCONN', 'ESTALE', 'ECONNREFUSED', 'UNKNOWN'])

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Stats `path` and returns its size and kind, or throws a RequestError whose message names the file, the
 * problem and what to do (FILE_NOT_FOUND, SHARE_UNREACHABLE, FILE_LOCKED, PERMISSION, FILE_KIND).
 */
export async function probePath(
  rawPath: string,
  options: ProbeOptions = {},
): Promise<{ path: string; size: number; kind: 'dir' | 'file' }> {
  const path = normalizeUserPath(rawPath)
  const platform = options.platform ?? process.platform
  const stat = options.stat ?? fsStat
  const retries = options.retries ?? 3
  const delayMs = options.delayMs ?? 250
  const info = classifyPath(path)
  if (!path) throw new RequestError('FILE_NOT_FOUND', 'No file was given')
  if (platform !== 'win32' && (info.kind === 'drive' || info.kind === 'unc')) {
    throw new RequestError(
      'FILE_NOT_FOUND',
      `${path} is a Windows path (${info.kind === 'unc' ? `network share ${info.root}` : `drive ${info.root}`}) and this computer is not running Windows; mount the share here and give its local path`,
      { path },
    )
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const st = await stat(path)
      const kind = st.isDirectory() ? 'dir' : 'file'
      if (options.expect === 'file' && kind !== 'file') {
        throw new RequestError('FILE_KIND', `${path} is a folder, a file was expected`, { path })
      }
      if (options.expect === 'dir' && kind !== 'dir') {
        throw new RequestError('FILE_KIND', `${path} is a file, a folder was expected`, { path })
      }
      return { path, size: st.size, kind }
    } catch (err) {
      if (err instanceof RequestError) throw err
      const code = (err as NodeJS.ErrnoException).code ?? ''
      const lockLike = LOCK_CODES.has(code) && (platform === 'win32' || code === 'EBUSY')
      if (lockLike && attempt < retries) {
        await sleep(delayMs * 2 ** attempt)
        continue
      }
      throw await explainStatError(path, info, code, platform, stat, lockLike)
    }
  }
}

async function explainStatError(
  path: string,
  info: PathInfo,
  code: string,
  platform: NodeJS.Platform,
  stat: NonNullable<ProbeOptions['stat']>,
  lockLike: boolean,
): Promise<RequestError> {
  if (lockLike) {
    return new RequestError(
      'FILE_LOCKED',
      `${path} is locked by another program (${code}); close the program using it (for example the MCS software or an open viewer), then retry`,
      { path, retryable: true },
    )
  }
  if (info.kind === 'unc' && info.root && (code === 'ENOENT' || NETWORK_CODES.has(code))) {
    const shareReachable = await stat(info.root).then(
      () => true,
      () => false,
    )
    if (!shareReachable) {
      return new RequestError(
        'SHARE_UNREACHABLE',
        `The network share ${info.root} is not reachable (${code}) while opening ${path}; check the network or VPN connection and that the share is mapped, then retry`,
        { path, retryable: true },
      )
    }
  }
  if (NETWORK_CODES.has(code)) {
    return new RequestError('SHARE_UNREACHABLE', `${path} could not be reached (${code}); check the network connection, then retry`, {
      path,
      retryable: true,
    })
  }
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    const where = info.kind === 'drive' && platform === 'win32' ? ` (is drive ${info.root} connected?)` : ''
    return new RequestError('FILE_NOT_FOUND', `File not found: ${path}${where}`, { path })
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new RequestError('PERMISSION', `No permission to read ${path} (${code})`, { path, retryable: true })
  }
  return new RequestError(code || 'ERROR', `${path} cannot be used (${code || 'unknown error'})`, { path })
}
