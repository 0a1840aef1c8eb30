import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCsv } from '../../src-main/batch/csv'
import { discoverInputs, pairRecordings, parseMappingCsv, readMappingCsv, scanFolder } from '../../src-main/batch/discovery'

describe('parseCsv', () => {
  it('reads quoted cells with commas, doubled quotes and line breaks, CRLF, a BOM and blank lines', () => {
    const text = '\uFEFFa,b,c\r\n"x, y","say ""hi""",3\r\n\r\nplain,"multi\nline",\r\n'
    const t = parseCsv(text)
    expect(t.header).toEqual(['a', 'b', 'c'])
    expect(t.rows).toEqual([
      { line: 2, cells: ['x, y', 'say "hi"', '3'] },
      { line: 4, cells: ['plain', 'multi\nline', ''] },
    ])
  })

  it('keeps backslashes (Windows paths) and a last row without a line end', () => {
    const t = parseCsv('p\nM:\\data\\a.cmcr')
    expect(t.rows[0].cells).toEqual(['M:\\data\\a.cmcr'])
  })

  it('rejects an unclosed quote with its line', () => {
    expect(() => parseCsv('a\n"open\n')).toThrow(/line 2 is never closed/)
  })
})

// The lab's mapping file has these seven columns, Windows paths on a network drive, and True/False.
const LAB_HEADER = 'pkl_file,pkl_path,datetime_label,cmtr_file,cmtr_path,cmcr_path,matched'

describe('parseMappingCsv', () => {
  it('keeps only matched rows (any case), derives ids from the .cmtr stem, keeps Windows paths as written', () => {
    const csv = [
      LAB_HEADER,
      'a.pkl,M:\\p\\a.pkl,2024.01.01,2024.01.01-10.00.00-Rec-.cmtr,M:\\x\\2024.01.01-10.00.00-Rec-.cmtr,M:\\x\\2024.01.01-10.00.00-Rec.cmcr,True',
      'b.pkl,M:\\p\\b.pkl,2024.01.02,b-.cmtr,"M:\\x\\with, comma\\b-.cmtr","M:\\x\\with, comma\\b.cmcr",true',
      'c.pkl,M:\\p\\c.pkl,2024.01.03,c-.cmtr,M:\\x\\c-.cmtr,M:\\x\\c.cmcr,False',
      'd.pkl,M:\\p\\d.pkl,2024.01.04,,,,',
      'e.pkl,M:\\p\\e.pkl,2024.01.05,e-.cmtr,\\\\server\\share\\e-.cmtr,\\\\server\\share\\e.cmcr, TRUE ',
    ].join('\r\n')
    const d = parseMappingCsv(csv, '/lab/mapping.csv')
    expect(d.inputs.map((i) => i.datasetId)).toEqual(['2024.01.01-10.00.00-Rec', 'b', 'e'])
    expect(d.inputs[0]).toEqual({
      datasetId: '2024.01.01-10.00.00-Rec',
      cmcrPath: 'M:\\x\\2024.01.01-10.00.00-Rec.cmcr',
      cmtrPath: 'M:\\x\\2024.01.01-10.00.00-Rec-.cmtr',
      origin: 'mapping.csv line 2',
    })
    expect(d.inputs[1].cmtrPath).toBe('M:\\x\\with, comma\\b-.cmtr')
    expect(d.inputs[2].cmcrPath).toBe('\\\\server\\share\\e.cmcr')
    expect(d.notes).toEqual([])
  })

  it('resolves relative paths against the CSV folder and notes matched rows without paths', () => {
    const d = parseMappingCsv('cmcr_path,cmtr_path,matched\nrec/r1.cmcr,rec/r1-.cmtr,True\n,,True\n', '/lab/sub/map.csv')
    expect(d.inputs).toEqual([
      { datasetId: 'r1', cmcrPath: '/lab/sub/rec/r1.cmcr', cmtrPath: '/lab/sub/rec/r1-.cmtr', origin: 'map.csv line 2' },
    ])
    expect(d.notes).toEqual(['map.csv line 3: matched, but both cmcr_path and cmtr_path are empty; row ignored'])
  })

  it('names the file and the missing columns', () => {
    expect(() => parseMappingCsv('cmcr_path,matched\nx.cmcr,True\n', '/lab/bad.csv')).toThrow(
      "/lab/bad.csv: the mapping CSV needs the columns cmcr_path, cmtr_path, matched; missing cmtr_path (found: cmcr_path, matched)",
    )
  })

  it('reports a missing CSV file by path', async () => {
    await expect(readMappingCsv('/nonexistent/map.csv')).rejects.toThrow('mapping CSV not found: /nonexistent/map.csv')
  })
})

describe('folder scan', () => {
  it('pairs X.cmcr with X-.cmtr before X.cmtr, and notes unpaired files', () => {
    const d = pairRecordings('/d', ['b.cmcr', 'a.cmcr', 'a-.cmtr', 'a.cmtr', 'b.CMTR', 'lonely.cmcr', 'orphan-.cmtr', 'x.txt'], 'scan')
    expect(d.inputs.map((i) => [i.datasetId, i.cmcrPath, i.cmtrPath])).toEqual([
      ['a', '/d/a.cmcr', '/d/a-.cmtr'],
      ['b', '/d/b.cmcr', '/d/b.CMTR'],
    ])
    expect(d.notes).toEqual([
      '/d/lonely.cmcr: no matching lonely-.cmtr or lonely.cmtr beside it; skipped',
      '/d/a.cmtr: no matching .cmcr beside it; skipped',
      '/d/orphan-.cmtr: no matching .cmcr beside it; skipped',
    ])
  })

  let root = ''
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'batch-scan-'))
    await mkdir(join(root, 'day1'))
    await mkdir(join(root, '.hdmea-batch'))
    for (const f of ['r1.cmcr', 'r1-.cmtr', 'day1/r2.cmcr', 'day1/r2.cmtr', '.hdmea-batch/r3.cmcr', '.hdmea-batch/r3-.cmtr']) {
      await writeFile(join(root, f), '')
    }
    await writeFile(join(root, 'map.csv'), `cmcr_path,cmtr_path,matched\nr1.cmcr,r1-.cmtr,True\nday1/r2.cmcr,day1/r2.cmtr,True\n`)
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('walks subfolders but not hidden ones', async () => {
    const d = await scanFolder(root)
    expect(d.inputs.map((i) => [i.datasetId, i.cmcrPath, i.cmtrPath])).toEqual([
      ['r1', join(root, 'r1.cmcr'), join(root, 'r1-.cmtr')],
      ['r2', join(root, 'day1/r2.cmcr'), join(root, 'day1/r2.cmtr')],
    ])
  })

  it('treats dropped paths by kind and pairs a lone dropped file with its partner on disk', async () => {
    const one = await discoverInputs([join(root, 'day1/r2.cmcr')])
    expect(one.inputs.map((i) => [i.datasetId, i.cmtrPath])).toEqual([['r2', join(root, 'day1/r2.cmtr')]])
    const csvAndFolder = await discoverInputs([join(root, 'map.csv'), root])
    expect(csvAndFolder.inputs.map((i) => i.datasetId)).toEqual(['r1', 'r2'])
    await expect(discoverInputs([join(root, 'nothing')])).rejects.toThrow(`input not found: ${join(root, 'nothing')}`)
  })
})
