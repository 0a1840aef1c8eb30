// A small RFC 4180 CSV reader: quoted cells (with "" for a quote, commas and line breaks inside),
// CRLF or LF line ends, a UTF-8 byte-order mark, and blank lines ignored. Backslashes are ordinary
// characters, so Windows paths such as M:\data\rec.cmcr pass through unchanged.

export interface CsvTable {
  header: string[]
  /** Each row with its 1-based line number in the file (of the row's first line). */
  rows: { line: number; cells: string[] }[]
}

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message)
  }
}

export function parseCsv(text: string): CsvTable {
  const records = splitRecords(text.replace(/^\uFEFF/, ''))
  const nonBlank = records.filter((r) => !(r.cells.length === 1 && r.cells[0].trim() === ''))
  if (nonBlank.length === 0) return { header: [], rows: [] }
  const [head, ...rest] = nonBlank
  return { header: head.cells.map((c) => c.trim()), rows: rest }
}

function splitRecords(text: string): { line: number; cells: string[] }[] {
  const out: { line: number; cells: string[] }[] = []
  let cells: string[] = []
  let cell = ''
  let quoted = false
  let line = 1
  let recordLine = 1
  let i = 0
  const endRecord = () => {
    cells.push(cell)
    out.push({ line: recordLine, cells })
    cells = []
    cell = ''
  }
  while (i < text.length) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"'
          i += 2
          continue
        }
        quoted = false
        i++
        continue
      }
      if (ch === '\n') line++
      cell += ch
      i++
      continue
    }
    if (ch === '"') {
      if (cell.trim() !== '') {
        throw new CsvSyntaxError(`a quote in the middle of an unquoted cell (line ${line})`, line)
      }
      cell = ''
      quoted = true
      i++
      continue
    }
    if (ch === ',') {
      cells.push(cell)
      cell = ''
      i++
      continue
    }
    if (ch === '\r' || ch === '\n') {
      endRecord()
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1
      line++
      recordLine = line
      continue
    }
    cell += ch
    i++
  }
  if (quoted) throw new CsvSyntaxError(`a quoted cell opened on line ${recordLine} is never closed`, recordLine)
  if (cell !== '' || cells.length > 0) endRecord()
  return out
}
