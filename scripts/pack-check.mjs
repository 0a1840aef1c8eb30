// `npm run pack:check`: proves the packaged app holds what it loads at run time, without downloading
// anything (the Electron binary cannot be fetched on build machines).
//
// 1. Builds the unpacked app (`electron-builder --dir`, Linux target) from electron-builder.yml against
//    a stand-in Electron distribution: a folder with a fake `electron` executable, given as electronDist.
//    Any attempt to download Electron anyway goes to an unreachable mirror and fails at once.
// 2. Opens the produced app.asar with @electron/asar and checks it (scripts/pack-rules.mjs): every built
//    file, every production package and every package the bundles import is inside; the worker entries
//    (the Piscina task entry, the sensor reader, the archive thread), their chunks and the packages they import are in
//    app.asar.unpacked; no devDependency, test, benchmark, source map or TypeScript source; the
//    resources folder sits beside it.
// 3. Runs the packaged code with plain Node, from a temporary folder outside the repository so that
//    nothing can resolve from the repository's node_modules:
//    a. the worker entry straight from app.asar.unpacked (exactly the files worker threads load); the
//       sensor reader and the archive thread started as worker threads from there, answering;
//    b. the `cli` entry on the demo (`demo --out <tmp>`). Plain Node cannot read an asar, so the asar is
//       extracted to resources/app beside it (the layout Electron itself accepts instead of app.asar;
//       @electron/asar copies the unpacked files in), and the cli finds the resources folder the way the
//       packaged app does. This proves the package is self-sufficient: no file from the source tree is used.
//
// Environment: PACK_CHECK_KEEP=1 keeps the temporary folder; PACK_CHECK_SKIP_DEMO=1 skips step 3b.

import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { writeIcons } from './make-icon.mjs'
import { checkAsarContent, checkPackagedManifest, importSpecifiers, packageOf, productionClosure } from './pack-rules.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'package.json'))
const started = performance.now()
const seconds = () => ((performance.now() - started) / 1000).toFixed(1)
const say = (msg) => process.stdout.write(`pack:check [${seconds()} s] ${msg}\n`)

function fail(msg, keepDir) {
  process.stderr.write(`pack:check FAILED: ${msg}\n`)
  if (keepDir) process.stderr.write(`pack:check: the build is kept in ${keepDir}\n`)
  process.exit(1)
}

function walk(dir, base = dir) {
  const out = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...walk(full, base))
    else out.push(relative(base, full).split(sep).join('/'))
  }
  return out
}

/** The entries worker threads load: the Piscina task entry, the sensor reader, the archive thread. */
const WORKER_ENTRIES = ['out/main/task.js', 'out/main/sensorReader.js', 'out/main/archiveThread.js']

/** The thread entries and every chunk they import (relative imports, transitively), and the packages they import. */
function workerClosure() {
  const files = new Set()
  const packages = new Set()
  const visit = (rel) => {
    if (files.has(rel)) return
    files.add(rel)
    const source = readFileSync(join(root, rel), 'utf8')
    for (const spec of importSpecifiers(source)) {
      if (spec.startsWith('.')) visit(join(dirname(rel), spec).split(sep).join('/'))
      else {
        const pkg = packageOf(spec)
        if (pkg) packages.add(pkg)
      }
    }
  }
  for (const entry of WORKER_ENTRIES) visit(entry)
  return { files: [...files], packages: [...packages] }
}

function readInstalledPackage(name) {
  const p = join(root, 'node_modules', name, 'package.json')
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null
}

async function main() {
  const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  // out/bench holds the benchmarks' own bundles (npm run bench:*), excluded from the package in electron-builder.yml
  const builtFiles = [...walk(join(root, 'out')).map((f) => `out/${f}`)].filter((f) => !f.endsWith('.map') && !f.startsWith('out/bench/'))
  if (!builtFiles.includes('out/main/index.js') || WORKER_ENTRIES.some((e) => !builtFiles.includes(e))) {
    fail('out/ is not built; run `npx electron-vite build` first')
  }
  writeIcons(join(root, 'resources/icons'))

  const work = mkdtempSync(join(tmpdir(), 'hdmea-pack-'))
  const keep = process.env.PACK_CHECK_KEEP === '1'
  try {
    // --- 1. the unpacked app, against a stand-in Electron -------------------------------------
    const standIn = join(work, 'electron-dist')
    mkdirSync(standIn)
    writeFileSync(join(standIn, 'electron'), '#!/bin/sh\necho "stand-in Electron (pack:check): no real binary here" >&2\nexit 1\n')
    chmodSync(join(standIn, 'electron'), 0o755)
    writeFileSync(join(standIn, 'version'), require('electron/package.json').version)
    process.env.ELECTRON_SKIP_BINARY_DOWNLOAD = '1'
    const output = join(work, 'dist')
    const builder = await import(pathToFileURL(require.resolve('electron-builder')).href)
    const { build, Platform, Arch } = builder.default ?? builder
    const arch = process.arch === 'arm64' ? Arch.arm64 : Arch.x64
    say('building the unpacked app (electron-builder --dir, linux) against a stand-in Electron')
    await build({
      projectDir: root,
      targets: Platform.LINUX.createTarget('dir', arch),
      publish: 'never',
      config: {
        electronDist: standIn,
        directories: { output },
        // Nothing may be downloaded: should anything still ask for Electron, it meets a closed port.
        electronDownload: { mirror: 'http://127.0.0.1:9/' },
      },
    })
    const appDir = join(output, readdirSync(output).find((d) => d.endsWith('-unpacked')) ?? 'linux-unpacked')
    const resourcesPath = join(appDir, 'resources')
    const asarPath = join(resourcesPath, 'app.asar')
    if (!existsSync(asarPath)) fail(`no app.asar in ${resourcesPath}`, work)

    // --- 2. the content of app.asar ------------------------------------------------------------
    const asar = require('@electron/asar')
    const files = asar.listPackage(asarPath, { isPack: false }).map((f) => f.replace(/^[\\/]/, '').split('\\').join('/'))
    const unpacked = files.filter((f) => {
      try {
        return asar.statFile(asarPath, f, false).unpacked === true
      } catch {
        return false
      }
    })
    const productionPackages = productionClosure(rootPackage, readInstalledPackage)
    const allowedPackages = productionClosure(rootPackage, readInstalledPackage, { withOptional: true })
    for (const f of builtFiles.filter((f) => /\.(c|m)?js$/.test(f))) {
      for (const spec of importSpecifiers(readFileSync(join(root, f), 'utf8'))) {
        const pkg = packageOf(spec)
        if (pkg && !allowedPackages.has(pkg)) {
          // imported by a bundle at run time, so it has to be a production dependency
          if (f.startsWith('out/renderer/')) continue // the renderer bundle is self-contained
          fail(`${f} imports '${spec}' but ${pkg} is not a production dependency in package.json`, work)
        }
      }
    }
    const worker = workerClosure()
    const manifest = JSON.parse(asar.extractFile(asarPath, 'package.json').toString('utf8'))
    const problems = [
      ...checkAsarContent({
        files,
        unpacked,
        builtFiles,
        rootPackage,
        productionPackages,
        allowedPackages,
        workerFiles: worker.files,
        workerPackages: worker.packages,
      }),
      ...checkPackagedManifest(manifest),
    ]
    for (const r of ['README.md', 'demo/playlist.csv', 'demo/movie_length.csv', 'stimuli', 'icons/icon.png', 'icons/icon.ico']) {
      if (!existsSync(join(resourcesPath, 'resources', r))) problems.push(`resources/${r} is missing beside app.asar`)
    }
    if (problems.length > 0) fail(`app.asar:\n  ${problems.join('\n  ')}`, work)
    const asarBytes = statSync(asarPath).size
    say(
      `app.asar holds ${files.length} entries (${(asarBytes / 1e6).toFixed(1)} MB), ${unpacked.length} unpacked; ` +
        `packages: ${[...productionPackages].sort().join(', ')}; worker: ${worker.files.length} files + ${worker.packages.join(', ')}`,
    )

    // --- 3. run the packaged code with plain Node, outside the repository ---------------------
    const runDir = join(work, 'run')
    mkdirSync(runDir)
    const env = { ...process.env }
    for (const k of Object.keys(env)) if (k.startsWith('HDMEA_') || k === 'NODE_PATH' || k.startsWith('npm_')) delete env[k]
    const workerUrl = pathToFileURL(join(resourcesPath, 'app.asar.unpacked', 'out/main/task.js')).href
    const probe = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(workerUrl)}); console.log(Object.keys(m).length)`], {
      cwd: runDir,
      env,
      encoding: 'utf8',
    })
    if (probe.status !== 0 || !(Number(probe.stdout.trim()) > 0)) {
      fail(`the worker entry does not load from app.asar.unpacked alone:\n${probe.stderr}`, work)
    }
    say(`worker entry loads from app.asar.unpacked alone (${probe.stdout.trim()} task exports)`)
    // The eimage sensor reader thread starts from app.asar.unpacked alone and answers (asked to close at once).
    const readerFile = join(resourcesPath, 'app.asar.unpacked', 'out/main/sensorReader.js')
    const readerScript = `import { Worker } from 'node:worker_threads'; const w = new Worker(${JSON.stringify(readerFile)}, { execArgv: [] }); w.on('error', (e) => { console.error(e); process.exit(1) }); w.on('message', (m) => console.log(m.type)); w.postMessage({ type: 'close' })`
    const readerProbe = spawnSync(process.execPath, ['--input-type=module', '-e', readerScript], { cwd: runDir, env, encoding: 'utf8' })
    if (readerProbe.status !== 0 || readerProbe.stdout.trim() !== 'closed') {
      fail(`the sensor reader thread does not start from app.asar.unpacked alone:\n${readerProbe.stderr}${readerProbe.stdout}`, work)
    }
    say('sensor reader thread starts from app.asar.unpacked alone')
    // The archive thread from app.asar.unpacked alone: started as a worker thread, it must get ready
    // (its h5wasm initialised) and answer a request (a missing archive: FILE_NOT_FOUND naming it).
    const archiveThread = join(resourcesPath, 'app.asar.unpacked', 'out/main/archiveThread.js')
    const missing = join(runDir, 'no-such-archive.h5')
    const threadProbe = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { Worker } from 'node:worker_threads'
const w = new Worker(${JSON.stringify(archiveThread)}, { execArgv: [] })
const t = setTimeout(() => { console.error('no answer from the archive thread'); process.exit(1) }, 60000)
w.on('error', (e) => { console.error(e); process.exit(1) })
w.on('message', (m) => {
  if (m.type === 'ready') w.postMessage({ type: 'read', id: 1, path: ${JSON.stringify(missing)} })
  else if (m.type === 'failed') { console.log(m.error.code + ' ' + m.error.message); clearTimeout(t); w.terminate() }
})`,
      ],
      { cwd: runDir, env, encoding: 'utf8' },
    )
    if (threadProbe.status !== 0 || !threadProbe.stdout.startsWith('FILE_NOT_FOUND') || !threadProbe.stdout.includes(missing)) {
      fail(`the archive thread does not run from app.asar.unpacked alone:\n${threadProbe.stderr}${threadProbe.stdout}`, work)
    }
    say('archive thread runs from app.asar.unpacked alone (ready, answers a read)')

    if (process.env.PACK_CHECK_SKIP_DEMO === '1') {
      say('demo run skipped (PACK_CHECK_SKIP_DEMO=1)')
    } else {
      const extracted = join(resourcesPath, 'app')
      asar.extractAll(asarPath, extracted)
      const out = join(runDir, 'demo-out')
      say('running the packaged cli: node resources/app/out/main/cli.js demo --out <tmp>')
      const demo = spawnSync(process.execPath, [join(extracted, 'out/main/cli.js'), 'demo', '--out', out], { cwd: runDir, env, encoding: 'utf8' })
      if (demo.status !== 0) fail(`the packaged cli demo exited with ${demo.status}:\n${demo.stderr}\n${demo.stdout}`, work)
      const archive = /archive:\s+(\S+\.h5)/.exec(demo.stdout)?.[1]
      if (!archive || !existsSync(archive) || !archive.startsWith(out)) fail(`the demo did not report an archive inside ${out}:\n${demo.stdout}`, work)
      if (!existsSync(join(out, 'demo.log'))) fail(`the demo wrote no log file ${join(out, 'demo.log')}`, work)
      say(`packaged demo finished: ${relative(out, archive)} (${(statSync(archive).size / 1e6).toFixed(1)} MB) and demo.log in the output folder`)
    }
    say('OK')
  } catch (err) {
    fail(err instanceof Error ? (err.stack ?? err.message) : String(err), work)
  } finally {
    if (!keep && process.exitCode !== 1) rmSync(work, { recursive: true, force: true })
    else if (keep) say(`kept ${work}`)
  }
}

await main()
