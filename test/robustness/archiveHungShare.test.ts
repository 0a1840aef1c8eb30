// Resuming an archive whose data never arrives, as on a network share that stops answering: the backend
// keeps answering and Cancel works (issue 12 item 6).
//
// The archive is a real HDF5 file (written by h5py) whose one dataset is stored externally in a FIFO
// (HDF5 external storage): when the reader asks h5wasm for that dataset, HDF5 opens the FIFO and waits,
// inside a synchronous h5wasm call, for a writer that never comes. That happens in an archive thread, so
// requests through the real web host (session.get every ~20 ms) must still answer in under 100 ms; then
// session.cancelOperation must end the resume at once with CANCELLED, the open session unchanged, and a
// following resume must work on a fresh thread. (Before the archive threads the whole backend waited
// with the read, and there was no request to cancel it.) Then the FIFO gets a writer that closes at once,
// so the abandoned thread's call returns and the thread ends, leaving no handle on the archive.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CANCEL_GRACE_MS } from '../../src-main/archive/thread/archiveThreads'
import { type WebHost, startWebHost } from '../../src-main/ipc/webHost'
import { createSession } from '../../src-main/session/session'
import { STEPS } from '../../src-main/steps/index'
import { WorkbenchService } from '../../src-main/workbench/service'
import { group, str } from '../../src-shared/tree'
import { answerFifo, untilStuckOnFifo } from '../fixtures/fifo'
import { webApi } from '../fixtures/webApi'

const PYTHON = '/usr/bin/python3'
const MAX_ROUND_TRIP_MS = 100
const PROBES = 50

let dir: string
let fifo: string
let hung: string
let good: string
let host: WebHost
let service: WorkbenchService
let api: ReturnType<typeof webApi>

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const HUNG_ARCHIVE_PY = `
import sys, h5py, numpy as np
path, fifo = sys.argv[1], sys.argv[2]
with h5py.File(path, 'w') as f:
    f.attrs['dataset_id'] = 'on_a_hung_share'
    f.attrs['hdmea_version'] = '0.1.0'
    f.create_dataset('units/unit_001/spike_times', data=np.arange(5, dtype='u8'))
    f.create_dataset('units/unit_002/spike_times', shape=(1000,), dtype='<f8', external=[(fifo, 0, 8000)])
`

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'archive-hung-'))
  fifo = join(dir, 'share-data.fifo')
  hung = join(dir, 'on_a_hung_share.h5')
  execFileSync('mkfifo', [fifo])
  try {
    execFileSync(PYTHON, ['-c', HUNG_ARCHIVE_PY, hung, fifo], { stdio: 'pipe' })
  } catch (err) {
    throw new Error(`This test needs h5py for ${PYTHON} (Debian python3-h5py) to write an archive with external storage: ${(err as Error).message}`)
  }
  const s = createSession({ datasetId: 'reachable', outputDir: dir })
  s.addUnits({ unit_001: group({ label: str('fine') }) })
  good = await s.save(join(dir, 'reachable.h5'))
  service = new WorkbenchService({ transport: 'web', workdir: dir, steps: STEPS })
  host = await startWebHost({ service })
  api = webApi(host)
}, 120_000)

afterAll(async () => {
  if (fifo) answerFifo(fifo)
  await host?.close()
  await service?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Descriptors of this process open on `path` (Linux /proc). */
function handlesOn(path: string): number {
  let n = 0
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++
    } catch {
      // closed meanwhile
    }
  }
  return n
}

describe('an archive on a share that never answers', () => {
  it('the backend answers within 100 ms while the resume waits, Cancel ends it, the next resume works', async () => {
    expect((await api('session.resume', { path: good })).result?.datasetId).toBe('reachable')
    const resuming = api('session.resume', { path: hung })
    await untilStuckOnFifo()

    const trips: number[] = []
    for (let i = 0; i < PROBES; i++) {
      const t0 = performance.now()
      const reply = await api('session.get')
      trips.push(performance.now() - t0)
      expect(reply.result?.datasetId).toBe('reachable')
      await sleep(20)
    }
    console.log(`hung resume: ${trips.length} requests, longest round trip ${Math.max(...trips).toFixed(1)} ms`)
    expect(Math.max(...trips)).toBeLessThan(MAX_ROUND_TRIP_MS)

    expect((await api('session.cancelOperation')).result).toEqual({ cancelled: true })
    const outcome = await resuming
    expect(outcome.ok).toBe(false)
    expect(outcome.error?.code).toBe('CANCELLED')
    expect((await api('session.get')).result?.datasetId).toBe('reachable')

    // The stuck thread was left behind: the next archive read gets another one.
    const again = await api('session.resume', { path: good })
    expect(again.ok).toBe(true)
    expect(again.result?.datasetId).toBe('reachable')

    // The abandoned thread is terminated after its grace period, still inside the call. Once the share
    // answers (here: the FIFO gets a writer) the call returns and the thread ends: no handle is left on
    // the archive.
    await sleep(CANCEL_GRACE_MS + 1000)
    expect(handlesOn(hung)).toBeGreaterThan(0)
    for (let i = 0; i < 600 && handlesOn(hung) > 0; i++) {
      answerFifo(fifo)
      await sleep(50)
    }
    expect(handlesOn(hung)).toBe(0)
  }, 180_000)
})
