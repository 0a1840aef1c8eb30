// One set of CSV rules for the mapping CSV and the stimulus CSVs (src-main/files/csvRecords.ts), and
// files that are not UTF-8 refused with their line (issue 10: they used to give garbled paths).
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCsv as parseMappingTable } from '../../src-main/batch/csv'
import { readMappingCsv } from '../../src-main/batch/discovery'
import { parseCsv as parseStimulusCsv, readConfigText } from '../../src-main/stimulus/playlistCsv'
import { ConfigurationError } from '../../src-shared/errors'

describe('the same rules in both readers', () => {
  const text = 'a,b\nab"c,d\n,\n , ,\n  "x" , y\n'
  it('keeps a quote inside an unquoted cell, skips separator-only rows, trims around cells', () => {
    const expected = [
      { line: 2, cells: ['ab"c', 'd'] },
      { line: 5, cells: ['x', 'y'] },
    ]
    expect(parseMappingTable(text).rows).toEqual(expected)
    expect(parseStimulusCsv(text, 'f.csv').slice(1)).toEqual(expected)
  })

  it('counts lines of multi-line cells for the records after them', () => {
    const rows = parseMappingTable('h\n"one\ntwo\nthree"\nnext\n').rows
    expect(rows.map((r) => r.line)).toEqual([2, 5])
  })
})

describe('files that are not UTF-8', () => {
  let dir = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'csv-enc-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  // "Messung_Zürich" as Windows-1252 ("ANSI" in Excel): ü is the single byte 0xFC.
  const ansi = (s: string) => Buffer.from([...s].map((c) => (c === 'ü' ? 0xfc : c.charCodeAt(0))))

  it('a mapping CSV saved as ANSI is refused naming the file and the line', async () => {
    const path = join(dir, 'mapping.csv')
    await writeFile(path, ansi('cmcr_path,cmtr_path,matched\nM:\\a.cmcr,M:\\a-.cmtr,True\nM:\\Messung_Zürich\\b.cmcr,M:\\Messung_Zürich\\b-.cmtr,True\n'))
    const err = await readMappingCsv(path).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigurationError)
    expect((err as Error).message).toBe(`${path} line 3 is not UTF-8 text; save the file as UTF-8 (in Excel: "CSV UTF-8")`)
  })

  it('a playlist saved as ANSI is refused the same way; UTF-8 with a BOM is read', async () => {
    const path = join(dir, 'playlist.csv')
    await writeFile(path, ansi('playlist_name,movie_names\nzürich,"[\'a.mov\']"\n'))
    await expect(readConfigText(path, 'Playlist')).rejects.toThrow(`${path} line 2 is not UTF-8 text`)
    await writeFile(path, '\uFEFFplaylist_name,movie_names\nzürich,"[\'a.mov\']"\n', 'utf8')
    expect(parseStimulusCsv(await readConfigText(path, 'Playlist'), path)[1].cells[0]).toBe('zürich')
  })
})
