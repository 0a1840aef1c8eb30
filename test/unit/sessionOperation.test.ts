// Save, checkpoint and resume through the workbench service report their progress (`session.operation`
// events) and can be cancelled (`session.cancelOperation`): the request fails with CANCELLED, the file
// already there stays byte-identical, no temp file is left, and the open session is unchanged.

import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SessionOperation } from '../../src-shared/contract'
import { createSession } from '../../src-main/session/session'
import { STEPS } from '../../src-main/steps/index'
import { WorkbenchService } from '../../src-main/workbench/service'
import { f64, group, str } from '../../src-shared/tree'

const MB = 1024 * 1024
let dir: string
let bigPath: string
let smallPath: string
let service: WorkbenchService
const operations: Array<SessionOperation | null> = []
let onOperation: ((o: SessionOperation | null) => void) | null = null

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'session-operation-'))
  // 64 MB in eight 8 MB datasets: the writer and the reader report progress every 16 MB.
  const big = createSession({ datasetId: 'big_one', outputDir: dir })
  for (let u = 0; u < 8; u++) big.addUnits({ [`unit_${u}`]: group({ x: f64(new Float64Array(MB).fill(u)) }) })
  bigPath = await big.save(join(dir, 'big_one.h5'))
  const small = createSession({ datasetId: 'small_one', outputDir: dir })
  small.addUnits({ unit_1: group({ label: str('old') }) })
  smallPath = await small.save(join(dir, 'small_one.h5'))
  service = new WorkbenchService({ transport: 'web', workdir: dir, steps: STEPS })
  service.onEvent((name, payload) => {
    if (name !== 'session.operation') return
    operations.push(payload as SessionOperation | null)
    onOperation?.(payload as SessionOperation | null)
  })
}, 120_000)

afterAll(async () => {
  await service?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Cancels the operation under way at its first progress report between start and end; resolves to the answer. */
function cancelHalfway(): Promise<unknown> {
  return new Promise((resolve) => {
    onOperation = (o) => {
      if (o && o.bytesDone > 0 && o.bytesDone < o.bytesTotal) {
        onOperation = null
        resolve(service.dispatch('session.cancelOperation', {}))
      }
    }
  })
}

describe('session operations', () => {
  it('a save reports progress up to its total, then ends', async () => {
    await service.dispatch('session.resume', { path: bigPath })
    operations.length = 0
    await service.dispatch('session.save', { path: join(dir, 'copy.h5') })
    expect(operations[0]).toEqual({ operation: 'saving', bytesDone: 0, bytesTotal: 0 })
    expect(operations[operations.length - 2]).toEqual({ operation: 'saving', bytesDone: 64 * MB, bytesTotal: 64 * MB })
    expect(operations[operations.length - 1]).toBeNull()
  })

  it('Cancel during a save: CANCELLED, the old file byte-identical, no temp file', async () => {
    await service.dispatch('session.resume', { path: bigPath })
    const target = join(dir, 'small_one.h5')
    const before = readFileSync(target)
    const cancelled = cancelHalfway()
    await expect(service.dispatch('session.save', { path: target, overwrite: true })).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(await cancelled).toEqual({ cancelled: true })
    expect(readFileSync(target).equals(before)).toBe(true)
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([])
    expect(operations[operations.length - 1]).toBeNull()
    const snap = service.snapshot()
    expect(snap?.openedFrom).toBe(bigPath)
    expect(snap?.hdf5Path).toBeNull() // not marked as saved to the target
    expect(await service.dispatch('session.cancelOperation', {})).toEqual({ cancelled: false })
  })

  it('Cancel during a resume: CANCELLED, the open session unchanged', async () => {
    await service.dispatch('session.resume', { path: smallPath })
    const cancelled = cancelHalfway()
    await expect(service.dispatch('session.resume', { path: bigPath })).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(await cancelled).toEqual({ cancelled: true })
    expect(service.snapshot()?.datasetId).toBe('small_one')
  })
})
