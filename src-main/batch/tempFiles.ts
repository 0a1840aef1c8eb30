// Temp files of the batch's small text files (queue.json, recipes): `.<name>.<pid>.<n>.tmp` beside
// the target, hidden from folder listings; written and renamed by src-main/files/atomicWrite.ts.

import { basename, dirname, join } from 'node:path'

let counter = 0

export function batchTempPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${++counter}.tmp`)
}
