// Archive benchmark, two shapes.
// 1. Bytes: a session shaped like a real 20-minute recording is saved and loaded again. Prints
//    throughput (MB/s), the session size, and peak RSS (sampled from a worker thread, because h5wasm
//    writes synchronously and blocks this thread's timers, plus the kernel's maxRSS).
//    Targets: save >= 200 MB/s; peak RSS <= 1.5 x session size.
// 2. Objects: a full pipeline's archive of ~100,000 small datasets (test/bench/objectHeavyArchive.ts),
//    loaded and saved by the workbench and by h5py (test/bench/archive_h5py.py) on the same file,
//    alternately, best of OBJECT_ROUNDS each. Prints last
//    `archive objects: load <x>x h5py, save <y>x h5py` (h5py's time / ours). Aim: both >= 1.5.
// Run: npm run bench:archive (ARCHIVE_BENCH_PARTS=objects or =bytes runs one shape only)

import { spawnSync } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { closeSync, existsSync, fsyncSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { PipelineSession, isoNow } from '../../src-main/session/session'
import { type ArchiveFs, nodeArchiveFs, saveArchiveFile, writeArchive } from '../../src-main/archive'
import { h5ready } from '../../src-main/archive/h5'
import { type GroupNode, f32, f64, group, str, u64 } from '../../src-shared/tree'
import { OBJECT_MOVIES, OBJECT_TRIALS, OBJECT_UNITS, countObjects, objectHeavyContent, objectHeavyUnits } from './objectHeavyArchive'

const UNITS = 300
const SPIKES = 20_000
const LIGHT_SAMPLES = 24_000_000 // 20 min at 20 kHz
const MB = 1024 * 1024

setFlagsFromString('--expose_gc')
const gc = runInNewContext('gc') as () => void

/** Collects garbage and gives V8's background sweeper time to return freed array buffers to the OS. */
async function settle(): Promise<void> {
  gc()
  await new Promise((r) => setTimeout(r, 300))
  gc()
}

/** Samples process RSS every 5 ms on a worker thread; `peak()` returns and resets the maximum. */
function rssSampler() {
  const shared = new Float64Array(new SharedArrayBuffer(8))
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const peak = new Float64Array(workerData);
     setInterval(() => { const r = process.memoryUsage.rss(); if (r > peak[0]) peak[0] = r; }, 5);`,
    { eval: true, workerData: shared.buffer },
  )
  worker.unref()
  return {
    peak(): number {
      const v = Math.max(shared[0], process.memoryUsage.rss())
      shared[0] = 0
      return v
    },
    stop: () => worker.terminate(),
  }
}

function buildSession(): PipelineSession {
  const s = new PipelineSession({ datasetId: '2025.04.10-11.12.57-Rec' })
  let seed = 12345
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296)
  for (let u = 0; u < UNITS; u++) {
    const spikes = new Float64Array(SPIKES)
    let t = 0
    for (let i = 0; i < SPIKES; i++) spikes[i] = t += 1 + Math.floor(rand() * 1200)
    const sta = new Float32Array(50 * 65 * 65)
    for (let i = 0; i < sta.length; i++) sta[i] = rand() - 0.5
    const waveform = new Float32Array(60).map(() => rand())
    const rate = new Float32Array(12_000).map(() => rand() * 20)
    s.addUnits({
      [`unit_${String(u + 1).padStart(3, '0')}`]: group(
        {
          spike_times: u64(spikes),
          waveform: f32(waveform),
          firing_rate_10hz: f32(rate),
          features: group({ eimage_sta: group({ data: f32(sta, [50, 65, 65]), metadata: group({ n_spikes_used: f64([SPIKES], []) }) }) }),
        },
        { row: f64([u % 65], []), original_name: str(`Unit_${u + 1}`) },
      ),
    })
  }
  const light = (n: number) => {
    const a = new Float32Array(n)
    for (let i = 0; i < n; i++) a[i] = Math.sin(i / 1000)
    return f32(a)
  }
  s.addStimulus({
    light_reference: group({
      raw_ch1: light(LIGHT_SAMPLES),
      raw_ch2: light(LIGHT_SAMPLES),
      '10hz_ch1': light(LIGHT_SAMPLES / 2000),
      '10hz_ch2': light(LIGHT_SAMPLES / 2000),
      '1khz_ch1': light(LIGHT_SAMPLES / 20),
      '1khz_ch2': light(LIGHT_SAMPLES / 20),
    }),
  })
  s.addMetadata({ acquisition_rate: f64([20000], []), frame_timestamps: u64(new Float64Array(72_000).map((_, i) => 1000 + i * 333)) })
  s.markStepComplete('load_recording_with_eimage_sta')
  return s
}

interface SaveResult {
  dir: string
  seconds: number
  fileBytes: number
  phase: { write: number; fsync: number; rename: number }
  peak: number
  path: string
}

/** session.save() is exactly this call; going through saveArchiveFile lets us time its phases. */
async function timedSave(session: PipelineSession, dir: string, sampler: ReturnType<typeof rssSampler>, overwrite: boolean): Promise<SaveResult> {
  const phase = { write: 0, fsync: 0, rename: 0 }
  const timed = <A extends unknown[], R>(key: keyof typeof phase, fn: (...a: A) => Promise<R>) => async (...a: A) => {
    const t = performance.now()
    try {
      return await fn(...a)
    } finally {
      phase[key] += (performance.now() - t) / 1000
    }
  }
  const fs: ArchiveFs = { ...nodeArchiveFs, fsyncFile: timed('fsync', nodeArchiveFs.fsyncFile), rename: timed('rename', nodeArchiveFs.rename) }
  const path = join(dir, `${session.datasetId}.h5`)
  sampler.peak()
  const t0 = performance.now()
  await saveArchiveFile(path, session.toArchiveContent(undefined, isoNow()), { overwrite, operation: 'save' }, {
    fs,
    write: timed('write', (p: string, c) => writeArchive(p, c)),
  })
  const seconds = (performance.now() - t0) / 1000
  return { dir, seconds, fileBytes: statSync(path).size, phase, peak: sampler.peak(), path }
}

/** The same number of bytes written with plain fs.writeSync to a fresh file: the disk's own ceiling. */
function rawWriteMBs(dir: string, bytes: number): number {
  const chunk = Buffer.alloc(64 * MB, 1)
  const path = join(dir, 'raw-reference.bin')
  const t0 = performance.now()
  const fd = openSync(path, 'w')
  try {
    for (let done = 0; done < bytes; done += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - done))
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  const s = (performance.now() - t0) / 1000
  rmSync(path)
  return bytes / MB / s
}

const PYTHON = '/usr/bin/python3'
const OBJECT_ROUNDS = 3

interface H5pyRun {
  startup_s: number
  load_s: number[]
  save_s: number[]
  load_cpu_s: number[]
  save_cpu_s: number[]
  datasets: number
  groups: number
  h5py: string
  hdf5: string
}

/** One run of the h5py script (one load, one save) in a fresh interpreter; wall time of the whole process as well. */
function runH5py(src: string, dst: string): H5pyRun & { process_s: number } {
  // Under tsx this file runs as a bundle in out/bench; ARCHIVE_BENCH_DIR names the source folder.
  const script = join(process.env.ARCHIVE_BENCH_DIR ?? dirname(fileURLToPath(import.meta.url)), 'archive_h5py.py')
  const t = performance.now()
  const r = spawnSync(PYTHON, [script, src, dst, '1'], { encoding: 'utf8', maxBuffer: 1 << 20 })
  const process_s = (performance.now() - t) / 1000
  if (r.status !== 0) throw new Error(`h5py reference failed (${PYTHON} ${script}): ${r.error ?? ''}${r.stderr}`)
  return { ...(JSON.parse(r.stdout.trim().split('\n').pop()!) as H5pyRun), process_s }
}

async function objectsBenchmark(root: string, label: string): Promise<string> {
  const dir = mkdtempSync(join(root, 'archive-objects-'))
  try {
    const units = objectHeavyUnits()
    const counts = countObjects(units)
    const src = join(dir, 'objects.h5')
    const built = new PipelineSession({ datasetId: '2025.04.10-11.12.57-Rec' })
    const content = objectHeavyContent(units)
    built.addUnits(content.units.children as Map<string, GroupNode>)
    built.addMetadata(Object.fromEntries(content.metadata.children))
    await built.save(src)
    console.log('')
    console.log(
      `archive objects: ${OBJECT_UNITS} units x ${OBJECT_MOVIES} movies x ${OBJECT_TRIALS} trials of spike times plus per-unit/per-movie ` +
        `groups: ${counts.datasets} datasets, ${counts.groups} groups, ${counts.attributes} attributes under /units; file ${(statSync(src).size / MB).toFixed(0)} MB on ${label}`,
    )
    const probe = spawnSync(PYTHON, ['-c', 'import h5py, numpy'], { encoding: 'utf8' })
    if (probe.status !== 0) return `archive objects: h5py not available for ${PYTHON} (${(probe.stderr || String(probe.error)).trim().split('\n').pop()}); no comparison`
    const ours = { load: [] as number[], save: [] as number[] }
    const py = { load: [] as number[], save: [] as number[], startup: [] as number[], process: [] as number[], loadCpu: [] as number[], saveCpu: [] as number[] }
    const oursCpu = { load: [] as number[], save: [] as number[] }
    let info = ''
    for (let round = 1; round <= OBJECT_ROUNDS; round++) {
      await settle()
      const cpu0 = process.cpuUsage()
      let t = performance.now()
      const loaded = await PipelineSession.load(src)
      ours.load.push((performance.now() - t) / 1000)
      const cpuLoad = process.cpuUsage(cpu0)
      const got = countObjects(loaded.units)
      if (got.datasets !== counts.datasets || got.groups !== counts.groups) throw new Error(`loaded ${got.datasets} datasets / ${got.groups} groups, saved ${counts.datasets} / ${counts.groups}`)

      const h = runH5py(src, join(dir, 'h5py-copy.h5'))
      py.load.push(h.load_s[0])
      py.save.push(h.save_s[0])
      py.loadCpu.push(h.load_cpu_s[0])
      py.saveCpu.push(h.save_cpu_s[0])
      py.startup.push(h.startup_s)
      py.process.push(h.process_s)
      info = `h5py ${h.h5py}, HDF5 ${h.hdf5}; h5py saw ${h.datasets} datasets, ${h.groups} groups in the whole file`

      await settle()
      const copy = join(dir, 'ours-copy.h5')
      const cpu1 = process.cpuUsage()
      t = performance.now()
      await loaded.save(copy, { overwrite: true })
      ours.save.push((performance.now() - t) / 1000)
      const cpuSave = process.cpuUsage(cpu1)
      const seconds = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1e6
      const cpu = (c: NodeJS.CpuUsage) => seconds(c).toFixed(2)
      oursCpu.load.push(seconds(cpuLoad))
      oursCpu.save.push(seconds(cpuSave))
      console.log(
        `  round ${round}: ours load ${ours.load.at(-1)!.toFixed(2)} s (CPU ${cpu(cpuLoad)} s), save ${ours.save.at(-1)!.toFixed(2)} s (CPU ${cpu(cpuSave)} s); ` +
          `h5py load ${h.load_s[0].toFixed(2)} s (CPU ${h.load_cpu_s[0].toFixed(2)} s), save ${h.save_s[0].toFixed(2)} s (CPU ${h.save_cpu_s[0].toFixed(2)} s), interpreter start-up + imports ${h.startup_s.toFixed(2)} s (process ${h.process_s.toFixed(2)} s); ` +
          `load average ${loadavg()[0].toFixed(1)}`,
      )
    }
    const best = (xs: number[]) => Math.min(...xs)
    console.log(`  ${info}`)
    console.log(
      `  best of ${OBJECT_ROUNDS}: ours load ${best(ours.load).toFixed(2)} s, save ${best(ours.save).toFixed(2)} s (session load/save: the app's path); ` +
        `h5py load ${best(py.load).toFixed(2)} s, save ${best(py.save).toFixed(2)} s (timed inside Python; start-up ${best(py.startup).toFixed(2)} s not included)`,
    )
    console.log(
      `  CPU seconds, best of ${OBJECT_ROUNDS} (all threads; steadier than wall time on a shared machine): ours load ${best(oursCpu.load).toFixed(2)}, save ${best(oursCpu.save).toFixed(2)}; ` +
        `h5py load ${best(py.loadCpu).toFixed(2)}, save ${best(py.saveCpu).toFixed(2)}; by CPU: load ${(best(py.loadCpu) / best(oursCpu.load)).toFixed(2)}x, save ${(best(py.saveCpu) / best(oursCpu.save)).toFixed(2)}x h5py`,
    )
    return `archive objects: load ${(best(py.load) / best(ours.load)).toFixed(2)}x h5py, save ${(best(py.save) / best(ours.save)).toFixed(2)}x h5py`
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const parts = process.env.ARCHIVE_BENCH_PARTS ?? 'bytes,objects'
  await h5ready()
  if (parts.includes('bytes')) await bytesBenchmark()
  if (parts.includes('objects')) {
    const root = existsSync('/dev/shm') ? '/dev/shm' : tmpdir()
    console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')} (1/5/15 min) before the object benchmark`)
    const line = await objectsBenchmark(root, root === '/dev/shm' ? 'tmpfs (/dev/shm)' : `disk (${root})`)
    console.log(line)
  }
}

async function bytesBenchmark(): Promise<void> {
  const sampler = rssSampler()
  const dirs = [
    ...(existsSync('/dev/shm') ? [{ label: 'tmpfs (/dev/shm): codec speed without the disk', root: '/dev/shm' }] : []),
    { label: `disk (${tmpdir()})`, root: tmpdir() },
  ].map((d) => ({ ...d, dir: mkdtempSync(join(d.root, 'archive-bench-')) }))
  const f = (b: number) => `${(b / MB).toFixed(0)} MB`
  try {
    await h5ready()
    await settle()
    const baseline = process.memoryUsage.rss()
    let session: PipelineSession | null = buildSession()
    const sessionBytes = session.memoryEstimateBytes
    await settle()
    const built = process.memoryUsage.rss()
    console.log(`archive benchmark: ${UNITS} units x ${SPIKES} uint64 spikes, (50,65,65) float32 eimage STA per unit, light reference 2 x ${LIGHT_SAMPLES / 1e6} M float32 + 10 Hz / 1 kHz`)
    console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')} (1/5/15 min; other processes slow every figure below)`)
    console.log(`session size (memoryEstimateBytes): ${f(sessionBytes)}`)
    console.log(`RSS baseline (modules loaded, h5wasm ready, no session): ${f(baseline)}; with the session built: ${f(built)}`)

    const saves: SaveResult[] = []
    // Two rounds: the first save of a process also pays for growing the wasm heap; the second
    // replaces the first file (rename over an existing target).
    const rounds: SaveResult[] = []
    for (const round of [1, 2]) {
      for (const d of dirs) {
        const r = await timedSave(session, d.dir, sampler, round > 1)
        rounds.push(r)
        if (round === 2) saves.push(r)
        console.log(`save ${round} to ${d.label}: ${r.seconds.toFixed(2)} s, ${(r.fileBytes / MB / r.seconds).toFixed(0)} MB/s (file ${f(r.fileBytes)}, wall time incl. fsync + rename)`)
      console.log(`  phases: HDF5 write ${r.phase.write.toFixed(2)} s (${(r.fileBytes / MB / r.phase.write).toFixed(0)} MB/s), fsync ${r.phase.fsync.toFixed(2)} s, rename ${r.phase.rename.toFixed(3)} s`)
        console.log(`  peak RSS ${f(r.peak)} = ${(r.peak / sessionBytes).toFixed(2)} x session; above baseline ${f(r.peak - baseline)} = ${((r.peak - baseline) / sessionBytes).toFixed(2)} x session`)
      }
    }
    const disk = dirs[dirs.length - 1]
    console.log(`  reference: plain fs.writeSync of the same bytes to a fresh file on ${disk.root} + fsync: ${rawWriteMBs(disk.dir, saves[saves.length - 1].fileBytes).toFixed(0)} MB/s`)

    session = null
    await settle()
    let worstLoadPeak = 0
    for (const [i, d] of dirs.entries()) {
      sampler.peak()
      const t1 = performance.now()
      let loaded: PipelineSession | null = await PipelineSession.load(saves[i].path)
      const loadS = (performance.now() - t1) / 1000
      const peak = sampler.peak()
      worstLoadPeak = Math.max(worstLoadPeak, peak)
      if (loaded.unitCount !== UNITS) throw new Error(`loaded ${loaded.unitCount} units, expected ${UNITS}`)
      if (loaded.memoryEstimateBytes !== sessionBytes) throw new Error('loaded session size differs from the saved one')
      console.log(`load from ${d.label}: ${loadS.toFixed(2)} s, ${(saves[i].fileBytes / MB / loadS).toFixed(0)} MB/s; peak RSS ${f(peak)} = ${(peak / sessionBytes).toFixed(2)} x session; above baseline ${f(peak - baseline)} = ${((peak - baseline) / sessionBytes).toFixed(2)} x session`)
      loaded = null
      await settle()
    }
    const maxRss = process.resourceUsage().maxRSS * 1024
    console.log(`process maxRSS (kernel, whole run incl. building the session): ${f(maxRss)} = ${(maxRss / sessionBytes).toFixed(2)} x session; above baseline ${f(maxRss - baseline)} = ${((maxRss - baseline) / sessionBytes).toFixed(2)} x session`)
    const worstPeak = Math.max(...rounds.map((r) => r.peak), worstLoadPeak)
    const rate = (r: SaveResult) => r.fileBytes / MB / r.seconds
    console.log(
      `targets: save >= 200 MB/s: ${dirs.map((d, i) => `${Math.min(rate(rounds[i]), rate(saves[i])) >= 200 ? 'met' : 'NOT met'} on ${d.label.split(':')[0]} (both rounds)`).join(', ')}; ` +
        `peak RSS <= 1.5 x session: ${worstPeak <= 1.5 * sessionBytes ? 'met' : 'NOT met'} (${(worstPeak / sessionBytes).toFixed(2)} x; sampled peaks of save and load)`,
    )
  } finally {
    await sampler.stop()
    for (const d of dirs) rmSync(d.dir, { recursive: true, force: true })
  }
}

// tsx's module hooks make importing h5wasm cost ~650 MB of RSS, which would swamp the memory figures.
// So under tsx this file bundles itself (esbuild, which tsx ships) and runs the bundle in plain node.
async function runUnbundledOrSelf(): Promise<void> {
  if (process.env.ARCHIVE_BENCH_PLAIN_NODE === '1') return main()
  const esbuild = await import('esbuild')
  const here = fileURLToPath(import.meta.url)
  const outfile = resolve(dirname(here), '../../out/bench/archive.bench.mjs')
  await esbuild.build({ entryPoints: [here], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile, logLevel: 'warning' })
  const r = spawnSync(process.execPath, [outfile], { stdio: 'inherit', env: { ...process.env, ARCHIVE_BENCH_PLAIN_NODE: '1', ARCHIVE_BENCH_DIR: dirname(here) } })
  if (r.status !== 0) process.exitCode = r.status ?? 1
}

await runUnbundledOrSelf()
