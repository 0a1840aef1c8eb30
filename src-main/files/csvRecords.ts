// The CSV files users write by hand or export from a spreadsheet (the batch mapping CSV, playlist.csv,
// movie_length.csv), read with csv-parse under one set of rules (docs/architecture.md, "CSV files"):
//  - RFC 4180 quoting: a cell in "..." may hold commas, line breaks and "" for a quote; CRLF or LF line
//    ends; a UTF-8 byte-order mark is dropped.
//  - A quote inside an unquoted cell (ab"c) is an ordinary character, as pandas reads it, so a file the
//    Python pipeline accepts is accepted here.
//  - Spaces around a cell (outside quotes) are dropped; backslashes are ordinary (M:\data\a.cmcr).
//  - A row of nothing but separators and spaces is a blank line (spreadsheet exports add them): skipped.
//  - Rows may have fewer or more cells than the header; consumers read a missing cell as ''.
//  - Every record keeps the line it starts on, for messages.
// Files are decoded as strict UTF-8: a byte that is not UTF-8 (a file saved as "ANSI"/Windows-1252) is an
// error naming the file and the line, instead of a garbled path that is later "not found".

import { parse } from 'csv-parse/sync'
import { ConfigurationError } from '../../src-shared/errors'

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number
  cells: string[]
}

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message)
  }
}

/** Every non-blank record of `text`, the header row included. Throws CsvSyntaxError (with its line). */
export function readCsvRecords(text: string): CsvRecord[] {
  let parsed: Array<{ record: string[]; info: { lines: number }; raw: string }>
  try {
    parsed = parse(text, { bom: true, info: true, raw: true, relax_quotes: true, relax_column_count: true, ltrim: true, rtrim: true }) as unknown as typeof parsed
  } catch (err) {
    const { code, lines } = err as { code?: string; lines?: number }
    if (code === 'CSV_QUOTE_NOT_CLOSED') throw new CsvSyntaxError(`a quoted cell starting on line ${lines} is never closed`, lines ?? 0)
    throw new CsvSyntaxError(`${(err as Error).message}`, lines ?? 0)
  }
  const out: CsvRecord[] = []
  for (const { record, info, raw } of parsed) {
    if (record.every((cell) => cell.trim() === '')) continue
    // info.lines is the line the record ends on; line breaks inside quoted cells come before it.
    const inner = raw.replace(/[\r\n]+$/, '').split('\n').length - 1
    out.push({ line: info.lines - inner, cells: record })
  }
  return out
}

/** `bytes` as UTF-8 text (a leading BOM kept for the CSV reader to drop); not UTF-8 is an error naming the line. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    throw new ConfigurationError(`${file} line ${firstLineNotUtf8(bytes)} is not UTF-8 text; save the file as UTF-8 (in Excel: "CSV UTF-8")`, {
      path: file,
    })
  }
}

function firstLineNotUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let line = 1
  let start = 0
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue
    try {
      decoder.decode(bytes.subarray(start, i))
    } catch {
      return line
    }
    line++
    start = i + 1
  }
  return line - 1
}
