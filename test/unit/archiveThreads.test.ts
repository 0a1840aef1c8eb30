// The archive threads (src-main/archive/thread/archiveThreads.ts) when a thread is stuck in a blocking
// call, as on a network share that never answers: cancel rejects without waiting for the thread, the
// next job gets a fresh thread, and a stuck read does not hold up a save. The stuck call is modelled by
// a thread that runs the real entry but spins forever on reads of paths named '*hang*' (no timing is
// assumed: a job that waited for that thread would never finish).

import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { ArchiveThreads, DEFER_AT_LEAST_BYTES } from '../../src-main/archive/thread/archiveThreads'
import { CancelledError } from '../../src-shared/errors'
import { type GroupNode, f64, group, numeric } from '../../src-shared/tree'
import { archiveContent } from '../fixtures/archive/content'

const dir = mkdtempSync(join(tmpdir(), 'archive-threads-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const entry = pathToFileURL(resolve('out/main/archiveThread.js')).href
/** The real archive thread, except that a read of a '*hang*' path marks `<path>.stuck` and never returns. */
const stuckOnHang = new URL(
  `data:text/javascript,${encodeURIComponent(`
import { parentPort } from 'node:worker_threads'
import { writeFileSync } from 'node:fs'
parentPort.on('message', (m) => {
  if (m.type === 'read' && m.path.includes('hang')) {
    writeFileSync(m.path + '.stuck', '')
    for (;;) {}
  }
})
await import(${JSON.stringify(entry)})
`)}`,
)

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 20))
}

describe('a save through an archive thread', () => {
  it('writes datasets above DEFER_AT_LEAST_BYTES, pulled one at a time, with every value, beside small ones', async () => {
    const threads = new ArchiveThreads()
    try {
      const n = DEFER_AT_LEAST_BYTES / 8 + 1000 // above the limit as float64
      const a = new Float64Array(n).map((_, i) => Math.sin(i) * 1e3)
      const b = new Int32Array(DEFER_AT_LEAST_BYTES / 4 + 17).map((_, i) => i * 7 - 50_000)
      const content = archiveContent({
        units: group({ unit_001: group({ trace: f64(a), counts: numeric('int32', b), spike_times: f64([0.5, 1.5]) }), unit_002: group({ trace: f64(a.slice(0, 10)) }) }),
      })
      const progress: Array<[number, number]> = []
      const path = join(dir, 'deferred.h5')
      await threads.write(path, content, { onProgress: (done, total) => progress.push([done, total]) })
      const back = await threads.read(path)
      const u1 = back.units.children.get('unit_001') as GroupNode
      expect(Array.from((u1.children.get('trace') as { data: Float64Array }).data)).toEqual(Array.from(a))
      expect(Array.from((u1.children.get('counts') as { data: Int32Array }).data)).toEqual(Array.from(b))
      expect(Array.from((u1.children.get('spike_times') as { data: Float64Array }).data)).toEqual([0.5, 1.5])
      // The progress total counts the deferred arrays although the thread had only their shapes.
      const total = a.byteLength + b.byteLength + 16 + 80
      expect(progress.at(-1)).toEqual([total, total])
      // The session's arrays are untouched.
      expect(a.length).toBe(n)
    } finally {
      await threads.close()
    }
  })
})

describe('a thread stuck in a blocking call', () => {
  it('cancel rejects at once, without waiting for it, and the next job runs on a fresh thread', async () => {
    const threads = new ArchiveThreads({ script: stuckOnHang })
    try {
      const hung = join(dir, 'hang-1.h5')
      const ctrl = new AbortController()
      const reading = threads.read(hung, { signal: ctrl.signal })
      await until(() => existsSync(`${hung}.stuck`))
      expect(threads.threadCount).toBe(1)
      ctrl.abort()
      await expect(reading).rejects.toBeInstanceOf(CancelledError)
      expect(threads.threadCount).toBe(0) // abandoned

      const path = join(dir, 'after.h5')
      const content = archiveContent({ metadata: group({ marker: f64([42]) }) })
      await threads.write(path, content)
      const back = await threads.read(path)
      expect(Array.from((back.metadata.children.get('marker') as { data: Float64Array }).data)).toEqual([42])
      expect(threads.threadCount).toBe(1)
    } finally {
      await threads.close()
    }
  })

  it('a stuck read does not hold up a save or another read', async () => {
    const threads = new ArchiveThreads({ script: stuckOnHang })
    const hung = join(dir, 'hang-2.h5')
    const ctrl = new AbortController()
    const reading = threads.read(hung, { signal: ctrl.signal })
    try {
      await until(() => existsSync(`${hung}.stuck`))
      const path = join(dir, 'beside.h5')
      await threads.write(path, archiveContent({ units: group({ unit_001: group({ spike_times: f64([1, 2]) }) }) }))
      expect((await threads.read(path)).units.children.has('unit_001')).toBe(true)
    } finally {
      ctrl.abort()
      await expect(reading).rejects.toBeInstanceOf(CancelledError)
      await threads.close()
    }
  })

  it('errors from the thread keep their code and name the file', async () => {
    const threads = new ArchiveThreads()
    try {
      const missing = join(dir, 'missing.h5')
      await expect(threads.read(missing)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', message: expect.stringContaining(missing) })
      await expect(threads.write(join(dir, 'no-such-folder', 'x.h5'), archiveContent())).rejects.toMatchObject({
        code: 'FILE_LOCKED',
        message: expect.stringContaining(join(dir, 'no-such-folder', 'x.h5')),
      })
    } finally {
      await threads.close()
    }
  })
})
