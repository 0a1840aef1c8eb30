// Log rotation by numbered files: when workbench.log is full it becomes workbench.1.log, the former
// .1 becomes .2, and so on; the oldest beyond `keep` is deleted. Runs synchronously (electron-log calls
// it before the next line is written).

import * as nodeFs from 'node:fs'
import { join, parse } from 'node:path'

export interface RotationFs {
  existsSync(path: string): boolean
  renameSync(from: string, to: string): void
  rmSync(path: string, options: { force: boolean }): void
}

/** The n-th older generation of a log file: workbench.log -> workbench.<n>.log (n = 0 is the file itself). */
export function rotatedName(file: string, n: number): string {
  if (n === 0) return file
  const p = parse(file)
  return join(p.dir, `${p.name}.${n}${p.ext}`)
}

export function rotateLogFiles(file: string, keep: number, fs: RotationFs = nodeFs): void {
  if (keep < 1) {
    fs.rmSync(file, { force: true })
    return
  }
  fs.rmSync(rotatedName(file, keep), { force: true })
  for (let n = keep - 1; n >= 0; n--) {
    const from = rotatedName(file, n)
    if (fs.existsSync(from)) fs.renameSync(from, rotatedName(file, n + 1))
  }
}
