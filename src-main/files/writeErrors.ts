// Turning a failed write into a message a user can act on: a full disk or quota names the volume, a
// read-only or forbidden folder says so (instead of "file write failed" or "ENOENT mkdir"). The cause
// comes from Node's errno codes or, for HDF5 writes, from the C library's message inside HDF5's stack.

import { readFile, realpath } from 'node:fs/promises'
import { dirname, parse, resolve } from 'node:path'
import { FileAccessError } from '../../src-shared/errors'

export type WriteFailure = 'no-space' | 'quota' | 'read-only' | 'permission' | 'missing-parent' | null

const HDF5_REASONS: Array<[RegExp, Exclude<WriteFailure, null>]> = [
  [/No space left on device/i, 'no-space'],
  [/Disk quota exceeded/i, 'quota'],
  [/Read-only file system/i, 'read-only'],
  [/Permission denied|Operation not permitted/i, 'permission'],
]

/** What kind of write failure `err` is, from its errno code or an HDF5 error text. */
export function classifyWriteFailure(err: unknown): WriteFailure {
  const code = (err as NodeJS.ErrnoException)?.code
  switch (code) {
    case 'ENOSPC':
      return 'no-space'
    case 'EDQUOT':
      return 'quota'
    case 'EROFS':
      return 'read-only'
    case 'EACCES':
    case 'EPERM':
      return 'permission'
  }
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const text = e instanceof Error ? e.message : typeof e === 'string' ? e : ''
    for (const [re, kind] of HDF5_REASONS) if (re.test(text)) return kind
  }
  return null
}

/** The mount point (Linux) or drive root holding `path`, for "no space left on <volume>". */
export async function volumeOf(path: string): Promise<string> {
  let real = resolve(path)
  for (let p = real; ; p = dirname(p)) {
    try {
      real = (await realpath(p)) + real.slice(p.length)
      break
    } catch {
      if (dirname(p) === p) break
    }
  }
  if (process.platform === 'linux') {
    try {
      const mounts = (await readFile('/proc/self/mounts', 'utf8'))
        .split('\n')
        .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
        .filter((m): m is string => !!m)
      const best = mounts.filter((m) => real === m || real.startsWith(m.endsWith('/') ? m : `${m}/`)).sort((a, b) => b.length - a.length)[0]
      if (best) return best
    } catch {
      // no /proc: fall through to the root
    }
  }
  return parse(real).root || real
}

/**
 * A FileAccessError for a write of `path` that failed for a reason the user can fix, or null when the
 * failure is of another kind (the caller keeps its own message then).
 */
export async function explainWriteFailure(err: unknown, path: string, action: string): Promise<FileAccessError | null> {
  const kind = classifyWriteFailure(err)
  switch (kind) {
    case 'no-space':
      return new FileAccessError('NO_SPACE', `No space left on ${await volumeOf(path)} while ${action} ${path}; free some space or choose another folder. Nothing already saved was changed.`, {
        path,
        cause: err,
      })
    case 'quota':
      return new FileAccessError('NO_SPACE', `Disk quota exceeded on ${await volumeOf(path)} while ${action} ${path}; free some space or choose another folder. Nothing already saved was changed.`, {
        path,
        cause: err,
      })
    case 'read-only':
      return new FileAccessError('PERMISSION', `Cannot write to ${dirname(path)}: the volume ${await volumeOf(path)} is read-only; choose another output folder`, {
        path,
        cause: err,
      })
    case 'permission':
      return new FileAccessError('PERMISSION', `No permission to write in ${dirname(path)} (while ${action} ${path}); choose another output folder or change its permissions`, {
        path,
        cause: err,
      })
    default:
      return null
  }
}
