// Plugin discovery and validation: good plugins load, broken ones are listed with their error and never
// hide the others, ids taken by a built-in step or an earlier plugin are refused naming both places.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { discoverPlugins } from '../../src-main/plugins/discovery'
import { PluginHost } from '../../src-main/plugins/pluginHost'
import { STEPS } from '../../src-main/steps/index'
import { PYTHON, writeJsPlugin, writePythonPlugin } from './pluginFixtures'

const root = mkdtempSync(join(tmpdir(), 'plugins-discovery-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const runtime = { python: () => PYTHON }

const goodJs = (id: string) => `export default {
  id: '${id}', title: 'Good ${id}', description: 'x',
  params: [{ name: 'gain', type: 'number', default: 2, min: 0 }],
  prerequisites: ['load_recording'],
  run(api, p) { return 'ok' },
}\n`
const goodPy = (id: string) => ({ id, title: `Py ${id}`, command: ['{python}', 'step.py'], params: [{ name: 'n', type: 'integer', default: 1, min: 0 }] })

describe('plugin discovery', () => {
  const a = join(root, 'a')
  const b = join(root, 'b')
  writeJsPlugin(a, 'good_one', goodJs('good_one'))
  writePythonPlugin(a, 'py_good', goodPy('py_good'), 'print("hi")\n')
  writeJsPlugin(a, 'syntax_error', 'export default { id: "x", \n')
  writeJsPlugin(a, 'no_run', `export default { id: 'no_run', title: 'No run', params: [] }\n`)
  writeJsPlugin(a, 'typo_key', `export default { id: 'typo_key', title: 'T', prerequisite: ['load_recording'], run() {} }\n`)
  writeJsPlugin(a, 'bad_default', `export default { id: 'bad_default', title: 'T', params: [{ name: 'k', type: 'integer', default: 1.5 }], run() {} }\n`)
  writeJsPlugin(a, 'builtin_clash', goodJs('load_recording'))
  writePythonPlugin(a, 'py_bad_json', '{ "id": "py_bad_json", ', '')
  writePythonPlugin(a, 'py_no_command', { id: 'py_no_command', title: 'T' }, '')
  writeFileSync(join(a, 'README.md'), 'not a plugin')
  writeJsPlugin(b, 'clash', goodJs('good_one'))
  writePythonPlugin(b, 'py_clash', goodPy('py_good'), '')
  writeJsPlugin(b, 'other', goodJs('other_step'))

  it('loads the good plugins of every folder and lists every broken one with its reason', async () => {
    const { report, steps } = await discoverPlugins([a, b, join(root, 'missing')], STEPS, runtime)
    expect(steps.map((s) => s.id)).toEqual(['good_one', 'other_step', 'py_good'].sort((x, y) => order(x) - order(y)))
    const byFile = new Map(report.plugins.map((p) => [p.location.slice(root.length + 1), p]))
    expect(byFile.get('a/good_one.mjs')).toMatchObject({ status: 'loaded', id: 'good_one', kind: 'javascript', title: 'Good good_one' })
    expect(byFile.get('a/py_good')).toMatchObject({ status: 'loaded', id: 'py_good', kind: 'python' })
    expect(byFile.get('a/syntax_error.mjs')).toMatchObject({ status: 'error', id: null })
    expect(byFile.get('a/syntax_error.mjs')!.error).toContain(join(a, 'syntax_error.mjs'))
    expect(byFile.get('a/no_run.mjs')!.error).toBe(`${join(a, 'no_run.mjs')}: run: must be a function`)
    expect(byFile.get('a/typo_key.mjs')!.error).toMatch(/Unrecognized key: "prerequisite"/)
    expect(byFile.get('a/bad_default.mjs')!.error).toMatch(/the default of 'k' is invalid: .*whole number/)
    expect(byFile.get('a/py_bad_json')!.error).toMatch(new RegExp(`${escape(join(a, 'py_bad_json', 'step.json'))}: invalid JSON`))
    expect(byFile.get('a/py_no_command')!.error).toMatch(/command: /)
    expect(byFile.has('a/README.md')).toBe(false)
    expect(report.folders).toEqual([
      { path: a, exists: true },
      { path: b, exists: true },
      { path: join(root, 'missing'), exists: false },
    ])
  })

  it('refuses an id taken by a built-in step or an earlier plugin, naming both places', async () => {
    const { report } = await discoverPlugins([a, b], STEPS, runtime)
    const clash = report.plugins.find((p) => p.location === join(a, 'builtin_clash.mjs'))!
    expect(clash.status).toBe('error')
    expect(clash.error).toBe(`step id 'load_recording' of ${join(a, 'builtin_clash.mjs')} is already taken by a built-in step of the workbench; rename one of them`)
    const js = report.plugins.find((p) => p.location === join(b, 'clash.mjs'))!
    expect(js.error).toBe(`step id 'good_one' of ${join(b, 'clash.mjs')} is already taken by the plugin ${join(a, 'good_one.mjs')}; rename one of them`)
    const py = report.plugins.find((p) => p.location === join(b, 'py_clash'))!
    expect(py.error).toBe(`step id 'py_good' of ${join(b, 'py_clash')} is already taken by the plugin ${join(a, 'py_good')}; rename one of them`)
  })

  it('host: built-ins first, plugins after, the same array updated in place on reload; errors go to the log', async () => {
    const folders = [a]
    const log: string[] = []
    const host = new PluginHost({ builtIns: STEPS, folders: () => folders, runtime, log: (level, m) => log.push(`${level}: ${m}`) })
    const list = host.steps
    await host.reload()
    expect(list.slice(0, STEPS.length)).toEqual(STEPS)
    expect(list.slice(STEPS.length).map((s) => s.id)).toEqual(['good_one', 'py_good'])
    expect(log.filter((l) => l.startsWith('error: Plugin refused: ')).length).toBe(7)
    expect(log).toContain(`error: Plugin refused: ${join(a, 'no_run.mjs')}: run: must be a function`)
    expect(log.at(-1)).toBe('warn: Plugins: 2 loaded (good_one, py_good), 7 with errors (see Settings) from 1 folder(s)')
    // A plugin edited on disk is seen on reload (the module is imported afresh).
    writeJsPlugin(b, 'other', goodJs('other_step').replace("'Good other_step'", "'Renamed'"))
    folders.push(b)
    await host.reload()
    expect(host.steps).toBe(list)
    expect(list.find((s) => s.id === 'other_step')?.title).toBe('Renamed')
  })

  it('the bundled plugins load: the burst statistics in JavaScript and in Python', async () => {
    const { report, steps } = await discoverPlugins([join(import.meta.dirname, '../../resources/plugins')], STEPS, runtime)
    expect(report.plugins.filter((p) => p.status === 'error')).toEqual([])
    expect(steps.map((s) => s.id)).toEqual(['compute_burst_statistics', 'compute_burst_statistics_py'])
    for (const s of steps) {
      expect(s.params.map((p) => [p.name, p.type, p.default])).toEqual([
        ['burst_threshold_ms', 'number', 10.0],
        ['min_spikes_per_burst', 'integer', 3],
      ])
      // load_recording as a prerequisite is met by either loader.
      expect(s.prerequisites).toEqual([['load_recording', 'load_recording_with_eimage_sta']])
    }
  })
})

// Discovery order: folder a's entries alphabetically (good_one.mjs, py_good), then b's (other.mjs).
function order(id: string): number {
  return ['good_one', 'py_good', 'other_step'].indexOf(id)
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
