// The lab's playlist.csv (playlist_name, movie_names as a Python-list literal) and movie_length.csv
// (movie_name, movie_length in display frames). Parsed as data, never evaluated.

import { readFile } from 'node:fs/promises'
import { ConfigurationError, FileAccessError } from '../../src-shared/errors'
import { type CsvRecord, CsvSyntaxError, decodeUtf8, readCsvRecords } from '../files/csvRecords'

export type { CsvRecord }

/** Every non-blank record of a playlist or movie-length file, header included (src-main/files/csvRecords.ts). */
export function parseCsv(text: string, file: string): CsvRecord[] {
  try {
    return readCsvRecords(text)
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new ConfigurationError(`${file}: ${err.message}`, { path: file })
    throw err
  }
}

/** The header row's column index of each required name (case-sensitive, surrounding spaces ignored). */
function columns(records: CsvRecord[], names: string[], file: string): number[] {
  if (records.length === 0) throw new ConfigurationError(`${file} is empty (expected columns ${names.join(', ')})`, { path: file })
  const header = records[0].cells.map((c) => c.trim())
  return names.map((n) => {
    const i = header.indexOf(n)
    if (i < 0) {
      throw new ConfigurationError(`${file} has no '${n}' column (header: ${header.join(', ')})`, { path: file })
    }
    return i
  })
}

/**
 * The strings of a Python list literal such as ['a.mov', "b.mov"]: single- or double-quoted items
 * with backslash escapes, separated by commas, an optional trailing comma. Anything else is an error.
 */
export function parsePythonStringList(cell: string): string[] {
  const s = cell.trim()
  let i = 0
  const fail = (why: string): never => {
    throw new Error(`${why} at character ${i + 1} of ${JSON.stringify(cell)}`)
  }
  const skipSpace = () => {
    while (i < s.length && /\s/.test(s[i])) i++
  }
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' }
  if (s[i] !== '[') fail("expected a list starting with '['")
  i++
  const out: string[] = []
  for (;;) {
    skipSpace()
    if (s[i] === ']') break
    const q = s[i]
    if (q !== "'" && q !== '"') fail('expected a quoted movie name')
    i++
    let item = ''
    while (i < s.length && s[i] !== q) {
      if (s[i] === '\\') {
        const e = s[i + 1]
        if (e === undefined) fail('unfinished escape')
        item += escapes[e] ?? `\\${e}`
        i += 2
      } else item += s[i++]
    }
    if (i >= s.length) fail('unclosed quote')
    i++
    out.push(item)
    skipSpace()
    if (s[i] === ',') {
      i++
      continue
    }
    if (s[i] === ']') break
    fail("expected ',' or ']'")
  }
  i++
  skipSpace()
  if (i < s.length) fail("unexpected text after ']'")
  return out
}

/** The movie name without extension: the text before the first '.' (so 'movie.v2.mov' -> 'movie'). */
export function movieStem(name: string): string {
  return name.trim().split('.')[0]
}

/** The movies of one playlist (extensions stripped), in order. Unknown playlists list the known ones. */
export function playlistMovies(text: string, file: string, playlistName: string): string[] {
  const records = parseCsv(text, file)
  const [nameCol, moviesCol] = columns(records, ['playlist_name', 'movie_names'], file)
  const rows = records.slice(1).filter((r) => (r.cells[nameCol] ?? '').trim() === playlistName)
  if (rows.length === 0) {
    const known = records.slice(1).map((r) => (r.cells[nameCol] ?? '').trim()).filter(Boolean)
    throw new ConfigurationError(
      `Playlist '${playlistName}' is not in ${file} (known playlists: ${known.join(', ') || 'none'})`,
      { path: file, parameter: 'playlist_name' },
    )
  }
  if (rows.length > 1) {
    throw new ConfigurationError(
      `Playlist '${playlistName}' appears ${rows.length} times in ${file} (lines ${rows.map((r) => r.line).join(', ')})`,
      { path: file, parameter: 'playlist_name' },
    )
  }
  const row = rows[0]
  let names: string[]
  try {
    names = parsePythonStringList(row.cells[moviesCol] ?? '')
  } catch (err) {
    throw new ConfigurationError(`${file} line ${row.line}: movie_names of '${playlistName}' is not a list of names: ${(err as Error).message}`, {
      path: file,
    })
  }
  const movies = names.map(movieStem)
  const empty = movies.findIndex((m) => m === '')
  if (empty >= 0) throw new ConfigurationError(`${file} line ${row.line}: movie ${empty + 1} of '${playlistName}' has an empty name`, { path: file })
  if (movies.length === 0) throw new ConfigurationError(`${file} line ${row.line}: playlist '${playlistName}' has no movies`, { path: file })
  return movies
}

/** movie_name -> length in display frames. Lengths must be whole numbers >= 0; a movie listed twice must agree. */
export function movieLengths(text: string, file: string): Map<string, number> {
  const records = parseCsv(text, file)
  const [nameCol, lengthCol] = columns(records, ['movie_name', 'movie_length'], file)
  const out = new Map<string, number>()
  for (const r of records.slice(1)) {
    const name = (r.cells[nameCol] ?? '').trim()
    const raw = (r.cells[lengthCol] ?? '').trim()
    if (!name) throw new ConfigurationError(`${file} line ${r.line}: empty movie_name`, { path: file })
    const value = raw === '' ? Number.NaN : Number(raw)
    if (!Number.isInteger(value) || value < 0) {
      throw new ConfigurationError(`${file} line ${r.line}: movie_length of '${name}' must be a whole number of frames (got '${raw}')`, {
        path: file,
      })
    }
    const prev = out.get(name)
    if (prev !== undefined && prev !== value) {
      throw new ConfigurationError(`${file} line ${r.line}: movie '${name}' is listed twice with different lengths (${prev} and ${value})`, {
        path: file,
      })
    }
    out.set(name, value)
  }
  return out
}

/** The text of a configuration file, or a FileAccessError naming it and what it was needed for. */
export async function readConfigText(path: string, what: string): Promise<string> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new FileAccessError('FILE_NOT_FOUND', `${what} not found: ${path}`, { path, cause: err })
    if (code === 'EISDIR') throw new FileAccessError('FILE_KIND', `${what} is a folder, not a file: ${path}`, { path, cause: err })
    throw new FileAccessError('FILE_LOCKED', `${what} could not be read: ${path} (${(err as Error).message})`, { path, cause: err })
  }
  return decodeUtf8(bytes, path)
}

/** The playlist names of a playlist file, in file order, each once (for the wizard's playlist choice). */
export function playlistNames(text: string, file: string): string[] {
  const records = parseCsv(text, file)
  const [nameCol] = columns(records, ['playlist_name', 'movie_names'], file)
  return [...new Set(records.slice(1).map((r) => (r.cells[nameCol] ?? '').trim()).filter(Boolean))]
}
