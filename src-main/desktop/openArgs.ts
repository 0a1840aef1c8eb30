// Files handed to the app from outside: the command line of a launch from Explorer ("Open with",
// a double-clicked .cmcr) or of a second launch, and macOS open-file events. Turned into open requests
// for the renderer: a recording (the .cmcr with its .cmtr found beside it, or the other way round) or
// an archive to resume.

import { basename, dirname, extname, join } from 'node:path'
import type { OpenRequest } from '../../src-shared/contract'
import { isAbsoluteAnywhere, resolveAgainst } from '../workbench/fileAccess'

const RECORDING = new Set(['.cmcr', '.cmtr'])
const ARCHIVE = new Set(['.h5', '.hdf5'])

/**
 * The file arguments of a command line (without the executable): arguments that are not switches and
 * end in .cmcr, .cmtr, .h5 or .hdf5, made absolute against the launch's working directory. Anything
 * else (Chromium's switches, the app folder of a development start) is ignored.
 */
export function fileArgsFromArgv(args: readonly string[], cwd: string): string[] {
  const out: string[] = []
  for (const raw of args) {
    const a = raw.trim().replace(/^"(.*)"$/, '$1')
    if (!a || a.startsWith('-')) continue
    const ext = extname(a).toLowerCase()
    if (!RECORDING.has(ext) && !ARCHIVE.has(ext)) continue
    const abs = isAbsoluteAnywhere(a) ? a : resolveAgainst(cwd, a)
    if (!out.includes(abs)) out.push(abs)
  }
  return out
}

/** The partner files a recording may have beside it: X.cmcr <-> X-.cmtr or X.cmtr (the vendor's naming). */
export function partnerCandidates(path: string): string[] {
  const ext = extname(path).toLowerCase()
  const dir = dirname(path)
  const stem = basename(path, extname(path))
  if (ext === '.cmcr') return [join(dir, `${stem}-.cmtr`), join(dir, `${stem}.cmtr`)]
  if (ext === '.cmtr') return [join(dir, `${stem.replace(/-$/, '')}.cmcr`)]
  return []
}

/**
 * Open requests for a list of files: archives one each; recordings grouped so that a .cmcr and its
 * .cmtr (given together or found beside it) open as one recording.
 */
export function openRequestsFor(paths: readonly string[], exists: (path: string) => boolean): OpenRequest[] {
  const requests: OpenRequest[] = []
  const used = new Set<string>()
  for (const p of paths) {
    if (used.has(p)) continue
    const ext = extname(p).toLowerCase()
    if (ARCHIVE.has(ext)) {
      used.add(p)
      requests.push({ kind: 'archive', path: p })
      continue
    }
    if (!RECORDING.has(ext)) continue
    used.add(p)
    const partners = partnerCandidates(p)
    const given = paths.find((q) => !used.has(q) && partners.some((c) => sameFile(c, q)))
    const partner = given ?? partners.find((c) => exists(c)) ?? null
    if (partner) used.add(partner)
    const cmcr = ext === '.cmcr' ? p : partner
    const cmtr = ext === '.cmtr' ? p : partner
    requests.push({ kind: 'recording', cmcrPath: cmcr, cmtrPath: cmtr })
  }
  return requests
}

function sameFile(a: string, b: string): boolean {
  // Windows paths compare without case; elsewhere exactly.
  return /^[a-z]:[\\/]|^\\\\/i.test(a) ? a.toLowerCase() === b.toLowerCase() : a === b
}
