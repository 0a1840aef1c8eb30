// The examples of docs/plugins.md are real: the files it marks with `<!-- file: ... -->` are written out
// as they stand and run through `batch --plugins` with the page's recipe; the results are checked
// against values computed here from the archive's own spike times.

import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readArchive } from '../../src-main/archive'
import { type NumericNode, asNumber, getNode } from '../../src-shared/tree'
import { generateBatchRecordings } from './batchFixtures'

const CLI = resolve('out/main/cli.js')
const root = mkdtempSync(join(tmpdir(), 'plugins-docs-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** The fenced blocks that docs/plugins.md marks with `<!-- file: path -->`, by path. */
function docFiles(): Map<string, string> {
  const text = readFileSync(resolve('docs/plugins.md'), 'utf8')
  const files = new Map<string, string>()
  for (const m of text.matchAll(/<!-- file: (\S+) -->\n```[a-z]*\n([\s\S]*?)\n```/g)) files.set(m[1], `${m[2]}\n`)
  return files
}

describe('docs/plugins.md', () => {
  it('its JavaScript step, its Python step and its recipe run as written', async () => {
    const files = docFiles()
    expect([...files.keys()].sort()).toEqual(['my-plugins/isi_violations/isi.py', 'my-plugins/isi_violations/step.json', 'my-plugins/mean_rate.mjs', 'recipe.json'])
    for (const [path, body] of files) {
      mkdirSync(dirname(join(root, path)), { recursive: true })
      writeFileSync(join(root, path), body)
    }
    await generateBatchRecordings(join(root, 'recordings'), ['doc_a'])
    const temp = join(root, 'tmp')
    mkdirSync(temp)
    const res = spawnSync(
      process.execPath,
      [CLI, 'batch', join(root, 'recordings'), '--recipe', join(root, 'recipe.json'), '--out', join(root, 'out'), '--plugins', join(root, 'my-plugins'), '--python', '/usr/bin/python3', '--workers', '1'],
      { encoding: 'utf8', timeout: 300_000, env: { ...process.env, TMPDIR: temp } },
    )
    expect(res.status, res.stdout + res.stderr).toBe(0)
    const archive = await readArchive(join(root, 'out', 'doc_a.h5'))
    const rate = asNumber(getNode(archive.metadata, 'acquisition_rate'))!
    const seconds = asNumber(getNode(archive.metadata, 'sys_meta/recording_duration_s'))!
    let checked = 0
    for (const id of archive.units.children.keys()) {
      const t = Array.from((getNode(archive.units, `${id}/spike_times`) as NumericNode).data)
      if (t.length >= 5) {
        expect(asNumber(getNode(archive.units, `${id}/features/mean_rate/data/rate_hz`))).toBe(t.length / seconds)
        expect(getNode(archive.units, `${id}/features/mean_rate/data/n_spikes`)).toMatchObject({ dtype: 'int64', data: Float64Array.of(t.length) })
        checked++
      } else {
        expect(getNode(archive.units, `${id}/features/mean_rate`)).toBeUndefined()
      }
      let violations = 0
      for (let i = 1; i < t.length; i++) if (((t[i] - t[i - 1]) * 1000) / rate < 2.0) violations++
      expect(asNumber(getNode(archive.units, `${id}/features/isi_violations/data/count`))).toBe(violations)
      expect(asNumber(getNode(archive.units, `${id}/features/isi_violations/metadata/refractory_ms`))).toBe(2)
      expect(getNode(archive.units, `${id}/features/burst_statistics/data/burst_count`)).toMatchObject({ dtype: 'int64' })
    }
    expect(checked).toBeGreaterThan(0)
    expect(archive.completedSteps).toEqual(expect.arrayContaining(['load_recording', 'mean_rate', 'isi_violations', 'compute_burst_statistics', 'compute_burst_statistics_py']))
    expect(readdirSync(temp).filter((f) => f.startsWith('hdmea-plugin-'))).toEqual([])
  })
})
