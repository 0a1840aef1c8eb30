// A recording on a share that stops answering: the backend keeps answering and Cancel works.
//
// The recording is a pair of FIFOs named like a .cmcr and its .cmtr: opening one for reading waits for
// a writer that never comes, as a read from a hung network share waits for the server. The real web
// host (node out/main/web.js, the backend of the browser mode, the same service as the desktop app's)
// runs in a child process; while a step is stuck on the FIFO, this test sends a cheap request every
// ~20 ms and asserts each round trip stays under 100 ms (issue 12), then cancels and asserts the step
// ends cancelled with the session unchanged. At the end the FIFOs are opened for writing and closed,
// so every thread still waiting on them gets end-of-file and the host can exit.
//
// On the FIFO pair those steps get stuck in a pool task (the .cmcr summary comes first). To get the
// electrical-image step stuck in its sensor reader thread's slab read, a real generated pair has its
// sensor dataset stored externally in a FIFO (HDF5 external storage). The reader thread is also tested
// on its own, in this process: stuck opening the .cmcr, it must leave the main thread's event loop free
// and let Cancel end the run at once.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createTaskPool } from '../../src-main/pool/taskPool'
import type { JobFinished, JobInfo, JobProgress, SessionSnapshot } from '../../src-shared/contract'
import { CancelledError } from '../../src-shared/errors'
import { computeEimageSta } from '../../src-worker/eimage/engine'
import type { SensorInfo } from '../../src-worker/mcs/cmcrReader'
import { generateRecording } from '../../src-worker/synthetic/generator'
import { answerFifo, threadsWaitingOnFifo, untilStuckOnFifo } from '../fixtures/fifo'

const WEB_JS = resolve(import.meta.dirname, '../../out/main/web.js')
const PYTHON = '/usr/bin/python3'
/** The bound on a request round trip while a read hangs. */
const MAX_ROUND_TRIP_MS = 100
const PROBE_MS = 1500
/** A request that takes longer than this counts as this long (the old code never answered at all). */
const REQUEST_TIMEOUT_MS = 5000

let dir: string
let cmcr: string
let cmtr: string
let child: ChildProcess
let base: string
let token: string
let socket: WebSocket
const finished: JobFinished[] = []
const progress: JobProgress[] = []
/** A real .cmcr/.cmtr pair whose sensor dataset is stored in an external file, a FIFO (HDF5 external storage). */
let external: { cmcr: string; cmtr: string; sensor: string }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function request<T>(name: string, params: unknown = {}, host: { base: string; token: string } = { base, token }): Promise<T> {
  const res = await fetch(`${host.base}/api/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-workbench-token': host.token },
    body: JSON.stringify(params),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  }).catch((err) => {
    throw new Error(`${name}: the backend did not answer within ${REQUEST_TIMEOUT_MS} ms (${err.name})`)
  })
  const body = (await res.json()) as { ok: boolean; result?: T; error?: { message: string } }
  if (!body.ok) throw new Error(`${name}: ${body.error?.message}`)
  return body.result as T
}

/** Cheap requests every ~20 ms for PROBE_MS; the round trip of each (REQUEST_TIMEOUT_MS if unanswered). */
async function probeRoundTrips(): Promise<number[]> {
  const trips: number[] = []
  const end = performance.now() + PROBE_MS
  while (performance.now() < end) {
    const t0 = performance.now()
    await request('session.get').catch(() => undefined)
    trips.push(Math.min(REQUEST_TIMEOUT_MS, performance.now() - t0))
    await sleep(20)
  }
  return trips
}

async function finishedEvent(jobId: string): Promise<JobFinished> {
  for (let i = 0; i < 600; i++) {
    const e = finished.find((f) => f.jobId === jobId)
    if (e) return e
    await sleep(50)
  }
  throw new Error(`job ${jobId} did not finish within 30 s of its cancel`)
}

/** Gives every thread of `pid` waiting on the FIFOs a writer that closes at once: they read end-of-file. */
async function releaseFifos(fifos: string[], pid: number | undefined): Promise<void> {
  for (let i = 0; i < 100; i++) {
    for (const fifo of fifos) answerFifo(fifo)
    if (pid === undefined || (pid === child?.pid && child.exitCode !== null) || threadsWaitingOnFifo(pid) === 0) return
    await sleep(50)
  }
}

/** Rewrites the sensor dataset of `cmcr` as one stored externally in `fifo`, with the same shape, type and attributes. */
const EXTERNAL_SENSOR_PY = `
import sys, h5py
cmcr, fifo = sys.argv[1], sys.argv[2]
with h5py.File(cmcr, 'r+') as f:
    name = 'Acquisition/Sensor Data/SensorData 1 1'
    old = f[name]
    attrs = {k: old.attrs[k] for k in old.attrs}
    shape, dtype = old.shape, old.dtype
    del f[name]
    ds = f.create_dataset(name, shape=shape, dtype=dtype, external=[(fifo, 0, h5py.h5f.UNLIMITED)])
    for k, v in attrs.items():
        ds.attrs[k] = v
`

/**
 * A generated pair whose sensor movie is read from a FIFO: everything but the movie reads normally, and
 * the first slab read waits for a writer, as a read from a share that stopped answering mid-file. (The
 * dataset's old bytes stay in the file, so its declared size still fits the file.)
 */
async function sensorMovieInFifo(folder: string): Promise<{ cmcr: string; cmtr: string; sensor: string }> {
  const rec = await generateRecording({ dir: join(folder, 'external'), stem: 'rec', seed: 9, analogDurationS: 0.5, sensorDurationS: 0.3, nUnits: 3, baseRateHz: 40 })
  const sensor = join(folder, 'external', 'sensor.fifo')
  execFileSync('mkfifo', [sensor])
  try {
    execFileSync(PYTHON, ['-c', EXTERNAL_SENSOR_PY, rec.cmcrPath, sensor], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (err) {
    throw new Error(`This test needs h5py for ${PYTHON} (Debian python3-h5py) to store a sensor movie externally: ${(err as Error).message}`)
  }
  return { cmcr: rec.cmcrPath, cmtr: rec.cmtrPath, sensor }
}

/** Starts the web host on `workdir` in a child process; its address and token. */
async function startHost(workdir: string): Promise<{ child: ChildProcess; base: string; token: string; output: () => string }> {
  const host = spawn(process.execPath, [WEB_JS, '--workdir', workdir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  host.stdout!.on('data', (d) => (out += String(d)))
  host.stderr!.on('data', (d) => (out += String(d)))
  const url = await new Promise<URL>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`web host did not start within 30 s:\n${out}`)), 30_000)
    host.stdout!.on('data', () => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolveUrl(new URL(m[1]))
      }
    })
    host.once('exit', (code) => reject(new Error(`web host exited with ${code}:\n${out}`)))
  })
  return { child: host, base: `${url.protocol}//${url.host}`, token: url.searchParams.get('token')!, output: () => out }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hung-share-'))
  cmcr = join(dir, 'hung.cmcr')
  cmtr = join(dir, 'hung.cmtr')
  execFileSync('mkfifo', [cmcr, cmtr])
  external = await sensorMovieInFifo(dir)
  ;({ child, base, token } = await startHost(dir))
  socket = new WebSocket(`ws://${new URL(base).host}/ws`, ['workbench', `workbench.token.${token}`])
  socket.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { event: string; payload: unknown }
    if (msg.event === 'job.finished') finished.push(msg.payload as JobFinished)
    if (msg.event === 'job.progress') progress.push(msg.payload as JobProgress)
  })
  await new Promise<void>((r, reject) => {
    socket.once('open', () => r())
    socket.once('error', reject)
  })
}, 60_000)

afterAll(async () => {
  socket?.close()
  if (cmcr) await releaseFifos([cmcr, cmtr, ...(external ? [external.sensor] : [])], child?.pid)
  if (child && child.exitCode === null) {
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    await exited
    clearTimeout(timer)
  }
  if (dir) rmSync(dir, { recursive: true, force: true })
}, 60_000)

/**
 * Runs `stepId` on the session's files, which hang: while it is stuck, cheap requests answer within the
 * bound; then Cancel ends it cancelled and the session is as `before`. Returns the job's id.
 */
async function answersWhileStuckAndCancels(stepId: string, params: Record<string, unknown>, before: SessionSnapshot): Promise<string> {
  const job = await request<JobInfo>('step.run', { stepId, params })
  await untilStuckOnFifo(child.pid!)
  const trips = await probeRoundTrips()
  // Still running: the step really is waiting on the file, it did not fail early.
  expect(finished.find((f) => f.jobId === job.jobId)).toBeUndefined()
  expect((await request<SessionSnapshot>('session.get')).runningJob?.jobId).toBe(job.jobId)
  expect(trips.length).toBeGreaterThan(10)
  expect(Math.max(...trips)).toBeLessThan(MAX_ROUND_TRIP_MS)

  expect(await request('job.cancel', { jobId: job.jobId })).toEqual({ cancelled: true })
  const end = await finishedEvent(job.jobId)
  expect(end.status).toBe('cancelled')
  const after = await request<SessionSnapshot>('session.get')
  expect(after.runningJob).toBeNull()
  expect(after.datasetId).toBe(before.datasetId)
  expect(after.unitCount).toBe(0)
  expect(after.completedSteps).toEqual([])
  expect(after.warnings).toEqual(before.warnings)
  expect(after.modifiedSinceSave).toBe(before.modifiedSinceSave)
  return job.jobId
}

describe('a recording whose reads never answer', () => {
  it('opens as a session (only the names and kinds of FIFOs named like a .cmcr and its .cmtr are checked)', async () => {
    const snap = await request<SessionSnapshot>('session.open', { cmcrPath: cmcr, cmtrPath: cmtr })
    expect(snap.unitCount).toBe(0)
    expect(snap.completedSteps).toEqual([])
  })

  for (const stepId of ['load_recording_with_eimage_sta', 'load_recording']) {
    it(`${stepId} stuck opening the FIFO pair: requests are answered within ${MAX_ROUND_TRIP_MS} ms, and Cancel ends it with the session unchanged`, async () => {
      const before = await request<SessionSnapshot>('session.get')
      await answersWhileStuckAndCancels(stepId, { cmcr_path: cmcr, cmtr_path: cmtr }, before)
      // The share answers again (end-of-file): the abandoned threads get it and end.
      await releaseFifos([cmcr, cmtr], child.pid)
      expect(threadsWaitingOnFifo(child.pid!) ?? 0).toBe(0)
    }, 120_000)
  }

  it(`load_recording_with_eimage_sta stuck in the sensor reader thread's slab read (a real pair whose sensor movie lies in a FIFO): the same`, async () => {
    const before = await request<SessionSnapshot>('session.open', { cmcrPath: external.cmcr, cmtrPath: external.cmtr })
    const jobId = await answersWhileStuckAndCancels('load_recording_with_eimage_sta', { cmcr_path: external.cmcr, cmtr_path: external.cmtr, duration_s: 0.2 }, before)
    // It got past load_recording and the spike sets: the wait was in the sensor stream.
    expect(progress.some((p) => p.jobId === jobId && p.message?.startsWith('Streaming the sensor movie'))).toBe(true)
    await releaseFifos([external.sensor], child.pid)
    expect(threadsWaitingOnFifo(child.pid!) ?? 0).toBe(0)
  }, 120_000)

  it('exits cleanly afterwards: no thread is left stuck', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  }, 60_000)
})

describe('the eimage sensor reader thread stuck opening its .cmcr', () => {
  const SENSOR: SensorInfo = {
    path: '/Acquisition/Sensor Data/SensorData 1 1',
    frames: 2000,
    rows: 65,
    cols: 65,
    dtype: '<h',
    axisOrder: 'time,col,row',
    shape: [2000, 65, 65],
    fromUs: null,
    tickUs: 50,
  }

  it(`keeps the main thread's event loop turning (gaps under ${MAX_ROUND_TRIP_MS} ms) and ends the run at once on cancel`, async () => {
    const fifo = join(dir, 'reader.cmcr')
    execFileSync('mkfifo', [fifo])
    // Frees this process after 20 s should the read run on the main thread (as it once did), so the
    // test fails instead of hanging.
    const watchdog = spawn('timeout', ['60', 'sh', '-c', 'sleep 20 && exec 3>"$0"', fifo], { stdio: 'ignore' })
    const pool = createTaskPool({ threads: 1 })
    try {
      const ac = new AbortController()
      const run = computeEimageSta(
        { cmcr: { path: fifo, sensor: SENSOR }, totalSamples: 2000, samplingRate: 20000, pre: 10, post: 40, cutoffHz: 100, filterOrder: 2, mode: 'none', units: [{ id: 'unit_001', spikes: [100, 900] }], slabBytes: 1 << 20 },
        { pool, signal: ac.signal },
      )
      run.catch(() => undefined)
      // From the end of the run's synchronous set-up (planning, starting the thread): the file is opened
      // after it, on the main thread in the old engine.
      const ticks: number[] = []
      const timer = setInterval(() => ticks.push(performance.now()), 10)
      const t0 = performance.now()
      const stuck = await untilStuckOnFifo(process.pid).then(
        () => true,
        () => false,
      )
      await sleep(PROBE_MS)
      clearInterval(timer)
      const points = [t0, ...ticks, performance.now()]
      const longestGap = Math.max(...points.slice(1).map((t, i) => t - points[i]))
      expect(longestGap).toBeLessThan(MAX_ROUND_TRIP_MS)
      expect(stuck).toBe(true)

      let settled = false
      run.finally(() => (settled = true)).catch(() => undefined)
      ac.abort()
      // Rejected within the same turn of the event loop: nothing waits for the stuck thread.
      await sleep(0)
      expect(settled).toBe(true)
      await expect(run).rejects.toBeInstanceOf(CancelledError)

      await releaseFifos([fifo], process.pid)
      expect(threadsWaitingOnFifo(process.pid) ?? 0).toBe(0)
    } finally {
      watchdog.kill()
      await pool.destroy()
    }
  }, 120_000)
})

describe('quitting while a cancelled read still hangs', () => {
  it('the web host ends on SIGTERM instead of waiting for the stuck thread, and logs why', async () => {
    const folder = join(dir, 'quit')
    execFileSync('mkdir', [folder])
    const fifos = [join(folder, 'stuck.cmcr'), join(folder, 'stuck.cmtr')]
    execFileSync('mkfifo', fifos)
    const host = await startHost(folder)
    try {
      await request('session.open', { cmcrPath: fifos[0], cmtrPath: fifos[1] }, host)
      const job = await request<JobInfo>('step.run', { stepId: 'load_recording', params: { cmcr_path: fifos[0], cmtr_path: fifos[1] } }, host)
      await untilStuckOnFifo(host.child.pid!)
      expect(await request('job.cancel', { jobId: job.jobId }, host)).toEqual({ cancelled: true })
      for (let i = 0; i < 600 && (await request<SessionSnapshot>('session.get', {}, host)).runningJob; i++) await sleep(50)
      // The pool's thread is still inside open() on the FIFO: Node's exit would wait for it forever.
      expect(threadsWaitingOnFifo(host.child.pid!) ?? 1).toBeGreaterThan(0)

      const exited = new Promise<string>((r) => host.child.once('exit', (code, signal) => r(String(signal ?? code))))
      host.child.kill('SIGTERM')
      const how = await Promise.race([exited, sleep(30_000).then(() => 'still running 30 s after SIGTERM')])
      expect(how).toBe('SIGKILL')
      expect(host.output()).toMatch(/\d+ threads? (is|are) still waiting on a file that does not answer/)
    } finally {
      if (host.child.exitCode === null && host.child.signalCode === null) host.child.kill('SIGKILL')
      await releaseFifos(fifos, undefined)
    }
  }, 120_000)
})
