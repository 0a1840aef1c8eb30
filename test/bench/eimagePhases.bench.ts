// Where the eimage workers spend their time, without the file reader: `npx tsx test/bench/eimagePhases.bench.ts`.
//
// One slab of synthetic int16 frames (65 x 65 electrodes, the engine's default slab size) lives in a
// shared WebAssembly memory with the range buffers, as in the engine. 1 or 2 worker threads (each one
// electrode range, as the engine splits them) run processSlab over EIMAGE_PHASES_SLABS consecutive
// slabs (the same frames again, so no reader is involved), with 100 units firing 8 times a second.
// Optionally a third thread copies 64-MiB slabs meanwhile, as the engine's reader does
// (EIMAGE_PHASES_READER=1). Each thread reports its CPU time, split over the phases by their wall-time
// shares; every
// configuration runs EIMAGE_PHASES_REPEATS times and the minimum per phase is printed, in ns per
// sample the thread handled, which is robust to other processes on the machine.

import { loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { rmSync } from 'node:fs'
import { butterworthHighpassSos } from '../../src-worker/dsp/butterworth'
import { DEFAULT_SLAB_BYTES, electrodeRanges, slabFramesFor } from '../../src-worker/eimage/plan'
import { BLOCK_ELECTRODES, filterSpec, layoutFor, processSlab, rangeBuffers, rangeBytes, spikeTable, zeroPhases, type PhaseTimes } from '../../src-worker/eimage/streamingRange'
import { closeSync, openSync, readSync } from 'node:fs'
import { kernelsFor, sharedMemory } from '../../src-worker/eimage/wasmKernels'
import { wholeWindowRule } from '../../src-worker/eimage/windowAccumulator'

const FRAME = 65 * 65
const RATE = 20000
const UNITS = Number(process.env.EIMAGE_PHASES_UNITS ?? 100)
const SLABS = Number(process.env.EIMAGE_PHASES_SLABS ?? 6)
const REPEATS = Number(process.env.EIMAGE_PHASES_REPEATS ?? 3)
const PRE = 10
const POST = 40

interface Job {
  memory: WebAssembly.Memory
  slabOffset: number
  rangeOffset: number
  e0: number
  e1: number
  slabFrames: number
  /** Copy slabs instead (the reader's stand-in): source and target byte offsets. */
  reader?: { from: number; to: number; bytes: number }
}

function spikesFor(totalFrames: number): number[][] {
  let s = 99
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32
  return Array.from({ length: UNITS }, () => {
    const out: number[] = []
    for (let t = 100 + Math.floor(rnd() * 2500); t < totalFrames - 100; t += 1 + Math.floor(rnd() * 5000)) out.push(t)
    return out
  })
}

function layoutOf(job: Job) {
  const sos = butterworthHighpassSos(2, 100, RATE)
  return { sos, layout: layoutFor(sos, { e0: job.e0, e1: job.e1, frameSize: FRAME }, { pre: PRE, post: POST }, job.slabFrames, UNITS) }
}

/** This thread's CPU milliseconds (Linux schedstat; brought up to date at every tick, so good to a few ms over a run of seconds). */
function threadCpuMs(): number {
  const fd = openSync('/proc/thread-self/schedstat', 'r')
  const bytes = Buffer.alloc(64)
  const n = readSync(fd, bytes, 0, 64, 0)
  closeSync(fd)
  return Number.parseInt(bytes.toString('latin1', 0, n), 10) / 1e6
}

function runJob(job: Job): { phases: PhaseTimes; samples: number; cpu: number } {
  const clock = { now: threadCpuMs }
  let c0 = clock.now()
  if (job.reader) {
    const src = new Uint8Array(job.memory.buffer, job.reader.from, job.reader.bytes)
    const dst = new Uint8Array(job.memory.buffer, job.reader.to, job.reader.bytes)
    for (let k = 0; k < SLABS; k++) dst.set(src)
    return { phases: zeroPhases(), samples: 0, cpu: clock.now() - c0 }
  }
  const { sos, layout } = layoutOf(job)
  const buf = rangeBuffers(layout, job.memory.buffer, job.rangeOffset)
  const kernels = kernelsFor(job.memory)
  const total = SLABS * job.slabFrames
  const table = spikeTable(spikesFor(total))
  const segment = { start: 0, end: total, rule: wholeWindowRule(0, total, PRE, POST) }
  const filter = filterSpec(sos)
  const data = new Int16Array(job.memory.buffer, job.slabOffset, job.slabFrames * FRAME)
  if (process.env.EIMAGE_PHASES_TOUCH === '1') new Uint8Array(job.memory.buffer, job.rangeOffset, rangeBytes(layout)).fill(0)
  c0 = clock.now()
  const phases = zeroPhases()
  for (let k = 0; k < SLABS; k++) {
    const from = k * job.slabFrames
    processSlab(layout, buf, filter, table, segment, { data, frame0: from, from, to: from + job.slabFrames }, undefined, kernels, phases)
  }
  const cpu = clock.now() - c0
  // Phases are wall time; split the thread's CPU time by their shares.
  const wall = Object.values(phases).reduce((a, b) => a + b, 0)
  for (const k of Object.keys(phases) as (keyof PhaseTimes)[]) phases[k] *= cpu / wall
  return { phases, samples: total * (job.e1 - job.e0), cpu }
}

async function bundle(): Promise<string> {
  const { build } = await import('esbuild')
  const outfile = join(process.cwd(), 'out', 'bench', `eimage-phases-${process.pid}.mjs`)
  await build({ entryPoints: [fileURLToPath(import.meta.url)], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile, logLevel: 'error' })
  return outfile
}

async function configuration(script: string, workers: number, reader: boolean): Promise<{ phases: PhaseTimes; perThreadNs: number; readerNs: number }> {
  const slabFrames = slabFramesFor(DEFAULT_SLAB_BYTES, FRAME, 2000)
  const slabBytes = Math.ceil((slabFrames * FRAME * 2) / 16) * 16
  const ranges = electrodeRanges(FRAME, workers, BLOCK_ELECTRODES)
  const layouts = ranges.map(([e0, e1]) => layoutOf({ e0, e1, slabFrames } as Job).layout)
  let offset = 2 * slabBytes
  const jobs: Job[] = []
  const memoryBytes = offset + layouts.reduce((n, l) => n + Math.ceil(rangeBytes(l) / 16) * 16, 0)
  const memory = sharedMemory(memoryBytes)!
  const slab = new Int16Array(memory.buffer, 0, slabFrames * FRAME)
  let s = 5
  for (let i = 0; i < slab.length; i++) slab[i] = ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 22) - 512 + ((i % FRAME) << 2)
  ranges.forEach(([e0, e1], r) => {
    jobs.push({ memory, slabOffset: 0, rangeOffset: offset, e0, e1, slabFrames })
    offset += Math.ceil(rangeBytes(layouts[r]) / 16) * 16
  })
  if (reader) jobs.push({ memory, slabOffset: 0, rangeOffset: 0, e0: 0, e1: 0, slabFrames, reader: { from: 0, to: slabBytes, bytes: slabFrames * FRAME * 2 } })
  const results = await Promise.all(
    jobs.map(
      (job) =>
        new Promise<ReturnType<typeof runJob>>((resolve, reject) => {
          const w = new Worker(script, { workerData: job })
          w.once('message', (m) => {
            resolve(m as ReturnType<typeof runJob>)
            void w.terminate()
          })
          w.once('error', reject)
        }),
    ),
  )
  const phases = zeroPhases()
  let samples = 0
  let cpu = 0
  let readerNs = 0
  for (const r of results) {
    if (r.samples === 0) {
      readerNs = (r.cpu * 1e6) / (SLABS * slabFrames * FRAME)
      continue
    }
    samples += r.samples
    cpu += r.cpu
    for (const k of Object.keys(phases) as (keyof PhaseTimes)[]) phases[k] += r.phases[k]
  }
  for (const k of Object.keys(phases) as (keyof PhaseTimes)[]) phases[k] = (phases[k] * 1e6) / samples
  return { phases, perThreadNs: (cpu * 1e6) / samples, readerNs }
}

async function main(): Promise<void> {
  const script = await bundle()
  const fmt = (n: number) => n.toFixed(2)
  console.log(`eimage phases: ${UNITS} units, ${SLABS} slabs of ${slabFramesFor(DEFAULT_SLAB_BYTES, FRAME, 2000)} frames, thread CPU time ns per sample handled, minimum of ${REPEATS} runs; load average ${loadavg().map(fmt).join(' ')}`)
  try {
    const configs: [number, boolean][] = [[1, false], [2, false], [1, true], [2, true]]
    for (const [workers, reader] of configs) {
      if (reader && process.env.EIMAGE_PHASES_READER !== '1') continue
      const best = { phases: { regroup: Infinity, forward: Infinity, backward: Infinity, sums: Infinity, other: Infinity } as PhaseTimes, perThreadNs: Infinity, readerNs: Infinity }
      for (let r = 0; r < REPEATS; r++) {
        const res = await configuration(script, workers, reader)
        for (const k of Object.keys(best.phases) as (keyof PhaseTimes)[]) best.phases[k] = Math.min(best.phases[k], res.phases[k])
        best.perThreadNs = Math.min(best.perThreadNs, res.perThreadNs)
        best.readerNs = Math.min(best.readerNs, res.readerNs)
      }
      const p = best.phases
      console.log(
        `  ${workers} worker${workers > 1 ? 's' : ''}${reader ? ' + copying reader' : ''}: regroup ${fmt(p.regroup)}, forward ${fmt(p.forward)}, backward ${fmt(p.backward)}, sums ${fmt(p.sums)}, other ${fmt(p.other)}; whole thread ${fmt(best.perThreadNs)}${reader ? `; reader copy ${fmt(best.readerNs)}` : ''} (load ${fmt(loadavg()[0])})`,
      )
    }
  } finally {
    rmSync(script, { force: true })
  }
}

if (!isMainThread) {
  parentPort!.postMessage(runJob(workerData as Job))
} else {
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
