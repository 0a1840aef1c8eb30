// Finds the step plugins in the plugin folders: every `<name>.mjs` file (JavaScript) and every subfolder
// holding step.json (Python). Each is loaded and checked on its own, so a broken one is reported with its
// error and never hides the others. An id already taken by a built-in step or by a plugin found earlier
// (folders in list order, names in alphabetical order) is refused, naming both places.

import { readdir, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import type { PluginInfo, PluginReport } from '../../src-shared/contract'
import type { StepDefinition } from '../steps/framework'
import { loadJsStep } from './jsStep'
import { type PythonRuntime, STEP_MANIFEST, loadPythonStep } from './pythonStep'

export interface Discovered {
  report: PluginReport
  /** The plugin steps that loaded and were accepted, in discovery order. */
  steps: StepDefinition[]
}

interface Candidate {
  kind: PluginInfo['kind']
  location: string
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  )
}

async function candidatesIn(folder: string): Promise<Candidate[]> {
  const entries = await readdir(folder, { withFileTypes: true })
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const out: Candidate[] = []
  for (const e of entries) {
    const path = join(folder, e.name)
    if (e.name.startsWith('.')) continue
    if (e.name.endsWith('.mjs') && (e.isFile() || e.isSymbolicLink())) out.push({ kind: 'javascript', location: path })
    else if ((e.isDirectory() || e.isSymbolicLink()) && (await stat(join(path, STEP_MANIFEST)).then(() => true, () => false))) {
      out.push({ kind: 'python', location: path })
    }
  }
  return out
}

export async function discoverPlugins(folders: string[], builtIns: readonly StepDefinition[], runtime: PythonRuntime): Promise<Discovered> {
  const unique = [...new Set(folders.map((f) => resolve(f)))]
  const taken = new Map<string, string>(builtIns.map((s) => [s.id, 'a built-in step of the workbench']))
  const plugins: PluginInfo[] = []
  const steps: StepDefinition[] = []
  const folderInfo: PluginReport['folders'] = []
  for (const folder of unique) {
    if (!(await isDir(folder))) {
      folderInfo.push({ path: folder, exists: false })
      continue
    }
    folderInfo.push({ path: folder, exists: true })
    let candidates: Candidate[]
    try {
      candidates = await candidatesIn(folder)
    } catch (err) {
      plugins.push({ id: null, kind: 'javascript', location: folder, status: 'error', error: `${folder}: cannot be listed: ${(err as Error).message}` })
      continue
    }
    for (const c of candidates) {
      try {
        const def = c.kind === 'javascript' ? await loadJsStep(c.location) : await loadPythonStep(c.location, runtime)
        const holder = taken.get(def.id)
        if (holder) {
          plugins.push({
            id: def.id,
            kind: c.kind,
            location: c.location,
            title: def.title,
            status: 'error',
            error: `step id '${def.id}' of ${c.location} is already taken by ${holder}; rename one of them`,
          })
          continue
        }
        taken.set(def.id, `the plugin ${c.location}`)
        steps.push(def)
        plugins.push({ id: def.id, kind: c.kind, location: c.location, title: def.title, status: 'loaded' })
      } catch (err) {
        plugins.push({
          id: null,
          kind: c.kind,
          location: c.location,
          status: 'error',
          error: (err as Error)?.message ?? String(err),
          title: basename(c.location),
        })
      }
    }
  }
  return { report: { folders: folderInfo, plugins, loadedAt: new Date().toISOString() }, steps }
}
