// Step plugins on real recordings: the bundled burst statistics in JavaScript and in Python agree to the
// last digit on the demo recording, and `batch --plugins DIR` runs a recipe that mixes built-in,
// JavaScript and Python steps (bundled and from the folder), with results saved and read back.

import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readArchive } from '../../src-main/archive'
import { ensureDemoRecording } from '../../src-main/demoSet'
import { discoverPlugins } from '../../src-main/plugins/discovery'
import { createTaskPool, type TaskPool } from '../../src-main/pool/taskPool'
import { PipelineSession, createSession } from '../../src-main/session/session'
import { type StepDefinition, runStep } from '../../src-main/steps/framework'
import { STEPS } from '../../src-main/steps/index'
import { type GroupNode, type NumericNode, deleteNode, getGroup, getNode } from '../../src-shared/tree'
import { generateBatchRecordings } from './batchFixtures'

const PYTHON = '/usr/bin/python3'
const CLI = resolve('out/main/cli.js')
const root = mkdtempSync(join(tmpdir(), 'plugins-demo-'))
const temp = join(root, 'tmp')
let pool: TaskPool
let steps: StepDefinition[]

beforeAll(async () => {
  pool = createTaskPool({ threads: 2 })
  mkdirSync(temp)
  steps = (await discoverPlugins([resolve('resources/plugins')], STEPS, { python: () => PYTHON, tempDir: () => temp })).steps
})
afterAll(async () => {
  await pool?.destroy()
  rmSync(root, { recursive: true, force: true })
})

const KEYS = ['burst_count', 'spikes_in_bursts', 'burst_rate', 'burst_threshold_ms'] as const

/** unit -> key -> [dtype, value] of every unit's burst_statistics/data. */
function burstTable(units: GroupNode): Map<string, Record<string, [string, number]>> {
  const out = new Map<string, Record<string, [string, number]>>()
  for (const id of units.children.keys()) {
    const row: Record<string, [string, number]> = {}
    for (const k of KEYS) {
      const n = getNode(units, `${id}/features/burst_statistics/data/${k}`) as NumericNode | undefined
      if (!n) throw new Error(`${id} has no burst_statistics/data/${k}`)
      row[k] = [n.dtype, Number(n.data[0])]
    }
    out.set(id, row)
  }
  return out
}

describe('the bundled burst statistics on the demo recording', () => {
  it('JavaScript and Python give the same numbers, bit for bit, for two parameter sets', async () => {
    const demo = await ensureDemoRecording(join(root, 'demo'))
    const session = createSession({ cmcrPath: demo.cmcrPath, cmtrPath: demo.cmtrPath, outputDir: root })
    await runStep(STEPS.find((s) => s.id === 'load_recording')!, session, { cmcr_path: demo.cmcrPath, cmtr_path: demo.cmtrPath }, { pool })
    const js = steps.find((s) => s.id === 'compute_burst_statistics')!
    const py = steps.find((s) => s.id === 'compute_burst_statistics_py')!
    for (const params of [{}, { burst_threshold_ms: 37.5, min_spikes_per_burst: 2 }]) {
      await runStep(js, session, params, { pool })
      const fromJs = burstTable(session.units)
      for (const id of session.unitIds()) deleteNode(session.units, `${id}/features/burst_statistics`)
      await runStep(py, session, params, { pool })
      const fromPy = burstTable(session.units)
      expect(fromPy).toEqual(fromJs)
      for (const [id, row] of fromJs) for (const k of KEYS) expect(Object.is(row[k][1], fromPy.get(id)![k][1]), `${id} ${k}`).toBe(true)
      // Not a trivial agreement: the demo's units do burst.
      const bursts = [...fromJs.values()].reduce((a, r) => a + r.burst_count[1], 0)
      expect(bursts).toBeGreaterThan(10)
      expect([...fromJs.values()].some((r) => r.burst_rate[1] % 1 !== 0)).toBe(true)
    }
    expect(readdirSync(temp)).toEqual([])
  })
})

describe('batch --plugins DIR with a recipe naming plugin steps', () => {
  it('runs built-in, JavaScript and Python steps on every recording and saves their results in the archives', async () => {
    const recordings = join(root, 'recordings')
    await generateBatchRecordings(recordings, ['rec_a', 'rec_b'])
    const plugins = join(root, 'my-plugins')
    mkdirSync(join(plugins, 'mark_stimulus'), { recursive: true })
    writeFileSync(
      join(plugins, 'spike_count.mjs'),
      `export default {
  id: 'spike_count', title: 'Spike count', description: 'Spikes per unit.', prerequisites: ['load_recording'],
  params: [{ name: 'scale', type: 'number', default: 1, min: 0, help: 'multiplies the count' }],
  run(api, p) {
    for (const id of api.unitIds()) api.addFeature(id, 'spike_count', { n: api.int64(api.units.get(id + '/spike_times').length), scaled: api.units.get(id + '/spike_times').length * p.scale })
    return api.unitIds().length + ' units counted'
  },
}
`,
    )
    writeFileSync(
      join(plugins, 'mark_stimulus', 'step.json'),
      JSON.stringify({ id: 'mark_stimulus', title: 'Mark stimulus', command: ['{python}', 'mark.py'], prerequisites: ['spike_count'], params: [{ name: 'label', type: 'string', default: 'none' }] }),
    )
    writeFileSync(
      join(plugins, 'mark_stimulus', 'mark.py'),
      `import argparse, json
import h5py, numpy as np
ap = argparse.ArgumentParser(); ap.add_argument("--archive"); ap.add_argument("--params"); a = ap.parse_args()
p = json.load(open(a.params))
with h5py.File(a.archive, "r+") as f:
    f.require_group("stimulus").create_dataset("marks", data=np.arange(4, dtype=np.int32))
    f["metadata"].create_dataset("mark_label", data=p["label"])
`,
    )
    const recipe = join(root, 'recipe.json')
    writeFileSync(
      recipe,
      JSON.stringify({
        name: 'mixed',
        steps: [
          'load_recording',
          { step: 'spike_count', params: { scale: 0.5 } },
          { step: 'mark_stimulus', params: { label: 'flash' } },
          { step: 'compute_burst_statistics', params: { burst_threshold_ms: 25 } },
          { step: 'compute_burst_statistics_py', params: { burst_threshold_ms: 25 } },
        ],
      }),
    )
    const out = join(root, 'out')
    const res = spawnSync(process.execPath, [CLI, 'batch', recordings, '--recipe', recipe, '--out', out, '--plugins', plugins, '--python', PYTHON, '--workers', '1'], {
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, TMPDIR: temp },
    })
    expect(res.stderr).not.toMatch(/refused/)
    expect(res.status, res.stdout + res.stderr).toBe(0)
    expect(res.stdout).toContain('load_recording > spike_count > mark_stimulus > compute_burst_statistics > compute_burst_statistics_py')
    for (const id of ['rec_a', 'rec_b']) {
      const archive = await readArchive(join(out, `${id}.h5`))
      expect(archive.completedSteps).toEqual(expect.arrayContaining(['load_recording', 'spike_count', 'mark_stimulus', 'compute_burst_statistics', 'compute_burst_statistics_py']))
      const units = [...archive.units.children.keys()]
      expect(units.length).toBeGreaterThan(0)
      for (const u of units) {
        const n = (getNode(archive.units, `${u}/spike_times`) as NumericNode).data.length
        expect(getNode(archive.units, `${u}/features/spike_count/data/n`)).toMatchObject({ dtype: 'int64', data: Float64Array.of(n) })
        expect(getNode(archive.units, `${u}/features/spike_count/data/scaled`)).toMatchObject({ dtype: 'float64', data: Float64Array.of(n * 0.5) })
      }
      expect(getNode(archive.stimulus, 'marks')).toMatchObject({ dtype: 'int32', data: Int32Array.of(0, 1, 2, 3) })
      expect(getNode(archive.metadata, 'mark_label')).toMatchObject({ kind: 'string', data: ['flash'] })
      const bursts = burstTable(archive.units)
      for (const row of bursts.values()) expect(row.burst_threshold_ms).toEqual(['float64', 25])
      // Resumed like any other archive: the plugin results are in the session.
      const resumed = await PipelineSession.load(join(out, `${id}.h5`))
      expect(getGroup(resumed.units, `${units[0]}/features/burst_statistics`)).toBeDefined()
      expect(resumed.completedSteps.has('compute_burst_statistics_py')).toBe(true)
    }
    expect(readdirSync(temp).filter((f) => f.startsWith('hdmea-plugin-'))).toEqual([])
  })
})

describe('demo --plugins DIR', () => {
  it('runs the Quick Start, then the steps of the given folder (not the bundled ones), and saves their results', async () => {
    const plugins = join(root, 'demo-plugins')
    mkdirSync(plugins)
    writeFileSync(
      join(plugins, 'unit_total.mjs'),
      `export default { id: 'unit_total', title: 'Units', prerequisites: ['load_recording'], run(api) { api.addMetadata('unit_total', api.int64(api.unitIds().length)); return api.unitIds().length + ' units' } }\n`,
    )
    const out = join(root, 'demo-out')
    const res = spawnSync(process.execPath, [CLI, 'demo', '--out', out, '--plugins', plugins, '--python', PYTHON], { encoding: 'utf8', timeout: 600_000 })
    expect(res.status, res.stdout + res.stderr).toBe(0)
    expect(res.stdout).toMatch(/unit_total\s+[\d.]+\s+12 units/)
    expect(res.stdout).not.toContain('compute_burst_statistics')
    const archive = await readArchive(join(out, 'synthetic_demo.h5'))
    expect(getNode(archive.metadata, 'unit_total')).toMatchObject({ dtype: 'int64', data: Float64Array.of(archive.units.children.size) })
    expect(archive.completedSteps).toContain('unit_total')
  })
})
