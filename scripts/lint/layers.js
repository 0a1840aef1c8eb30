// Lint rules that guard the architecture (docs/architecture.md, "Layer rules"):
//  - layers/imports: which top-level folder may import which, checked on every import, export-from,
//    dynamic import() and require() with a literal source.
//  - layers/no-sync-fs: no synchronous fs calls in code that runs in the app's main process while the
//    user works (a blocked event loop freezes the window and the web host).
//  - layers/no-hdf5-on-main: no h5wasm on the main thread: src-main never loads h5wasm or the src-worker
//    modules that read or write HDF5, not even through another src-worker module (a slow or hung file
//    share would freeze every window). They run in worker threads: pool tasks, the sensor reader thread.
// Plain JavaScript so eslint.config.js loads it without a TypeScript loader.

import { existsSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, relative, resolve, sep } from 'node:path'

const ROOT = resolve(import.meta.dirname, '../..')
const LAYERS = ['src-main', 'src-worker', 'src-renderer', 'src-shared']
const NODE_BUILTINS = new Set(builtinModules)

/**
 * The src-worker modules the main process may import: the pool's task entry points (types and the task
 * names the pool calls), modules that are pure computation, and the eimage coordination (engine.ts, which
 * starts the run's reader thread). Anything else in src-worker runs only in worker threads. Adding a
 * module here is a decision: say why in the commit. Whatever is listed, layers/no-hdf5-on-main still
 * refuses a module that loads HDF5.
 */
export const MAIN_MAY_IMPORT_FROM_WORKER = [
  'src-worker/threadsLeftBehind.ts',
  'src-worker/builtEntry.ts',
  'src-worker/tasks/mcsTasks.ts',
  'src-worker/tasks/staTasks.ts',
  'src-worker/algo/analogSections.ts',
  'src-worker/algo/sectionTime.ts',
  'src-worker/algo/frif.ts',
  'src-worker/algo/spikeConversion.ts',
  'src-worker/algo/spikeSectioning.ts',
  'src-worker/algo/visualSta.ts',
  'src-worker/dsp/butterworth.ts',
  'src-worker/dsp/percentile.ts',
  'src-worker/npy.ts',
  'src-worker/eimage/engine.ts',
  'src-worker/eimage/plan.ts',
  'src-worker/eimage/readerThread.ts', // the main thread's handle on the sensor reader thread (its spare is started at start-up)
]

/** The src-worker modules that read or write HDF5 (folders end in '/'): worker threads only. */
export const HDF5_MODULES = ['src-worker/mcs/', 'src-worker/hdf5/', 'src-worker/synthetic/', 'src-worker/eimage/sensorSlabs.ts', 'src-worker/sensorReader.ts']

/**
 * The src-main code that may load h5wasm (or read HDF5 files itself, h5direct.ts): the archive codec,
 * which runs only in the archive threads (src-main/archive/thread/threadEntry.ts, built as
 * out/main/archiveThread.js). Other src-main code may not import these files either: it reads and writes
 * archives through src-main/archive's index.
 */
export const MAIN_MAY_USE_HDF5 = [
  'src-main/archive/h5.ts',
  'src-main/archive/h5direct.ts',
  'src-main/archive/reader.ts',
  'src-main/archive/writer.ts',
  'src-main/archive/codec.ts',
  'src-main/archive/thread/threadEntry.ts',
]

/** src-shared modules the renderer may import at run time (pure, small); the rest only with `import type`. */
export const RENDERER_MAY_IMPORT_FROM_SHARED = ['src-shared/wire.ts', 'src-shared/errors.ts', 'src-shared/batchModel.ts', 'src-shared/tree.ts', 'src-shared/unsavedWork.ts']

/** Folders of src-main whose code runs in the app's main process while the user works. */
export const NO_SYNC_FS_FOLDERS = ['workbench', 'ipc', 'archive', 'steps', 'batch', 'stimulus', 'files'].map((f) => `src-main/${f}/`)

const toPosix = (p) => p.split(sep).join('/')
const repoPath = (abs) => toPosix(relative(ROOT, abs))
const layerOf = (rel) => LAYERS.find((l) => rel === l || rel.startsWith(`${l}/`))
const isNodeBuiltin = (source) => source.startsWith('node:') || NODE_BUILTINS.has(source.split('/')[0])

/** The repository path of a relative import, with '.ts' added when the source has no extension. */
function importedFile(fromFile, source) {
  const abs = resolve(dirname(fromFile), source)
  const rel = repoPath(abs)
  return /\.[a-z]+$/i.test(rel) ? rel : `${rel}.ts`
}

/** An import that brings in types only, so nothing of the module is loaded at run time. */
function isTypeOnly(node) {
  if (node.type === 'ImportDeclaration') {
    if (node.importKind === 'type') return true
    return node.specifiers.length > 0 && node.specifiers.every((s) => s.type === 'ImportSpecifier' && s.importKind === 'type')
  }
  if (node.type === 'ExportNamedDeclaration' || node.type === 'ExportAllDeclaration') return node.exportKind === 'type'
  return false
}

function checkImport(fromRel, fromLayer, source, node) {
  if (isNodeBuiltin(source)) {
    if (fromLayer === 'src-renderer') return `the renderer never uses Node modules ('${source}'); ask the main process through the contract`
    if (fromLayer === 'src-shared' && !isTypeOnly(node)) return `src-shared runs in every process, so it imports no Node module ('${source}')`
    return null
  }
  if (source === 'electron' && !fromRel.startsWith('src-main/app/') && !isTypeOnly(node)) {
    return `only src-main/app/ (the Electron shell) imports 'electron'`
  }
  return null
}

function checkTarget(fromLayer, target, node) {
  const toLayer = layerOf(target)
  if (!toLayer || toLayer === fromLayer) return null
  switch (fromLayer) {
    case 'src-shared':
      return `src-shared imports nothing from ${toLayer} (it is shared by every process): ${target}`
    case 'src-worker':
      if (toLayer === 'src-shared') return null
      return `src-worker never imports from ${toLayer}: ${target}`
    case 'src-renderer':
      if (toLayer !== 'src-shared') return `the renderer never imports from ${toLayer}: ${target}`
      if (isTypeOnly(node) || RENDERER_MAY_IMPORT_FROM_SHARED.includes(target)) return null
      return `the renderer imports ${target} only with 'import type' (run-time imports from src-shared: ${RENDERER_MAY_IMPORT_FROM_SHARED.join(', ')})`
    case 'src-main':
      if (toLayer === 'src-renderer') return `src-main never imports the renderer: ${target}`
      // HDF5 modules are layers/no-hdf5-on-main's to report.
      if (toLayer === 'src-worker' && !isTypeOnly(node) && !MAIN_MAY_IMPORT_FROM_WORKER.includes(target) && !isHdf5Module(target)) {
        return `src-main imports src-worker only through the task entry points and the pure modules listed in scripts/lint/layers.js: ${target}`
      }
      return null
    default:
      return null
  }
}

const importsRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Which layer may import which (docs/architecture.md, Layer rules)' },
    schema: [],
  },
  create(context) {
    const fromRel = repoPath(context.filename)
    const fromLayer = layerOf(fromRel)
    if (!fromLayer) return {}
    const check = (node, sourceNode) => {
      if (!sourceNode || sourceNode.type !== 'Literal' || typeof sourceNode.value !== 'string') return
      const source = sourceNode.value
      const problem =
        checkImport(fromRel, fromLayer, source, node) ?? (source.startsWith('.') ? checkTarget(fromLayer, importedFile(context.filename, source), node) : null)
      if (problem) context.report({ node: sourceNode, message: problem })
    }
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      TSImportType: (node) => check({ type: 'TSImportType', importKind: 'type' }, node.argument?.literal ?? node.argument),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node, node.arguments[0])
      },
    }
  },
}

const isHdf5Module = (rel) => HDF5_MODULES.some((m) => (m.endsWith('/') ? rel.startsWith(m) : rel === m))
const isH5wasm = (source) => source === 'h5wasm' || source.startsWith('h5wasm/')

/** Value imports of a TypeScript source, by regular expression (enough for this code base's import style). */
function valueImports(source) {
  const out = []
  const re = /^\s*(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm
  for (const m of source.matchAll(re)) {
    if (m[4]) {
      out.push(m[4])
      continue
    }
    if (m[1]) continue
    const braces = /^\{([\s\S]*)\}$/.exec(m[2].trim())
    if (braces) {
      const names = braces[1].split(',').map((n) => n.trim()).filter(Boolean)
      if (names.length > 0 && names.every((n) => n.startsWith('type '))) continue
    }
    out.push(m[3])
  }
  return out
}

/** Repository file of a relative import from `fromRel`, or null when it does not exist. */
function sourceFile(fromRel, source) {
  const base = repoPath(resolve(ROOT, dirname(fromRel), source))
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) if (/\.ts$/.test(candidate) && existsSync(resolve(ROOT, candidate))) return candidate
  return null
}

const hdf5Chains = new Map()

/**
 * The import chain by which the src-worker module `rel` loads HDF5 at run time (['a.ts', 'b.ts',
 * 'h5wasm/node']), or null when it does not. Follows value imports within src-worker.
 */
export function hdf5Chain(rel, visiting = new Set()) {
  if (hdf5Chains.has(rel)) return hdf5Chains.get(rel)
  if (isHdf5Module(rel)) return [rel]
  if (visiting.has(rel)) return null
  visiting.add(rel)
  let chain = null
  let text = ''
  try {
    text = readFileSync(resolve(ROOT, rel), 'utf8')
  } catch {
    text = ''
  }
  for (const source of valueImports(text)) {
    if (isH5wasm(source)) chain = [rel, source]
    else if (source.startsWith('.')) {
      const next = sourceFile(rel, source)
      const sub = next && layerOf(next) === 'src-worker' ? hdf5Chain(next, visiting) : null
      if (sub) chain = [rel, ...sub]
    }
    if (chain) break
  }
  visiting.delete(rel)
  hdf5Chains.set(rel, chain)
  return chain
}

const noHdf5OnMainRule = {
  meta: {
    type: 'problem',
    docs: { description: 'No h5wasm on the main thread: HDF5 runs in worker threads the main process owns' },
    schema: [],
  },
  create(context) {
    const fromRel = repoPath(context.filename)
    if (layerOf(fromRel) !== 'src-main' || MAIN_MAY_USE_HDF5.includes(fromRel)) return {}
    const why = 'HDF5 runs in worker threads (pool tasks in src-worker/tasks, the sensor reader thread, the archive threads), never on the main thread, where a slow or hung file share would freeze every window'
    const check = (node, sourceNode) => {
      if (!sourceNode || sourceNode.type !== 'Literal' || typeof sourceNode.value !== 'string' || isTypeOnly(node)) return
      const source = sourceNode.value
      let problem = null
      if (isH5wasm(source)) problem = `'${source}' in src-main: ${why}`
      else if (source.startsWith('.')) {
        const target = importedFile(context.filename, source)
        if (MAIN_MAY_USE_HDF5.includes(target)) {
          context.report({ node: sourceNode, message: `${target} is the archive codec: ${why}; read and write archives through src-main/archive (archive threads)` })
          return
        }
        if (layerOf(target) !== 'src-worker') return
        const chain = isHdf5Module(target) ? [target] : hdf5Chain(sourceFile(fromRel, source) ?? target)
        if (chain) problem = `${chain.join(' -> ')} loads HDF5 on the main thread: ${why}; import its types only, or run it as a task`
      }
      if (problem) context.report({ node: sourceNode, message: problem })
    }
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node, node.arguments[0])
      },
    }
  },
}

const FS_MODULES = new Set(['fs', 'node:fs'])

const noSyncFsRule = {
  meta: {
    type: 'problem',
    docs: { description: 'No synchronous fs calls in main-process code that runs while the user works' },
    schema: [],
  },
  create(context) {
    const rel = repoPath(context.filename)
    if (!NO_SYNC_FS_FOLDERS.some((f) => rel.startsWith(f))) return {}
    const message = (name) => `${name}() blocks the main process (the window and the web host freeze meanwhile); use node:fs/promises`
    const syncFunctions = new Map() // local name -> fs name
    const namespaces = new Set()
    return {
      ImportDeclaration(node) {
        if (!FS_MODULES.has(node.source.value)) return
        for (const s of node.specifiers) {
          if (s.type === 'ImportSpecifier' && s.imported.name?.endsWith('Sync')) syncFunctions.set(s.local.name, s.imported.name)
          else if (s.type !== 'ImportSpecifier') namespaces.add(s.local.name)
        }
      },
      CallExpression(node) {
        const callee = node.callee
        if (callee.type === 'Identifier' && syncFunctions.has(callee.name)) context.report({ node, message: message(syncFunctions.get(callee.name)) })
        if (
          callee.type === 'MemberExpression' &&
          callee.object.type === 'Identifier' &&
          namespaces.has(callee.object.name) &&
          callee.property.type === 'Identifier' &&
          callee.property.name.endsWith('Sync')
        ) {
          context.report({ node, message: message(`${callee.object.name}.${callee.property.name}`) })
        }
      },
    }
  },
}

export default {
  meta: { name: 'layers' },
  rules: { imports: importsRule, 'no-sync-fs': noSyncFsRule, 'no-hdf5-on-main': noHdf5OnMainRule },
}
