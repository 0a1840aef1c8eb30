// Electrical-image STA at the speed of the disk? Run with `npm run bench:eimage`.
//
// Generates (once, cached) a 65 x 65 recording of EIMAGE_BENCH_SECONDS (default 10 s, 1.7 GB of
// sensor data) with EIMAGE_BENCH_UNITS (default 100) units, then prints:
//   (a) plain read throughput of the sensor movie with the engine's slab size and reader,
//   (b) eimage STA throughput (all workers), (c) their ratio, (d) peak RSS of the process (worker
//   threads included), (e) the speed-up from 1 worker to all, and last `eimage/read ratio: <x>`.
// Cache folder: EIMAGE_BENCH_DIR, default <tmp>/hdmea-bench-cache/eimage-<seconds>s-<units>u.

import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTaskPool } from '../../src-main/pool/taskPool'
import { computeEimageSta, type EimageRequest } from '../../src-worker/eimage/engine'
import { DEFAULT_SLAB_BYTES, slabFramesFor } from '../../src-worker/eimage/plan'
import { openSensorSlabs } from '../../src-worker/eimage/sensorSlabs'
import { openCmcr } from '../../src-worker/mcs/cmcrReader'
import { generateRecording, type RecordingTruth } from '../../src-worker/mcs/generator'

const SECONDS = Number(process.env.EIMAGE_BENCH_SECONDS ?? 10)
const UNITS = Number(process.env.EIMAGE_BENCH_UNITS ?? 100)
const SLAB_BYTES = Number(process.env.EIMAGE_BENCH_SLAB_MB ?? DEFAULT_SLAB_BYTES / 2 ** 20) * 2 ** 20
const DIR = process.env.EIMAGE_BENCH_DIR ?? join(tmpdir(), 'hdmea-bench-cache', `eimage-${SECONDS}s-${UNITS}u`)
const MB = 1e6

let peakRss = 0
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss())
}, 25)

function fmt(n: number, digits = 1): string {
  return n.toFixed(digits)
}

async function ensureRecording(): Promise<{ cmcrPath: string; truth: RecordingTruth }> {
  const cmcrPath = join(DIR, 'bench.cmcr')
  const truthPath = join(DIR, 'bench.truth.json')
  if (existsSync(cmcrPath) && existsSync(truthPath)) {
    return { cmcrPath, truth: JSON.parse(readFileSync(truthPath, 'utf8')) as RecordingTruth }
  }
  mkdirSync(DIR, { recursive: true })
  const t0 = performance.now()
  console.log(`generating ${SECONDS} s x 65 x 65 with ${UNITS} units in ${DIR} ...`)
  const gen = await generateRecording({
    dir: DIR,
    stem: 'bench',
    seed: 2026,
    analogDurationS: SECONDS + 0.5,
    sensorDurationS: SECONDS,
    nUnits: UNITS,
    baseRateHz: 8,
  })
  console.log(`generated in ${fmt((performance.now() - t0) / 1000)} s`)
  return { cmcrPath: gen.cmcrPath, truth: gen.truth }
}

async function main(): Promise<void> {
  const { cmcrPath, truth } = await ensureRecording()
  const cmcr = await openCmcr(cmcrPath)
  try {
    const sensor = cmcr.sensor!
    const frameSize = sensor.shape[1] * sensor.shape[2]
    const N = sensor.frames
    const bytes = N * frameSize * 2
    const spikes = truth.units.map((u) =>
      u.spikeTimesUs!.map((us) => Math.round((us * truth.samplingRate) / 1e6)).filter((_, i) => u.include![i] === 1),
    )
    const nSpikes = spikes.reduce((n, s) => n + s.filter((x) => x < N).length, 0)
    const slabFrames = slabFramesFor(SLAB_BYTES, frameSize, 20)
    console.log(`recording: ${N} frames (${fmt(N / truth.samplingRate, 2)} s), ${fmt(bytes / MB, 0)} MB sensor data, ${UNITS} units, ${nSpikes} spikes in the span`)
    console.log(`slab: ${slabFrames} frames (${fmt((slabFrames * frameSize * 2) / MB, 1)} MB), cores: ${availableParallelism()}`)

    // (a) plain read: the same reader into one shared slab, slab after slab.
    const readOnce = async () => {
      const source = await openSensorSlabs(cmcr, slabFrames)
      const target = new Int16Array(new SharedArrayBuffer(slabFrames * frameSize * 2))
      const t0 = performance.now()
      try {
        for (let a = 0; a < N; a += slabFrames) source.readInto(a, Math.min(N, a + slabFrames), target)
      } finally {
        source.close()
      }
      return (performance.now() - t0) / 1000
    }
    await readOnce() // page cache warm-up, as the eimage runs see the file too
    const readS = Math.min(await readOnce(), await readOnce())
    const readMBs = bytes / MB / readS

    const request: EimageRequest = {
      cmcr,
      totalSamples: N,
      samplingRate: truth.samplingRate,
      pre: 10,
      post: 40,
      cutoffHz: 100,
      filterOrder: 2,
      mode: 'none',
      units: truth.units.map((u, i) => ({ id: u.id, spikes: spikes[i] })),
      slabBytes: SLAB_BYTES,
    }
    const runWith = async (threads: number) => {
      const pool = createTaskPool({ threads })
      try {
        // Boot the workers outside the timing (module load and h5wasm init happen once per thread).
        await Promise.all(Array.from({ length: threads * 2 }, () => pool.run('workerInfo', {})))
        const res = await computeEimageSta({ ...request, ranges: threads }, { pool })
        return res
      } finally {
        await pool.destroy()
      }
    }
    const all = availableParallelism()
    const one = await runWith(1)
    const many = all > 1 ? await runWith(all) : one
    const eimageMBs = bytes / MB / many.seconds
    const oneMBs = bytes / MB / one.seconds
    peakRss = Math.max(peakRss, process.memoryUsage.rss(), process.resourceUsage().maxRSS * 1024)

    console.log(`(a) plain read:        ${fmt(readMBs)} MB/s (${fmt(readS, 2)} s)`)
    console.log(`(b) eimage STA:        ${fmt(eimageMBs)} MB/s (${fmt(many.seconds, 2)} s, ${all} workers, overlap ${many.overlap} samples)`)
    console.log(`(c) eimage / read:     ${fmt(eimageMBs / readMBs, 2)}`)
    console.log(`(d) peak RSS:          ${fmt(peakRss / MB, 0)} MB (bound of the run's buffers: ${fmt(many.memoryBoundBytes / MB, 0)} MB)`)
    console.log(`(e) 1 -> ${all} workers:     ${fmt(oneMBs)} -> ${fmt(eimageMBs)} MB/s, speed-up ${fmt(one.seconds / many.seconds, 2)}x`)
    console.log(`eimage/read ratio: ${fmt(eimageMBs / readMBs, 2)}`)
  } finally {
    cmcr.close()
    clearInterval(sampler)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
