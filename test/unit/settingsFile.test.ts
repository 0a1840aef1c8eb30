// settings.json read back through its schema: a damaged or hand-edited part falls back to its default,
// with a message naming the file and the field; the valid parts are kept.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SettingsStore } from '../../src-main/workbench/settings'

let dir: string
let file: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wb-settings-file-'))
  file = join(dir, 'settings.json')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('settings.json', () => {
  it('keeps valid fields and replaces invalid ones by their defaults, naming file and field', () => {
    writeFileSync(
      file,
      JSON.stringify({
        settings: { memoryWarningGb: 'lots', outputDir: '/data/out', python: '' },
        recentRecordings: [{ cmcrPath: '/r/a.cmcr', cmtrPath: null, datasetId: 7, openedAt: 'x' }],
        recentArchives: [{ path: '/a.h5', datasetId: 'a', kind: 'save', at: 't' }],
      }),
    )
    const s = new SettingsStore(file, '/work', { python: 'python3' })
    expect(s.settings.memoryWarningGb).toBe(8)
    expect(s.settings.outputDir).toBe('/data/out')
    expect(s.settings.python).toBe('python3')
    expect(s.state.recentRecordings).toEqual([])
    expect(s.state.recentArchives).toEqual([{ path: '/a.h5', datasetId: 'a', kind: 'save', at: 't' }])
    expect(s.problems).toEqual([
      `${file}: 'settings.memoryWarningGb' must be a number (got "lots"); the default is used`,
      `${file}: 'settings.python' must not be empty (got ""); the default is used`,
      `${file}: 'recentRecordings[0].datasetId' must be a text (got 7); the default is used`,
    ])
  })

  it('says when the file is not JSON, and says nothing when there is no file yet', () => {
    expect(new SettingsStore(file, '/work').problems).toEqual([])
    writeFileSync(file, '{ not json')
    const [problem] = new SettingsStore(file, '/work').problems
    expect(problem).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON \\(.+\\); using the default settings$`))
  })
})
