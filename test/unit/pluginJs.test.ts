// JavaScript step plugins: the API they see (read-only views, collected writes, warnings, progress,
// cancel), committed only when the run succeeds.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadJsStep } from '../../src-main/plugins/jsStep'
import { runStep } from '../../src-main/steps/framework'
import { CancelledError } from '../../src-shared/errors'
import { getNode } from '../../src-shared/tree'
import { noPool, sessionWith, writeJsPlugin } from './pluginFixtures'

const dir = mkdtempSync(join(tmpdir(), 'plugin-js-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const plugin = (name: string, run: string, extra = '') =>
  writeJsPlugin(dir, name, `export default { id: '${name}', title: '${name}', prerequisites: ['load_recording'], ${extra}\n run: ${run} }\n`)

describe('JavaScript step plugins', () => {
  it('reads copies, writes typed values to features, metadata and stimulus, all at commit', async () => {
    const step = await loadJsStep(
      plugin(
        'writer',
        `async (api, p) => {
          const t = api.units.get('unit_001/spike_times')
          t[0] = 999 // a copy: the session keeps its own
          api.addFeature('unit_001', 'summary', { n: api.int64(t.length), mean: t.reduce((a, b) => a + b) / t.length, tags: ['a', 'b'], ok: true }, { version: '1' })
          api.addMetadata('plugin/rate_twice', api.metadata.get('acquisition_rate') * 2)
          api.addStimulus('marks/onsets', api.uint64([10, 20, 30]))
          api.addStimulus('marks/grid', [[1, 2, 3], [4, 5, 6]])
          api.addMetadata('plugin/f32', new Float32Array([0.5, 1.5]))
          api.warn('just saying')
          return { summary: 'wrote ' + api.unitIds().join(',') + ' ' + api.units.dtype('unit_001/spike_times') + ' ' + api.units.attrs('unit_001').row }
        }`,
      ),
    )
    const s = sessionWith({ unit_001: [1, 2, 3] })
    const report = await runStep(step, s, {}, { pool: noPool })
    expect(report.summary).toBe('wrote unit_001 uint64 3')
    expect(report.warnings).toEqual(['just saying'])
    expect(Array.from((getNode(s.units, 'unit_001/spike_times') as { data: Float64Array }).data)).toEqual([1, 2, 3])
    expect(getNode(s.units, 'unit_001/features/summary/data/n')).toMatchObject({ kind: 'numeric', dtype: 'int64', shape: [] })
    expect(getNode(s.units, 'unit_001/features/summary/data/mean')).toMatchObject({ dtype: 'float64', data: Float64Array.of((999 + 2 + 3) / 3) }) // the plugin's own copy, changed
    expect(getNode(s.units, 'unit_001/features/summary/data/tags')).toMatchObject({ kind: 'string', data: ['a', 'b'] })
    expect(getNode(s.units, 'unit_001/features/summary/data/ok')).toMatchObject({ kind: 'bool', data: Uint8Array.of(1) })
    expect(getNode(s.units, 'unit_001/features/summary/metadata/version')).toMatchObject({ kind: 'string', data: ['1'] })
    expect(getNode(s.metadata, 'plugin/rate_twice')).toMatchObject({ dtype: 'float64', data: Float64Array.of(40_000) })
    expect(getNode(s.metadata, 'plugin/f32')).toMatchObject({ dtype: 'float32', shape: [2] })
    expect(getNode(s.stimulus, 'marks/onsets')).toMatchObject({ dtype: 'uint64', data: Float64Array.of(10, 20, 30) })
    expect(getNode(s.stimulus, 'marks/grid')).toMatchObject({ dtype: 'float64', shape: [2, 3], data: Float64Array.of(1, 2, 3, 4, 5, 6) })
    expect(s.completedSteps.has('writer')).toBe(true)
  })

  it('a throwing plugin leaves the session unchanged and the error names the plugin file', async () => {
    const file = plugin('thrower', `(api) => { api.addMetadata('x', 1); throw new Error('bad input') }`)
    const step = await loadJsStep(file)
    const s = sessionWith({ unit_001: [1] })
    await expect(runStep(step, s, {}, { pool: noPool })).rejects.toThrow(`thrower (${file}) failed: bad input`)
    expect(getNode(s.metadata, 'x')).toBeUndefined()
    expect(s.completedSteps.has('thrower')).toBe(false)
  })

  it('refuses bad writes at the call: unknown unit, unstorable value, a dataset in the way', async () => {
    const s = sessionWith({ unit_001: [1] })
    const cases: Array<[string, RegExp]> = [
      [`(api) => api.addFeature('unit_404', 'f', 1)`, /Unit unit_404 not found in session/],
      [`(api) => api.addMetadata('y', { a: null })`, /addMetadata\('y'\)\/a: cannot store null/],
      [`(api) => api.addMetadata('acquisition_rate/x', 1)`, /'acquisition_rate' is a dataset, not a group/],
      [`(api) => api.addStimulus('', 1)`, /an empty path/],
    ]
    for (const [i, [run, message]] of cases.entries()) {
      const step = await loadJsStep(plugin(`bad_write_${i}`, run))
      await expect(runStep(step, s, {}, { pool: noPool })).rejects.toThrow(message)
    }
  })

  it('Cancel: progress() and yieldToApp() end the run, nothing is committed', async () => {
    const step = await loadJsStep(
      plugin('long', `async (api) => { for (let i = 0; ; i++) { api.addMetadata('n' + i, i); api.progress(i / 1e9, 'unit ' + i); await api.yieldToApp() } }`),
    )
    const s = sessionWith({ unit_001: [1] })
    const controller = new AbortController()
    const err = await runStep(step, s, {}, { pool: noPool, signal: controller.signal, onProgress: (p) => p.message === 'unit 5' && controller.abort() }).catch((e) => e)
    expect(err).toBeInstanceOf(CancelledError)
    expect(err.message).toBe('long cancelled; the session is unchanged')
    expect(getNode(s.metadata, 'n0')).toBeUndefined()
  })

  it('parameters are validated like built-in ones and a plugin validate() can refuse a combination', async () => {
    const step = await loadJsStep(
      plugin(
        'ranged',
        `(api, p) => 'from ' + p.lo + ' to ' + p.hi`,
        `params: [{ name: 'lo', type: 'number', default: 0 }, { name: 'hi', type: 'number', default: 1, max: 10 }],
         validate: (p) => (p.lo >= p.hi ? 'lo must be below hi' : null),`,
      ),
    )
    const s = sessionWith({ unit_001: [1] })
    await expect(runStep(step, s, { hi: 11 }, { pool: noPool })).rejects.toThrow("ranged: parameter 'hi' must be <= 10 (got 11)")
    await expect(runStep(step, s, { lo: 5, hi: 2 }, { pool: noPool })).rejects.toThrow('ranged: lo must be below hi')
    expect((await runStep(step, s, { lo: '0.5' }, { pool: noPool })).summary).toBe('from 0.5 to 1')
  })

  it('a module whose top-level code never finishes is reported instead of holding up discovery', async () => {
    const file = writeJsPlugin(dir, 'hangs', `await new Promise(() => {})\nexport default { id: 'hangs', title: 'H', run() {} }\n`)
    await expect(loadJsStep(file, { importTimeoutMs: 300 })).rejects.toThrow(`${file}: did not finish loading within 0.3 s (top-level code that never ends?)`)
  })
})
