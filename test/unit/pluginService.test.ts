// The workbench service with step plugins: plugin steps join the step list and the step table, Reload
// and a change of the plugin folders rediscover them, and a browser page cannot change the folders or
// the interpreter (both decide what code runs).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { JobFinished, PluginReport, SessionSnapshot, Settings, StepInfo } from '../../src-shared/contract'
import type { StepDefinition } from '../../src-main/steps/framework'
import { group, u64 } from '../../src-shared/tree'
import { WorkbenchService } from '../../src-main/workbench/service'
import { noPool, writeJsPlugin } from './pluginFixtures'

let dir: string
let services: WorkbenchService[] = []
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'plugin-service-'))
})
afterEach(async () => {
  for (const s of services) await s.close()
  services = []
  rmSync(dir, { recursive: true, force: true })
})

const fakeLoader: StepDefinition = {
  id: 'load_recording',
  title: 'Load',
  description: 'two units',
  params: [],
  prerequisites: [],
  async run() {
    return { summary: '2 units', apply: (s) => s.addUnits({ unit_1: group({ spike_times: u64([1, 5]) }), unit_2: group({ spike_times: u64([2]) }) }) }
  },
}

const step = (id: string) => `export default { id: '${id}', title: 'T ${id}', prerequisites: ['load_recording'], params: [{ name: 'k', type: 'integer', default: 2, min: 0, help: 'a count' }], run() { return 'ok' } }\n`

function service(transport: 'web' | 'electron', folders: string[], extra: { folders?: string[]; python?: string } = {}): WorkbenchService {
  const s = new WorkbenchService({ transport, workdir: join(dir, 'work'), createPool: () => noPool, plugins: { defaultFolders: folders, ...extra } })
  services.push(s)
  return s
}

describe('plugins in the workbench service', () => {
  it('plugin steps follow the built-in ones in steps.list, with their parameters; Reload picks up new files', async () => {
    const a = join(dir, 'a')
    writeJsPlugin(a, 'one', step('plugin_one'))
    const s = service('electron', [a])
    const steps = (await s.dispatch('steps.list', {})) as StepInfo[]
    const one = steps.find((x) => x.id === 'plugin_one')!
    expect(steps.at(-1)).toBe(one)
    expect(one).toMatchObject({ title: 'T plugin_one', prerequisites: [['load_recording', 'load_recording_with_eimage_sta']] })
    expect(one.params).toEqual([expect.objectContaining({ name: 'k', type: 'integer', default: 2, min: 0, help: 'a count', label: 'k' })])
    writeJsPlugin(a, 'two', step('plugin_two'))
    const report = (await s.dispatch('plugins.reload', {})) as PluginReport
    expect(report.plugins.map((p) => p.id)).toEqual(['plugin_one', 'plugin_two'])
    expect(((await s.dispatch('steps.list', {})) as StepInfo[]).map((x) => x.id)).toContain('plugin_two')
  })

  it('the step table of a session covers plugin steps: blocked until a loader ran, then ready, then done', async () => {
    const a = join(dir, 'a')
    writeJsPlugin(a, 'one', step('plugin_one'))
    const s = new WorkbenchService({ transport: 'electron', workdir: join(dir, 'work'), createPool: () => noPool, steps: [fakeLoader], plugins: { defaultFolders: [a] } })
    services.push(s)
    const finished = (id: string) =>
      new Promise<JobFinished>((resolve) => s.onEvent((name, payload) => name === 'job.finished' && (payload as JobFinished).stepId === id && resolve(payload as JobFinished)))
    mkdirSync(join(dir, 'rec'))
    writeFileSync(join(dir, 'rec', 'x.cmtr'), 'x')
    await s.dispatch('session.open', { cmtrPath: join(dir, 'rec', 'x.cmtr') })
    const state = async () => ((await s.dispatch('session.get', {})) as SessionSnapshot).steps.find((x) => x.id === 'plugin_one')
    expect(await state()).toMatchObject({ state: 'blocked', missing: [['load_recording', 'load_recording_with_eimage_sta']] })
    let done = finished('load_recording')
    await s.dispatch('step.run', { stepId: 'load_recording', params: {} })
    expect((await done).status).toBe('done')
    expect(await state()).toMatchObject({ state: 'ready', missing: [] })
    done = finished('plugin_one')
    await s.dispatch('step.run', { stepId: 'plugin_one', params: { k: 3 } })
    expect(await done).toMatchObject({ status: 'done', summary: 'ok' })
    expect(await state()).toMatchObject({ state: 'done' })
  })

  it('changing the plugin folders in Settings rediscovers at once (desktop)', async () => {
    const a = join(dir, 'a')
    const b = join(dir, 'b')
    writeJsPlugin(b, 'late', step('from_b'))
    const s = service('electron', [a])
    expect(((await s.dispatch('steps.list', {})) as StepInfo[]).some((x) => x.id === 'from_b')).toBe(false)
    const settings = (await s.dispatch('settings.set', { pluginFolders: [a, b], python: '/usr/bin/python3' })) as Settings
    expect(settings).toMatchObject({ pluginFolders: [a, b], python: '/usr/bin/python3' })
    expect(((await s.dispatch('steps.list', {})) as StepInfo[]).some((x) => x.id === 'from_b')).toBe(true)
    expect(((await s.dispatch('plugins.list', {})) as PluginReport).folders).toEqual([
      { path: a, exists: false },
      { path: b, exists: true },
    ])
  })

  it('browser mode: folders and interpreter are those of the start; the page cannot change them', async () => {
    const a = join(dir, 'a')
    const s = service('web', [join(dir, 'default')], { folders: [a], python: '/usr/bin/python3' })
    expect(await s.dispatch('settings.get', {})).toMatchObject({ pluginFolders: [a], python: '/usr/bin/python3' })
    await expect(s.dispatch('settings.set', { pluginFolders: [join(dir, 'elsewhere')] })).rejects.toMatchObject({ code: 'FORBIDDEN', parameter: 'pluginFolders' })
    await expect(s.dispatch('settings.set', { python: '/bin/sh' })).rejects.toMatchObject({ code: 'FORBIDDEN', parameter: 'python' })
    // Sending the values unchanged (the whole settings form) is fine.
    await expect(s.dispatch('settings.set', { pluginFolders: [a], python: '/usr/bin/python3', memoryWarningGb: 4 })).resolves.toMatchObject({ memoryWarningGb: 4 })
    // A later start without --plugins goes back to the defaults, not to what an earlier start fixed.
    await s.close()
    const again = service('web', [join(dir, 'default')])
    expect(await again.dispatch('settings.get', {})).toMatchObject({ pluginFolders: [join(dir, 'default')], python: 'python3' })
  })
})
