// `npm start` (after the build): the desktop app when an Electron binary is present and runs, else the
// same workbench in the browser (node out/main/web.js), printing the URL to open.
//
// require('electron') downloads the binary when it is missing, so we first look for it the way the
// electron package does (ELECTRON_OVERRIDE_DIST_PATH, or node_modules/electron/path.txt + dist/) and only
// require it once it exists.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'package.json'))
const args = process.argv.slice(2)

function electronBinary() {
  let pkgDir
  try {
    pkgDir = dirname(require.resolve('electron/package.json'))
  } catch {
    return { path: null, why: 'the electron package is not installed' }
  }
  const pathFile = join(pkgDir, 'path.txt')
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH
  const candidate = override ? join(override, relative || 'electron') : relative ? join(pkgDir, 'dist', relative) : null
  if (!candidate || !existsSync(candidate)) {
    return { path: null, why: `no Electron binary at ${candidate ?? join(pkgDir, 'dist')} (it was never downloaded)` }
  }
  const viaPackage = require('electron') // safe now: the binary exists, nothing is downloaded
  const probe = spawnSync(viaPackage, ['--version'], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } })
  if (probe.status !== 0) {
    return { path: null, why: `the Electron binary ${viaPackage} does not run (${probe.error?.message ?? probe.stderr?.trim() ?? `exit ${probe.status}`})` }
  }
  return { path: viaPackage, why: null, version: probe.stdout.trim() }
}

function run(command, commandArgs) {
  const child = spawn(command, commandArgs, { stdio: 'inherit', cwd: root })
  const forward = (sig) => child.kill(sig)
  process.on('SIGINT', forward)
  process.on('SIGTERM', forward)
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)))
}

const electron = electronBinary()
if (electron.path) {
  console.log(`Starting the desktop app (Electron ${electron.version})…`)
  run(electron.path, [root, ...args])
} else {
  const web = join(root, 'out/main/web.js')
  if (!existsSync(web)) {
    console.error(`Neither Electron nor the web host is available: ${web} is missing; run \`npm run build\``)
    process.exit(1)
  }
  console.log(`Electron cannot start here: ${electron.why}.`)
  console.log('Starting the workbench in browser mode instead; open the URL below in a browser on this computer.')
  run(process.execPath, [web, ...args])
}
