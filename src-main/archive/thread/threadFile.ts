// Where the archive thread's script is: out/main/archiveThread.js beside the main bundle (in a packaged
// app its copy in app.asar.unpacked, since worker threads load with Node's own loader). Running from the
// sources (vitest, tsx), the thread still runs the built bundle (loading the TypeScript sources inside
// the thread through a loader costs seconds and hundreds of MB per thread), so a bundle older than the
// codec's sources is refused instead of silently running old code.

import { readdir, stat } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { unpackedPath } from '../../../src-worker/builtEntry'

export const ARCHIVE_THREAD_BUNDLE = 'archiveThread.js'

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  )
}

export async function findArchiveThreadScript(): Promise<string> {
  const fromEnv = process.env.HDMEA_ARCHIVE_THREAD_FILE
  if (fromEnv) return fromEnv
  const selfPath = fileURLToPath(import.meta.url)
  const here = dirname(selfPath)
  const fromSources = selfPath.endsWith('.ts')
  const candidates = fromSources
    ? [resolve(here, '../../../out/main', ARCHIVE_THREAD_BUNDLE), resolve(process.cwd(), 'out/main', ARCHIVE_THREAD_BUNDLE)]
    : [unpackedPath(join(here, ARCHIVE_THREAD_BUNDLE)), unpackedPath(join(here, '..', ARCHIVE_THREAD_BUNDLE)), resolve(process.cwd(), 'out/main', ARCHIVE_THREAD_BUNDLE)]
  let found: string | undefined
  for (const c of candidates) {
    if (await isFile(c)) {
      found = c
      break
    }
  }
  if (!found) {
    throw new Error(`The archive thread bundle ${ARCHIVE_THREAD_BUNDLE} was not found (looked in ${candidates.join(', ')}); run \`npx electron-vite build\` first`)
  }
  if (fromSources) await refuseStaleBundle(found, resolve(here, '..'))
  return found
}

/** Modules of src-main/archive that run on the main thread only (not in the thread's bundle). */
const MAIN_SIDE = new Set(['index.ts', 'saveFile.ts', 'thread/archiveThreads.ts', 'thread/threadFile.ts'])

/** The codec's sources (src-main/archive, the h5wasm set-up, the shared tree and errors) must not be newer than the bundle. */
async function refuseStaleBundle(bundle: string, archiveDir: string): Promise<void> {
  const built = (await stat(bundle)).mtimeMs
  const root = resolve(archiveDir, '../..')
  const sources = [
    ...(await tsFilesUnder(archiveDir)).filter((f) => !MAIN_SIDE.has(relative(archiveDir, f).split(sep).join('/'))),
    join(root, 'src-worker/hdf5/h5wasmModule.ts'),
    join(root, 'src-shared/tree.ts'),
    join(root, 'src-shared/errors.ts'),
  ]
  for (const source of sources) {
    const changed = await stat(source).then(
      (s) => s.mtimeMs,
      () => 0,
    )
    if (changed > built) {
      throw new Error(`The archive thread bundle ${bundle} is older than ${source}: run \`npx electron-vite build\` (archive threads run the built codec)`)
    }
  }
}

async function tsFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await tsFilesUnder(full)))
    else if (entry.name.endsWith('.ts')) out.push(full)
  }
  return out
}
