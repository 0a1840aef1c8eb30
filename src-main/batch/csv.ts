// The batch mapping CSV as a header and rows, read by the shared CSV reader (src-main/files/csvRecords.ts).

import { type CsvRecord, CsvSyntaxError, readCsvRecords } from '../files/csvRecords'

export { CsvSyntaxError }

export interface CsvTable {
  header: string[]
  /** Each row with its 1-based line number in the file (of the row's first line). */
  rows: CsvRecord[]
}

export function parseCsv(text: string): CsvTable {
  const [head, ...rows] = readCsvRecords(text)
  return head ? { header: head.cells.map((c) => c.trim()), rows } : { header: [], rows: [] }
}
