// Where the bundled resources/ folder is, whether we run from source (tests), from out/main (CLI, web
// host) or from a packaged Electron app (process.resourcesPath).

import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

export function resourcesDir(): string {
  const here = import.meta.dirname
  const candidates = [
    process.env.HDMEA_RESOURCES_DIR,
    resolve(here, '../resources'),
    resolve(here, '../../resources'),
    (process as { resourcesPath?: string }).resourcesPath
      ? join((process as { resourcesPath?: string }).resourcesPath!, 'resources')
      : undefined,
    resolve(process.cwd(), 'resources'),
  ].filter((p): p is string => !!p)
  const found = candidates.find((p) => existsSync(join(p, 'README.md')))
  if (!found) throw new Error(`The resources folder was not found (looked in ${candidates.join(', ')})`)
  return found
}

export function resourcePath(...parts: string[]): string {
  return join(resourcesDir(), ...parts)
}
