// Electrical-image STA at the speed of the disk? Run with `npm run bench:eimage`.
//
// Generates (once, cached) a 65 x 65 recording of EIMAGE_BENCH_SECONDS (default 10 s, 1.7 GB of
// sensor data) with EIMAGE_BENCH_UNITS (default 100) units, then prints:
//   (a) plain read throughput of the sensor movie with the engine's slab size and reader,
//   (b) eimage STA throughput (all workers), (c) their ratio, (d) peak RSS of the eimage run (the
//   process with its worker threads), (e) the speed-up from 1 worker to all, and last
//   `eimage/read ratio: <x>`.
// Each measurement runs in a fresh child process, so its peak RSS (getrusage maxrss, all threads) is
// its own. Cache folder: EIMAGE_BENCH_DIR, default <tmp>/hdmea-bench-cache/eimage-<s>s-<units>u.

import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTaskPool } from '../../src-main/pool/taskPool'
import { computeEimageSta, type EimageProfile } from '../../src-worker/eimage/engine'
import { prepareSensorReader } from '../../src-worker/eimage/readerThread'
import { DEFAULT_SLAB_BYTES, slabFramesFor } from '../../src-worker/eimage/plan'
import { openSensorSlabs } from '../../src-worker/eimage/sensorSlabs'
import { openCmcr } from '../../src-worker/mcs/cmcrReader'
import { generateRecording, type RecordingTruth } from '../../src-worker/synthetic/generator'

const SECONDS = Number(process.env.EIMAGE_BENCH_SECONDS ?? 10)
const UNITS = Number(process.env.EIMAGE_BENCH_UNITS ?? 100)
const SLAB_BYTES = Number(process.env.EIMAGE_BENCH_SLAB_MB ?? DEFAULT_SLAB_BYTES / 2 ** 20) * 2 ** 20
const DIR = process.env.EIMAGE_BENCH_DIR ?? join(tmpdir(), 'hdmea-bench-cache', `eimage-${SECONDS}s-${UNITS}u`)
const CMCR = join(DIR, 'bench.cmcr')
const TRUTH = join(DIR, 'bench.truth.json')
const MB = 1e6
/** Phase timing per thread (a few performance.now() calls per electrode block; off with EIMAGE_BENCH_PROFILE=0). */
const PROFILE = process.env.EIMAGE_BENCH_PROFILE !== '0'
/** Runs per configuration; the best is reported. */
const REPEATS = Number(process.env.EIMAGE_BENCH_REPEATS ?? 2)

interface Measure {
  seconds: number
  /** CPU seconds of the whole process (all threads) during the measured part. */
  cpuSeconds: number
  bytes: number
  maxRss: number
  simd?: boolean
  overlap?: number
  bound?: number
  profile?: EimageProfile
  /** CPU milliseconds per OS thread id during the measured part (Linux /proc; the breakdown of cpuSeconds). */
  threads?: Record<string, { name: string; ms: number }>
}

/** CPU nanoseconds of every thread of this process by tid, with its name (Linux; empty elsewhere). */
function threadTimes(): Map<string, { name: string; ns: number }> {
  const out = new Map<string, { name: string; ns: number }>()
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const ns = Number.parseInt(readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1'), 10)
        out.set(tid, { name: readFileSync(`/proc/self/task/${tid}/comm`, 'latin1').trim(), ns })
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return out
}

/** CPU ms per thread between two snapshots (threads that started in between count from 0). */
function threadDelta(before: Map<string, { name: string; ns: number }>, after: Map<string, { name: string; ns: number }>): Record<string, { name: string; ms: number }> {
  const out: Record<string, { name: string; ms: number }> = {}
  for (const [tid, t] of after) out[tid] = { name: t.name, ms: (t.ns - (before.get(tid)?.ns ?? 0)) / 1e6 }
  return out
}

const fmt = (n: number, digits = 1) => n.toFixed(digits)

async function ensureRecording(): Promise<RecordingTruth> {
  if (existsSync(CMCR) && existsSync(TRUTH)) return JSON.parse(readFileSync(TRUTH, 'utf8')) as RecordingTruth
  mkdirSync(DIR, { recursive: true })
  const t0 = performance.now()
  console.log(`generating ${SECONDS} s x 65 x 65 with ${UNITS} units in ${DIR} ...`)
  const gen = await generateRecording({ dir: DIR, stem: 'bench', seed: 2026, analogDurationS: SECONDS + 0.5, sensorDurationS: SECONDS, nUnits: UNITS, baseRateHz: 8 })
  console.log(`generated in ${fmt((performance.now() - t0) / 1000)} s`)
  return gen.truth
}

function spikesOf(truth: RecordingTruth): number[][] {
  return truth.units.map((u) => u.spikeTimesUs!.map((us) => Math.round((us * truth.samplingRate) / 1e6)).filter((_, i) => u.include![i] === 1))
}

/** Child: plain read of the whole movie, best of two passes after a warm-up pass. */
async function childRead(): Promise<Measure> {
  const cmcr = await openCmcr(CMCR)
  try {
    const sensor = cmcr.sensor!
    const frameSize = sensor.shape[1] * sensor.shape[2]
    const slabFrames = slabFramesFor(SLAB_BYTES, frameSize, 20)
    const target = new Int16Array(new SharedArrayBuffer(slabFrames * frameSize * 2))
    const pass = async () => {
      const source = await openSensorSlabs(cmcr, slabFrames)
      const t0 = performance.now()
      try {
        for (let a = 0; a < sensor.frames; a += slabFrames) source.readInto(a, Math.min(sensor.frames, a + slabFrames), target)
      } finally {
        source.close()
      }
      return (performance.now() - t0) / 1000
    }
    await pass()
    const c0 = process.cpuUsage()
    const seconds = Math.min(await pass(), await pass())
    const cu = process.cpuUsage(c0)
    return { seconds, cpuSeconds: (cu.user + cu.system) / 2e6, bytes: sensor.frames * frameSize * 2, maxRss: process.resourceUsage().maxRSS * 1024 }
  } finally {
    cmcr.close()
  }
}

/** Child: one eimage run with `threads` workers (the engine's default electrode ranges). */
async function childEimage(threads: number): Promise<Measure> {
  const truth = JSON.parse(readFileSync(TRUTH, 'utf8')) as RecordingTruth
  const spikes = spikesOf(truth)
  const cmcr = await openCmcr(CMCR)
  const pool = createTaskPool({ threads })
  try {
    // Boot the workers outside the timing (module load happens once per thread); the reader thread
    // is started ahead too (a spare, as the workbench starts one).
    prepareSensorReader()
    await Promise.all(Array.from({ length: threads * 2 }, () => pool.run('workerInfo', {})))
    const sensor = cmcr.sensor!
    const c0 = process.cpuUsage()
    const t0 = threadTimes()
    const res = await computeEimageSta(
      {
        cmcr,
        totalSamples: sensor.frames,
        samplingRate: truth.samplingRate,
        pre: 10,
        post: 40,
        cutoffHz: 100,
        filterOrder: 2,
        mode: 'none',
        units: truth.units.map((u, i) => ({ id: u.id, spikes: spikes[i] })),
        slabBytes: SLAB_BYTES,
        profile: PROFILE,
      },
      { pool },
    )
    const cu = process.cpuUsage(c0)
    const perThread = threadDelta(t0, threadTimes())
    return { seconds: res.seconds, cpuSeconds: (cu.user + cu.system) / 1e6, bytes: res.bytesRead, maxRss: process.resourceUsage().maxRSS * 1024, simd: res.simd, overlap: res.overlap, bound: res.memoryBoundBytes, profile: res.profile, threads: perThread }
  } finally {
    await pool.destroy()
    cmcr.close()
  }
}

/**
 * The children run this file bundled for plain node: under tsx, loading h5wasm alone costs about
 * 630 MB of RSS (tsx's handling of its large inlined module), which would swamp the figure measured.
 */
async function bundleForChildren(): Promise<string> {
  const { build } = await import('esbuild')
  // Inside the project (out/ is build output) so that its packages resolve.
  const outfile = join(process.cwd(), 'out', 'bench', `eimage-child-${process.pid}.mjs`)
  await build({ entryPoints: [fileURLToPath(import.meta.url)], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile, logLevel: 'error' })
  return outfile
}

let childScript = ''

function runChild(args: string[]): Measure {
  const flags = (process.env.EIMAGE_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean)
  const out = execFileSync(process.execPath, [...flags, childScript, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() })
  const line = out.trim().split('\n').pop()!
  return JSON.parse(line) as Measure
}

async function main(): Promise<void> {
  const truth = await ensureRecording()
  const sensorFrames = truth.sensorFrames
  const frameSize = truth.sensorGrid * truth.sensorGrid
  const bytes = sensorFrames * frameSize * 2
  const nSpikes = spikesOf(truth).reduce((n, s) => n + s.filter((x) => x < sensorFrames).length, 0)
  const all = availableParallelism()
  console.log(`recording: ${sensorFrames} frames (${fmt(sensorFrames / truth.samplingRate, 2)} s), ${fmt(bytes / MB, 0)} MB sensor data, ${UNITS} units, ${nSpikes} spikes in the span`)
  console.log(`slab: ${slabFramesFor(SLAB_BYTES, frameSize, 20)} frames (${fmt(SLAB_BYTES / MB, 1)} MB), cores: ${all}, load average before: ${loadavg().map((x) => fmt(x, 2)).join(' ')}`)

  childScript = await bundleForChildren()
  try {
    await measureAll(bytes, all)
  } finally {
    rmSync(childScript, { force: true })
  }
}

async function measureAll(bytes: number, all: number): Promise<void> {
  void bytes
  const la = () => fmt(loadavg()[0], 2)
  const read = runChild(['--child', 'read'])
  console.log(`(a) plain read:        ${fmt(read.bytes / MB / read.seconds)} MB/s (${fmt(read.seconds, 2)} s, best of 2 warm passes; load ${la()})`)
  const readMBs = read.bytes / MB / read.seconds
  // Alternate the configurations so a burst of load on the machine hits both alike.
  const manyRuns: Measure[] = []
  const oneRuns: Measure[] = []
  const manyLoads: number[] = []
  const oneLoads: number[] = []
  for (let r = 0; r < REPEATS; r++) {
    manyLoads.push(loadavg()[0])
    manyRuns.push(runChild(['--child', 'eimage', String(all)]))
    if (all > 1) {
      oneLoads.push(loadavg()[0])
      oneRuns.push(runChild(['--child', 'eimage', '1']))
    }
  }
  if (all === 1) {
    oneRuns.push(...manyRuns)
    oneLoads.push(...manyLoads)
  }
  const fastest = (runs: Measure[]) => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a))
  const thriftiest = (runs: Measure[]) => runs.reduce((a, b) => (b.cpuSeconds < a.cpuSeconds ? b : a))
  const many = fastest(manyRuns)
  const one = fastest(oneRuns)
  const eimageMBs = many.bytes / MB / many.seconds
  const oneMBs = one.bytes / MB / one.seconds
  const loads = (l: number[]) => l.map((x) => fmt(x, 1)).join(', ')
  const nsPerSample = (m: Measure) => (m.cpuSeconds * 1e9) / (m.bytes / 2)
  const runsText = (runs: Measure[], l: number[]) => runs.map((m, i) => `${fmt(m.seconds, 2)} s / ${fmt(nsPerSample(m), 2)} ns at load ${fmt(l[i], 1)}`).join('; ')

  console.log(`(b) eimage STA:        ${fmt(eimageMBs)} MB/s (${fmt(many.seconds, 2)} s, best of ${REPEATS}, ${all} workers, ${many.simd ? 'SIMD kernels' : 'plain loops'}, backward overlap ${many.overlap} samples)`)
  console.log(`(c) eimage / read:     ${fmt(eimageMBs / readMBs, 2)}`)
  console.log(`(d) peak RSS:          ${fmt(many.maxRss / MB, 0)} MB (eimage process with its worker threads; its shared buffers ${fmt(many.bound! / MB, 0)} MB; plain-read process ${fmt(read.maxRss / MB, 0)} MB)`)
  console.log(`(e) 1 -> ${all} workers:     ${fmt(oneMBs)} -> ${fmt(eimageMBs)} MB/s, speed-up ${fmt(one.seconds / many.seconds, 2)}x`)
  console.log(`    runs (wall / CPU ns per sample, all threads): ${all} workers: ${runsText(manyRuns, manyLoads)}; 1 worker: ${runsText(oneRuns, oneLoads)}`)
  console.log(`    load average now: ${loadavg().map((x) => fmt(x, 2)).join(' ')} (before the runs: ${loads(manyLoads)} / ${loads(oneLoads)}; other processes share the ${all} cores)`)
  // Wall-clock figures depend on what else runs; CPU time per sample much less so.
  const cpuMany = thriftiest(manyRuns)
  const cpuOne = thriftiest(oneRuns)
  console.log(`    CPU time (least of the runs): read ${fmt(nsPerSample(read), 2)} ns/sample, eimage ${fmt(nsPerSample(cpuMany), 2)} ns/sample with ${all} workers, ${fmt(nsPerSample(cpuOne), 2)} with 1 worker (all threads of the process)`)
  const cpuSpeedup = Math.min(all, (nsPerSample(cpuOne) * all) / nsPerSample(cpuMany))
  // Capped by the reader's CPU time per sample, not the measured read (which other load slows too).
  console.log(`    if the ${all} cores were free: eimage about ${fmt(Math.min(2e3 / nsPerSample(read), (2e3 / nsPerSample(cpuMany)) * all))} MB/s, speed-up 1 -> ${all} about ${fmt(cpuSpeedup, 2)}x (from CPU time, not a measurement)`)
  for (const [label, m] of [[`${all} workers`, cpuMany], ['1 worker', cpuOne]] as const) {
    if (!m.profile || !m.threads) continue
    const samples = m.bytes / 2
    const ns = (ms: number) => fmt((ms * 1e6) / samples, 2)
    const p = m.profile
    const cpuOf = (tid: string | number | null) => (tid === null ? 0 : (m.threads![String(tid)]?.ms ?? 0))
    const workerTids = Object.keys(p.workers)
    const other = Object.entries(m.threads).filter(([tid]) => tid !== String(p.mainThread) && tid !== String(p.readerThread) && !workerTids.includes(tid))
    const byName = new Map<string, number>()
    for (const [, t] of other) byName.set(t.name, (byName.get(t.name) ?? 0) + t.ms)
    const names = [...byName].sort((x, y) => y[1] - x[1]).map(([n, ms]) => `${n} ${ns(ms)}`).join(', ')
    // The reader thread has ended by the time the threads are listed; it reports its own CPU time.
    const reader = p.readerCpu !== null ? `reader thread ${ns(p.readerCpu)} (reading slabs ${ns(p.read)} wall), ` : ''
    console.log(`    ${label}, CPU ns per sample of the movie by thread: ${reader}main ${ns(cpuOf(p.mainThread))}${reader ? '' : ` (reading slabs ${ns(p.read)} wall)`}, workers ${workerTids.map((t) => ns(cpuOf(t))).join(' + ')}, ${other.length} other threads (V8, libuv) ${ns(other.reduce((n, [, t]) => n + t.ms, 0))}: ${names}`)
    for (const tid of workerTids) {
      const w = p.workers[tid]
      const wall = w.regroup + w.forward + w.backward + w.sums + w.other
      const scale = wall > 0 ? cpuOf(tid) / wall : 0
      const share = (x: number) => ns(x * scale)
      console.log(`      worker ${tid} phases (the thread's CPU split by the phases' wall-time shares): regroup ${share(w.regroup)}, forward ${share(w.forward)}, backward ${share(w.backward)}, sums ${share(w.sums)}, other ${share(w.other)}`)
    }
  }
  console.log(`eimage/read ratio: ${fmt(eimageMBs / readMBs, 2)}`)
  console.log(`eimage cpu: ${fmt(nsPerSample(cpuOne), 2)} ns/sample (1 worker), speed-up 1->${all} workers ${fmt(one.seconds / many.seconds, 2)}x, ratio ${fmt(eimageMBs / readMBs, 2)}`)
}

const childAt = process.argv.indexOf('--child')
if (childAt >= 0) {
  const kind = process.argv[childAt + 1]
  const run = kind === 'read' ? childRead() : childEimage(Number(process.argv[childAt + 2]))
  run
    .then((m) => {
      console.log(JSON.stringify(m))
      process.exit(0)
    })
    .catch((err) => {
      console.error(err)
      process.exit(1)
    })
} else {
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
