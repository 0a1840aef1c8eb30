// Where the bundled resources/ folder is, whether we run from source (tests), from out/main (CLI, web
// host; the code may sit in out/main/chunks) or from a packaged app, where it lies beside app.asar at
// <resourcesPath>/resources (electron-builder.yml, extraResources).

import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

/** The folders `resources` in `start` and its ancestors, nearest first (at most `levels` up). */
export function ancestorCandidates(start: string, levels = 5): string[] {
  const out: string[] = []
  let dir = resolve(start)
  for (let i = 0; i <= levels; i++) {
    out.push(join(dir, 'resources'))
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  return out
}

export function resourcesDir(): string {
  const resourcesPath = (process as { resourcesPath?: string }).resourcesPath
  const candidates = [
    process.env.HDMEA_RESOURCES_DIR,
    ...ancestorCandidates(import.meta.dirname),
    resourcesPath ? join(resourcesPath, 'resources') : undefined,
    resolve(process.cwd(), 'resources'),
  ].filter((p): p is string => !!p)
  const found = candidates.find((p) => existsSync(join(p, 'README.md')))
  if (!found) throw new Error(`The resources folder was not found (looked in ${candidates.join(', ')})`)
  return found
}

export function resourcePath(...parts: string[]): string {
  return join(resourcesDir(), ...parts)
}
