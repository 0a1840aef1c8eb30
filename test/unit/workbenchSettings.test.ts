// The workbench's persistent state: defaults, validation, recent lists, remembered parameters.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SettingsStore } from '../../src-main/workbench/settings'

let dir: string
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'wb-settings-'))))
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('SettingsStore', () => {
  it('starts from the defaults, also over an unreadable file, and persists changes', async () => {
    const file = join(dir, 'settings.json')
    writeFileSync(file, '{ not json')
    const s = new SettingsStore(file, '/work')
    expect(s.settings).toEqual({ memoryWarningGb: 8, outputDir: '/work/artifacts', allowedFolders: ['/work'], pluginFolders: [], python: 'python3', workerThreads: 0 })
    s.update({ memoryWarningGb: 2.5 })
    await s.flush()
    expect(JSON.parse(readFileSync(file, 'utf8')).settings.memoryWarningGb).toBe(2.5)
    expect(new SettingsStore(file, '/work').settings.memoryWarningGb).toBe(2.5)
  })

  it('refuses bad values by parameter', () => {
    const s = new SettingsStore(join(dir, 's.json'), '/work')
    expect(() => s.update({ memoryWarningGb: 0 })).toThrow('memoryWarningGb must be a positive number (got 0)')
    expect(() => s.update({ outputDir: '  ' })).toThrow('outputDir must be a folder path')
    expect(() => s.update({ allowedFolders: [''] })).toThrow('allowedFolders must be a list of folder paths')
    expect(s.settings.memoryWarningGb).toBe(8)
  })

  it('keeps recent recordings newest first, without duplicates, at most 12', () => {
    const s = new SettingsStore(join(dir, 's.json'), '/work')
    for (let i = 0; i < 14; i++) s.addRecentRecording({ cmcrPath: `/r/${i}.cmcr`, cmtrPath: null, datasetId: `${i}`, openedAt: '' })
    s.addRecentRecording({ cmcrPath: '/r/5.cmcr', cmtrPath: null, datasetId: '5', openedAt: 'again' })
    const ids = s.state.recentRecordings.map((r) => r.datasetId)
    expect(ids).toEqual(['5', '13', '12', '11', '10', '9', '8', '7', '6', '4', '3', '2'])
  })

  it('remembers step parameters per dataset, forgetting the oldest dataset beyond 50', () => {
    const s = new SettingsStore(join(dir, 's.json'), '/work')
    for (let i = 0; i < 51; i++) s.rememberStepParams(`d${i}`, 'compute_sta', { cover_range: [-i, 0] })
    s.rememberStepParams('d1', 'add_section_time', { repeats: 2 })
    expect(s.stepParams('d0')).toEqual({})
    expect(s.stepParams('d1')).toEqual({ compute_sta: { cover_range: [-1, 0] }, add_section_time: { repeats: 2 } })
    expect(Object.keys(s.state.stepParams)).toHaveLength(50)
  })
})
