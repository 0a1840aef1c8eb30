// The fixed start-up cost of a first load_recording on a small recording (the built-in demo pair, 12
// units, 145 s of analog light channel), each time in a fresh Node process. `npm run bench:startup`.
//
// 1. Through the web host (node out/main/web.js: the same backend as the desktop app), as a user would:
//    the host starts, the page opens the pair and runs load_recording. Three ways:
//      cold        pre-warm switched off (HDMEA_PREWARM=0): the step starts the worker threads itself
//      at once     the step is asked for the moment the host listens, while the pre-warm runs
//      pre-warmed  the step is asked once the pre-warm has logged that it finished, and 3 s more for the
//                  spare sensor reader thread started after it (as when the user takes a few seconds to
//                  pick the files)
//    Each prints seconds from process start to the step's end and from the step's request to its end,
//    and the CPU seconds the host spent on the step (all threads; Linux), which a busy machine
//    disturbs less than the wall time.
// 2. Where a cold start's time goes, from test/bench/startupProbe.mjs in a fresh process: worker thread
//    spawn, the worker's import of task.js, h5wasm's wasm compile and instantiate (main and worker), the
//    first file open against a later one.
// 3. The Python reference (hdmea) when /usr/bin/python3 can import it.
//
// HDMEA_BENCH_RUNS (default 3) runs per way; HDMEA_BENCH_CACHE (default <tmpdir>/hdmea-bench-startup)
// keeps the demo pair between runs; HDMEA_BENCH_BUILD measures another build's out/ folder (it must sit
// inside a checkout so that its imports find node_modules).

import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import WebSocket from 'ws'
import { ensureDemoRecording } from '../../src-main/demoSet'

const ROOT = resolve(import.meta.dirname, '../..')
/** The build to measure: out/ of this checkout, or HDMEA_BENCH_BUILD (another build's out/, for a before/after). */
const BUILD = resolve(process.env.HDMEA_BENCH_BUILD ?? join(ROOT, 'out'))
const WEB_JS = join(BUILD, 'main/web.js')
const TASK_JS = join(BUILD, 'main/task.js')
const PROBE = join(ROOT, 'test/bench/startupProbe.mjs')
const CACHE = process.env.HDMEA_BENCH_CACHE ?? join(tmpdir(), 'hdmea-bench-startup')
const RUNS = Math.max(1, Number(process.env.HDMEA_BENCH_RUNS ?? 3))
/** The log line the pre-warm writes when every thread is ready (src-main/workbench/service.ts). */
const WARM_LOG = /^Worker pool warm:/
/** Without a pre-warm log line (pre-warm off, or code without one) the "pre-warmed" run waits this long. */
const FALLBACK_WAIT_MS = 10_000

type Way = 'cold' | 'at once' | 'pre-warmed'

interface HostRun {
  ready: number
  warmLogged: number | null
  fromStart: number
  fromRequest: number
  stepSeconds: number
  /** CPU seconds the host process (all its threads) spent from the request to the end, or null off Linux. */
  stepCpu: number | null
}

/** After the pre-warm's line, this long for what starts after it (the spare sensor reader thread). */
const SETTLE_MS = 3000

/** CPU seconds (user + system, every thread) a process has used, from /proc (Linux); null elsewhere. */
function processCpu(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ')

async function api<T>(base: string, token: string, name: string, params: unknown): Promise<T> {
  const res = await fetch(`${base}/api/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-workbench-token': token },
    body: JSON.stringify(params),
  })
  const reply = (await res.json()) as { ok: boolean; result?: T; error?: { message: string } }
  if (!reply.ok) throw new Error(`${name}: ${reply.error?.message}`)
  return reply.result as T
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  child.kill('SIGTERM')
  return exited
}

async function hostRun(way: Way, demo: { cmcrPath: string; cmtrPath: string; dir: string }): Promise<HostRun> {
  const workdir = mkdtempSync(join(tmpdir(), 'hdmea-bench-startup-wd-'))
  const env = { ...process.env, ...(way === 'cold' ? { HDMEA_PREWARM: '0' } : {}) }
  const t0 = performance.now()
  const child = spawn(process.execPath, [WEB_JS, '--workdir', workdir, '--allow', demo.dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env })
  let out = ''
  child.stdout!.on('data', (d) => (out += String(d)))
  child.stderr!.on('data', (d) => (out += String(d)))
  try {
    const url = await new Promise<URL>((resolveUrl, reject) => {
      const check = () => {
        const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out)
        if (m) resolveUrl(new URL(m[1]))
      }
      child.stdout!.on('data', check)
      child.once('exit', (code) => reject(new Error(`web host exited with ${code}:\n${out}`)))
    })
    const ready = performance.now()
    const base = `${url.protocol}//${url.host}`
    const token = url.searchParams.get('token')!
    const ws = new WebSocket(`ws://${url.host}/ws`, ['workbench', `workbench.token.${token}`])
    const finished = new Map<string, { status: string; seconds: number; error?: { message: string } }>()
    const waiters = new Map<string, () => void>()
    ws.on('message', (data) => {
      const { event, payload } = JSON.parse(String(data))
      if (event !== 'job.finished') return
      finished.set(payload.jobId, payload)
      waiters.get(payload.jobId)?.()
    })
    await new Promise((r, j) => ws.once('open', r).once('error', j))

    let warmLogged: number | null = null
    if (way === 'pre-warmed') {
      // Until the pre-warm's line is in the log (a build without pre-warm: FALLBACK_WAIT_MS of idling).
      while (warmLogged === null && performance.now() - ready < FALLBACK_WAIT_MS) {
        const entries = await api<{ message: string }[]>(base, token, 'log.list', {})
        if (entries.some((e) => WARM_LOG.test(e.message))) warmLogged = performance.now()
        else await sleep(50)
      }
      if (warmLogged !== null) await sleep(SETTLE_MS)
    }

    await api(base, token, 'session.open', { cmcrPath: demo.cmcrPath, cmtrPath: demo.cmtrPath })
    const requested = performance.now()
    const cpu0 = processCpu(child.pid!)
    const job = await api<{ jobId: string }>(base, token, 'step.run', { stepId: 'load_recording', params: { cmcr_path: demo.cmcrPath, cmtr_path: demo.cmtrPath } })
    if (!finished.has(job.jobId)) await new Promise<void>((r) => waiters.set(job.jobId, r))
    const end = performance.now()
    const cpu1 = processCpu(child.pid!)
    const result = finished.get(job.jobId)!
    if (result.status !== 'done') throw new Error(`load_recording ${result.status}: ${result.error?.message ?? ''}`)
    ws.close()
    return { ready: ready - t0, warmLogged: warmLogged === null ? null : warmLogged - t0, fromStart: end - t0, fromRequest: end - requested, stepSeconds: result.seconds, stepCpu: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 }
  } finally {
    await stop(child)
    rmSync(workdir, { recursive: true, force: true })
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const sec = (ms: number) => (ms / 1000).toFixed(2)

function probeRun(demo: { cmcrPath: string; cmtrPath: string }): Record<string, number> {
  const r = spawnSync(process.execPath, [PROBE, TASK_JS, demo.cmcrPath, demo.cmtrPath], { cwd: ROOT, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`startupProbe failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop()!)
}

function pythonReference(): string {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import hdmea'], { encoding: 'utf8' })
  if (r.error || r.status !== 0) {
    return 'Python reference: not runnable here (/usr/bin/python3 cannot import hdmea); issue 12 gives 0.4 s for its first load_recording of a small file'
  }
  const t = spawnSync('/usr/bin/python3', ['-c', 'import time; t=time.time(); import hdmea; print(time.time()-t)'], { encoding: 'utf8' })
  return `Python reference: hdmea imports in ${Number(t.stdout).toFixed(2)} s; a load_recording through it is not scripted here`
}

async function main(): Promise<void> {
  const dir = join(CACHE, 'demo')
  const demo = { ...(await ensureDemoRecording(dir)), dir }
  console.log(`startup bench on ${BUILD}: ${RUNS} run(s) per way, ${availableParallelism()} cores, load average ${load()} (1, 5, 15 min)`)

  const ways: Way[] = ['cold', 'at once', 'pre-warmed']
  const results = new Map<Way, HostRun[]>()
  for (let i = 0; i < RUNS; i++) {
    for (const way of ways) {
      const r = await hostRun(way, demo)
      results.set(way, [...(results.get(way) ?? []), r])
      console.log(
        `  ${way.padEnd(10)} run ${i + 1}: host listening ${sec(r.ready)} s, ${way !== 'pre-warmed' ? 'pre-warm not waited for' : r.warmLogged === null ? `no pre-warm line in ${FALLBACK_WAIT_MS / 1000} s` : `pre-warm done ${sec(r.warmLogged)} s`}, ` +
          `load_recording done ${sec(r.fromStart)} s after process start, ${sec(r.fromRequest)} s after its request (step ${r.stepSeconds.toFixed(2)} s${r.stepCpu === null ? '' : `, CPU ${r.stepCpu.toFixed(2)} s`})`,
      )
    }
  }

  const probes = Array.from({ length: RUNS }, () => probeRun(demo))
  const part = (key: string) => median(probes.map((p) => p[key]))
  console.log('where a cold start goes (median ms of fresh processes, one thread):')
  console.log(`  worker thread spawn (empty thread to its first message)   ${part('emptyThread').toFixed(0)}`)
  console.log(`  worker thread boot (new Worker to its script's first line) ${part('threadBoot').toFixed(0)}`)
  console.log(`  worker import of task.js (h5wasm's 4 MB glue included)    ${part('taskImport').toFixed(0)}`)
  console.log(`  worker h5wasm compile + instantiate (after the import)    ${part('workerInstantiate').toFixed(0)}`)
  console.log(`  h5wasm alone in a fresh process: import / compile + inst. ${part('mainImport').toFixed(0)} / ${part('mainInstantiate').toFixed(0)}`)
  console.log(`  first .cmcr + .cmtr open and summary / the same again     ${part('firstOpen').toFixed(0)} / ${part('againOpen').toFixed(0)}`)
  console.log(`  new Worker() holds the main thread                         ${part('newWorkerBlocksMainMs').toFixed(1)}`)
  console.log(pythonReference())

  const m = (way: Way, key: 'fromStart' | 'fromRequest') => sec(median(results.get(way)!.map((r) => r[key])))
  const cpu = (way: Way) => {
    const xs = results.get(way)!.map((r) => r.stepCpu)
    return xs.every((x) => x !== null) ? `; CPU ${median(xs as number[]).toFixed(2)} s` : ''
  }
  console.log(`load average at the end ${load()}`)
  console.log(
    `startup: first load_recording (demo pair), median of ${RUNS}: cold ${m('cold', 'fromRequest')} s from request (${m('cold', 'fromStart')} s from process start${cpu('cold')}), ` +
      `at once ${m('at once', 'fromRequest')} s (${m('at once', 'fromStart')} s${cpu('at once')}), pre-warmed ${m('pre-warmed', 'fromRequest')} s (${cpu('pre-warmed').slice(2)})`,
  )
}

await main()
