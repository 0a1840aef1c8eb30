// Where a built thread entry (out/main/<name>.js) is, for code that starts a worker thread of its own.
// Worker threads load their script with Node's own loader, which cannot read inside a packaged
// app.asar: electron-builder.yml unpacks out/main, and a path inside the archive is mapped to its copy
// in app.asar.unpacked.

import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** A path inside a packaged app.asar, mapped to its copy in app.asar.unpacked. */
export function unpackedPath(path: string): string {
  return path.replace(/([\\/])app\.asar(?=[\\/])/, '$1app.asar.unpacked')
}

/**
 * The built entry `file` (e.g. 'sensorReader.js'): beside the calling bundle in out/main (or one up,
 * from out/main/chunks where the bundler may put the caller), else out/main when running from source
 * (tests, benchmarks). `here` is the caller's import.meta.dirname; `override` an explicit path (env).
 */
export function findBuiltEntry(file: string, here: string, override?: string): string {
  const candidates = [
    override,
    unpackedPath(join(here, file)),
    unpackedPath(join(here, '..', file)),
    resolve(here, '../../out/main', file),
    resolve(process.cwd(), 'out/main', file),
  ].filter((p): p is string => !!p)
  const found = candidates.find((p) => existsSync(p))
  if (!found) throw new Error(`The thread entry ${file} was not found (looked in ${candidates.join(', ')}); run \`npm run build\` first`)
  return found
}
