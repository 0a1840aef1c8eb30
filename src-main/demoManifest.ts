// The demo writes only into folders it owns and may only ever remove or replace files it wrote itself.
// Each folder it writes keeps a manifest (.hdmea-demo-manifest.json: relative path -> size) of those
// files; anything else in the way (a file not listed, or listed but since changed in size) is the
// user's, and the demo stops with an error naming it instead of touching it.

import { existsSync } from 'node:fs'
import { lstat, readFile, readdir, rmdir, stat, unlink } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { FileAccessError } from '../src-shared/errors'
import { writeTextAtomically } from './files/atomicWrite'

export const DEMO_MANIFEST = '.hdmea-demo-manifest.json'

type Manifest = Record<string, number>

async function readManifest(dir: string): Promise<Manifest> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, DEMO_MANIFEST), 'utf8')) as { files?: unknown }
    const files = parsed?.files
    if (!files || typeof files !== 'object') return {}
    return Object.fromEntries(Object.entries(files as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number'))
  } catch {
    return {}
  }
}

/** Every entry below `dir` that is not a folder (files, links, others), as paths relative to `dir`. */
async function listEntries(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else out.push(relative(dir, p).split(sep).join('/'))
    }
  }
  await walk(dir)
  return out.filter((p) => p !== DEMO_MANIFEST).sort()
}

async function isOwn(dir: string, rel: string, manifest: Manifest): Promise<boolean> {
  if (!(rel in manifest)) return false
  const st = await lstat(join(dir, rel)).catch(() => null)
  return !!st && st.isFile() && st.size === manifest[rel]
}

function foreignError(dir: string, foreign: string[], what: string): FileAccessError {
  const first = join(dir, foreign[0])
  const more = foreign.length > 1 ? ` (and ${foreign.length - 1} more)` : ''
  return new FileAccessError(
    'FILE_EXISTS',
    `${first}${more} is in the way of ${what} and was not written by the demo; the demo never removes or replaces files it did not write. Move it elsewhere or choose another folder (--out).`,
    { path: first },
  )
}

/** Throws naming the first of `rels` (relative to `dir`) that exists and is not the demo's own. */
export async function assertReplaceable(dir: string, rels: string[], what: string): Promise<void> {
  const manifest = await readManifest(dir)
  const foreign: string[] = []
  for (const rel of rels) {
    if (existsSync(join(dir, rel)) && !(await isOwn(dir, rel, manifest))) foreign.push(rel)
  }
  if (foreign.length) throw foreignError(dir, foreign, what)
}

/** Adds files (relative to `dir`) the demo just wrote to the manifest of `dir`. */
export async function recordOwnFiles(dir: string, rels: string[]): Promise<void> {
  const manifest = await readManifest(dir)
  for (const rel of rels) manifest[rel] = (await stat(join(dir, rel))).size
  await writeTextAtomically(join(dir, DEMO_MANIFEST), `${JSON.stringify({ files: manifest }, null, 1)}\n`, { overwrite: true, what: 'demo manifest' })
}

/** Writes the manifest of a folder the demo just generated, listing everything in it. */
export async function recordWholeFolder(dir: string): Promise<void> {
  await recordOwnFiles(dir, await listEntries(dir))
}

/** Throws naming the first file in `dir` the demo did not write (missing folder: fine). Returns the demo's own files. */
export async function assertOnlyOwnFiles(dir: string, what: string): Promise<string[]> {
  if (!existsSync(dir)) return []
  const manifest = await readManifest(dir)
  const entries = await listEntries(dir)
  const foreign: string[] = []
  for (const rel of entries) if (!(await isOwn(dir, rel, manifest))) foreign.push(rel)
  if (foreign.length) throw foreignError(dir, foreign, what)
  return entries
}

/**
 * Removes a folder the demo generated earlier, file by file, only if everything in it is the demo's
 * own; otherwise nothing is removed and the error names the first foreign file. Missing folder: no-op.
 */
export async function removeOwnFolder(dir: string, what: string): Promise<void> {
  if (!existsSync(dir)) return
  const entries = await assertOnlyOwnFiles(dir, what)
  for (const rel of entries) await unlink(join(dir, rel))
  await unlink(join(dir, DEMO_MANIFEST)).catch(() => undefined)
  await removeEmptyFolders(dir)
}

/** Removes `dir` and its sub-folders bottom-up, each only if empty (rmdir never removes content). */
async function removeEmptyFolders(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) await removeEmptyFolders(join(dir, e.name))
  }
  await rmdir(dir)
}
