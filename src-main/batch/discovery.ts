// Finding the recordings of a batch: the lab's mapping CSV, a folder scan, or dropped paths.
// Every result is a BatchInput (paths + dataset id + where it came from); problems that concern one
// row or one file are collected as notes rather than aborting the whole discovery.

import { readFile, readdir, stat } from 'node:fs/promises'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { resolveAgainst } from '../workbench/fileAccess'
import { ConfigurationError, FileAccessError } from '../../src-shared/errors'
import { deriveDatasetId, validateDatasetId } from '../session/session'
import { CsvSyntaxError, parseCsv } from './csv'
import { decodeUtf8 } from '../files/csvRecords'

export interface BatchInput {
  datasetId: string
  cmcrPath: string | null
  cmtrPath: string | null
  /** Where this input came from, for messages: "mapping.csv line 7", "scan of /data". */
  origin: string
}

export interface Discovery {
  inputs: BatchInput[]
  /** Rows or files that were not turned into inputs, each with the reason. */
  notes: string[]
}

const REQUIRED_COLUMNS = ['cmcr_path', 'cmtr_path', 'matched'] as const

function resolveListedPath(raw: string, baseDir: string): string | null {
  const p = raw.trim()
  if (!p) return null
  return resolveAgainst(baseDir, p)
}

/** Rows of the mapping CSV whose `matched` cell is "True" (any case); paths relative to the CSV's folder. */
export function parseMappingCsv(text: string, csvPath: string): Discovery {
  let table
  try {
    table = parseCsv(text)
  } catch (err) {
    if (err instanceof CsvSyntaxError) {
      throw new ConfigurationError(`${csvPath}: not a valid CSV file: ${err.message}`, { path: csvPath })
    }
    throw err
  }
  const lowered = table.header.map((h) => h.toLowerCase())
  const missing = REQUIRED_COLUMNS.filter((c) => !lowered.includes(c))
  if (missing.length > 0) {
    throw new ConfigurationError(
      `${csvPath}: the mapping CSV needs the columns ${REQUIRED_COLUMNS.join(', ')}; missing ${missing.join(', ')} ` +
        `(found: ${table.header.join(', ') || 'no header'})`,
      { path: csvPath },
    )
  }
  const col = (name: string) => lowered.indexOf(name)
  const [iCmcr, iCmtr, iMatched] = [col('cmcr_path'), col('cmtr_path'), col('matched')]
  const baseDir = dirname(resolve(csvPath))
  const name = basename(csvPath)
  const inputs: BatchInput[] = []
  const notes: string[] = []
  for (const row of table.rows) {
    const cell = (i: number) => (row.cells[i] ?? '').trim()
    if (cell(iMatched).toLowerCase() !== 'true') continue
    const origin = `${name} line ${row.line}`
    const cmcrPath = resolveListedPath(cell(iCmcr), baseDir)
    const cmtrPath = resolveListedPath(cell(iCmtr), baseDir)
    if (!cmcrPath && !cmtrPath) {
      notes.push(`${origin}: matched, but both cmcr_path and cmtr_path are empty; row ignored`)
      continue
    }
    try {
      inputs.push({ datasetId: validateDatasetId(deriveDatasetId(cmcrPath, cmtrPath)), cmcrPath, cmtrPath, origin })
    } catch (err) {
      notes.push(`${origin}: ${(err as Error).message}; row ignored`)
    }
  }
  return { inputs, notes }
}

export async function readMappingCsv(csvPath: string): Promise<Discovery> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(csvPath)
  } catch (err) {
    throw fileError(csvPath, 'mapping CSV', err)
  }
  return parseMappingCsv(decodeUtf8(bytes, csvPath), csvPath)
}

function fileError(path: string, what: string, err: unknown): FileAccessError {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return new FileAccessError('FILE_NOT_FOUND', `${what} not found: ${path}`, { path, cause: err })
  return new FileAccessError('FILE_LOCKED', `Cannot read ${what} ${path}: ${(err as Error).message}`, { path, cause: err })
}

const lowerExt = (name: string) => extname(name).toLowerCase()
const stemOf = (name: string) => name.slice(0, name.length - extname(name).length)

/**
 * Pairs recordings among the file names of one folder: X.cmcr goes with X-.cmtr (the vendor's
 * spike-sorter name) or else X.cmtr. Unpaired files are reported in notes.
 */
export function pairRecordings(dir: string, names: string[], origin: string): Discovery {
  const cmtrByStem = new Map<string, string>()
  for (const n of names) if (lowerExt(n) === '.cmtr') cmtrByStem.set(stemOf(n), n)
  const used = new Set<string>()
  const inputs: BatchInput[] = []
  const notes: string[] = []
  for (const n of [...names].sort()) {
    if (lowerExt(n) !== '.cmcr') continue
    const stem = stemOf(n)
    const cmtr = cmtrByStem.get(`${stem}-`) ?? cmtrByStem.get(stem)
    if (!cmtr) {
      notes.push(`${join(dir, n)}: no matching ${stem}-.cmtr or ${stem}.cmtr beside it; skipped`)
      continue
    }
    used.add(cmtr)
    const cmcrPath = join(dir, n)
    const cmtrPath = join(dir, cmtr)
    try {
      inputs.push({ datasetId: validateDatasetId(deriveDatasetId(cmcrPath, cmtrPath)), cmcrPath, cmtrPath, origin })
    } catch (err) {
      notes.push(`${cmcrPath}: ${(err as Error).message}; skipped`)
    }
  }
  for (const n of names) {
    if (lowerExt(n) === '.cmtr' && !used.has(n)) notes.push(`${join(dir, n)}: no matching .cmcr beside it; skipped`)
  }
  return { inputs, notes }
}

/** Every recording pair in a folder and its subfolders (hidden folders such as .hdmea-batch are not entered). */
export async function scanFolder(root: string): Promise<Discovery> {
  const inputs: BatchInput[] = []
  const notes: string[] = []
  const origin = `scan of ${root}`
  const walk = async (dir: string): Promise<void> => {
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (err) {
      if (dir === root) throw fileError(dir, 'folder', err)
      notes.push(`${dir}: cannot be listed (${(err as Error).message}); skipped`)
      return
    }
    const found = pairRecordings(
      dir,
      entries.filter((e) => e.isFile()).map((e) => e.name),
      origin,
    )
    inputs.push(...found.inputs)
    notes.push(...found.notes)
    for (const e of entries.filter((x) => x.isDirectory() && !x.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      await walk(join(dir, e.name))
    }
  }
  await walk(resolve(root))
  return { inputs, notes }
}

/**
 * What the user dropped or named: folders are scanned, .csv files read as mapping files, and
 * .cmcr/.cmtr files paired with their partner (among the dropped files, else beside them on disk).
 */
export async function discoverInputs(paths: string[]): Promise<Discovery> {
  const inputs: BatchInput[] = []
  const notes: string[] = []
  const loose = new Map<string, Set<string>>()
  for (const raw of paths) {
    const p = resolve(raw)
    let info
    try {
      info = await stat(p)
    } catch (err) {
      throw fileError(p, 'input', err)
    }
    if (info.isDirectory()) {
      const found = await scanFolder(p)
      inputs.push(...found.inputs)
      notes.push(...found.notes)
    } else if (lowerExt(p) === '.csv') {
      const found = await readMappingCsv(p)
      inputs.push(...found.inputs)
      notes.push(...found.notes)
    } else if (lowerExt(p) === '.cmcr' || lowerExt(p) === '.cmtr') {
      const dir = dirname(p)
      if (!loose.has(dir)) loose.set(dir, new Set())
      loose.get(dir)!.add(basename(p))
    } else {
      throw new ConfigurationError(`${p}: not a folder, a mapping .csv, or a .cmcr/.cmtr recording`, { path: p })
    }
  }
  for (const [dir, dropped] of loose) {
    // A file dropped alone is paired with its partner on disk; only dropped files become items.
    const siblings = await readdir(dir).catch(() => [] as string[])
    const names = new Set([...dropped])
    for (const n of dropped) {
      const stem = stemOf(n)
      const partners = lowerExt(n) === '.cmcr' ? [`${stem}-.cmtr`, `${stem}.cmtr`] : [`${stem.replace(/-$/, '')}.cmcr`, `${stem}.cmcr`]
      const partner = siblings.find((s) => partners.some((q) => q.toLowerCase() === s.toLowerCase()))
      if (partner) names.add(partner)
    }
    const found = pairRecordings(dir, [...names], 'dropped files')
    inputs.push(...found.inputs)
    notes.push(...found.notes)
  }
  return dedupe({ inputs, notes })
}

/** One input per dataset id (the output file is <id>.h5): later duplicates become notes. */
export function dedupe(d: Discovery): Discovery {
  const seen = new Map<string, BatchInput>()
  const notes = [...d.notes]
  for (const input of d.inputs) {
    const first = seen.get(input.datasetId)
    if (first) {
      if (first.cmcrPath !== input.cmcrPath || first.cmtrPath !== input.cmtrPath) {
        notes.push(`${input.origin}: dataset id '${input.datasetId}' is already used by ${first.origin}; ignored`)
      }
      continue
    }
    seen.set(input.datasetId, input)
  }
  return { inputs: [...seen.values()], notes }
}
