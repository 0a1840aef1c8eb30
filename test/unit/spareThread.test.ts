// A thread started ahead of need: the job that takes it gets that very thread, a spare that cannot
// start is dropped, a waiting spare never keeps the process alive, and the electrical-image run's
// sensor reader takes the spare the workbench prepared (and, kept warm, prepares the next one).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { SpareThread } from '../../src-worker/spareThread'
import { openSensorReader, prepareSensorReader, spareSensorReaderThreadId } from '../../src-worker/eimage/readerThread'

const dir = mkdtempSync(join(tmpdir(), 'wb-spare-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A thread script that answers every message with its thread id. */
const echo = join(dir, 'echo.mjs')
writeFileSync(echo, "import { parentPort, threadId } from 'node:worker_threads'\nparentPort.on('message', () => parentPort.postMessage(threadId))\n")

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 10))
}

describe('SpareThread', () => {
  it('hands the waiting spare itself to the job, then starts threads as usual', async () => {
    const spare = new SpareThread(() => echo)
    spare.prepare()
    const id = spare.threadId
    expect(id).not.toBeNull()
    spare.prepare() // one spare at a time
    expect(spare.threadId).toBe(id)
    const worker = spare.take()
    expect(worker.threadId).toBe(id)
    expect(spare.waiting).toBe(false)
    const answer = new Promise((r) => worker.once('message', r))
    worker.postMessage('who')
    expect(await answer).toBe(id)
    const next = spare.take() // no spare waiting: a new thread
    expect(next.threadId).not.toBe(id)
    await Promise.all([worker.terminate(), next.terminate()])
  })

  it('drops a spare whose script fails, and one whose script cannot be found is never started', async () => {
    const broken = join(dir, 'broken.mjs')
    writeFileSync(broken, "throw new Error('no such reader')\n")
    const spare = new SpareThread(() => broken)
    spare.prepare()
    expect(spare.waiting).toBe(true)
    await until(() => !spare.waiting)
    const missing = new SpareThread(() => {
      throw new Error('not built')
    })
    missing.prepare()
    expect(missing.waiting).toBe(false)
  })

  it('a waiting spare does not keep a process alive', () => {
    const script = `import { SpareThread } from ${JSON.stringify(resolve('src-worker/spareThread.ts'))}\nnew SpareThread(() => ${JSON.stringify(echo)}).prepare()\n`
    const file = join(dir, 'exits.mts')
    writeFileSync(file, script)
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 60_000 })
    expect(r.signal).toBeNull() // not killed by the timeout: it ended on its own
    expect(r.status).toBe(0)
  })
})

describe('the sensor reader spare', () => {
  it('a run takes the prepared reader thread; kept warm, the next one is prepared when the run ends', async () => {
    const sensor = { path: '/Acquisition/Sensor Data/SensorData 1 1', frames: 10, shape: [10, 65, 65], dtype: 'int16' } as any
    const open = () => openSensorReader({ path: join(dir, 'absent.cmcr'), sensor, maxFrames: 10, store: new SharedArrayBuffer(64) })
    prepareSensorReader()
    const first = spareSensorReaderThreadId()
    expect(first).not.toBeNull()
    await expect(open()).rejects.toThrow(/absent\.cmcr/) // the open fails in the taken thread
    expect(spareSensorReaderThreadId()).toBeNull() // taken, and not replaced without keep

    prepareSensorReader({ keep: true })
    const second = spareSensorReaderThreadId()
    expect(second).not.toBeNull()
    expect(second).not.toBe(first)
    await expect(open()).rejects.toThrow(/absent\.cmcr/)
    const third = spareSensorReaderThreadId()
    expect(third).not.toBeNull() // the failed run left a fresh spare for the next
    expect(third).not.toBe(second)
  })
})
