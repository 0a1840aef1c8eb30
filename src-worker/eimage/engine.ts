// The streamed electrical-image STA, coordinated from the main thread: a sensor reader thread
// (readerThread.ts) fills two slabs of one shared store in turn (the next slab is read while the
// workers filter the current one); each worker task handles one electrode range of one slab, with that
// range's filter state and per-unit accumulators kept in the same store. The main thread only plans,
// dispatches and waits: it makes no HDF5 call. Memory is two slabs, the reader's heap read buffer and
// the ranges' state, whatever the recording length (eimageMemoryBound).

import { CancelledError } from '../../src-shared/errors'
import { butterworthHighpassSos } from '../dsp/butterworth'
import type { SensorInfo } from '../mcs/cmcrReader'
import type { EimageFinishTask, EimageSlabDone, EimageSlabTask } from '../tasks/eimageTasks'
import { DEFAULT_SLAB_BYTES, RANGES_PER_THREAD, electrodeRanges, planSegments, planSlabs, slabFramesFor, type EimageMode } from './plan'
import { type OpenSensorReader, openSensorReader } from './readerThread'
import { osThreadId } from './osThread'
import { kernelsFor, sharedMemory } from './wasmKernels'
import { BLOCK_ELECTRODES, PARTIAL_SUM_WINDOWS, layoutFor, rangeBuffers, rangeBytes, spikeTable, zeroPhases, type PhaseTimes, type RangeLayout } from './streamingRange'

/** What the engine needs of the worker pool (src-main/pool/taskPool's TaskPool fits). */
export interface EimagePool {
  readonly threads: number
  run<T>(task: string, args: unknown): Promise<T>
}

export interface EimageUnitInput {
  id: string
  /** Spike sample indices (any order); those outside [0, totalSamples) are not in the span. */
  spikes: ArrayLike<number>
}

export interface EimageRequest {
  /** The .cmcr and its sensor dataset (an opened CmcrFile fits; only these two are used). */
  cmcr: { path: string; sensor: SensorInfo | null }
  /** Samples [0, totalSamples) of the sensor movie are used. */
  totalSamples: number
  /** Rate used for the hdmea chunk length (10 s). */
  samplingRate: number
  pre: number
  post: number
  cutoffHz: number
  filterOrder: number
  mode: EimageMode
  units: EimageUnitInput[]
  slabBytes?: number
  /** Electrode ranges = parallel tasks per slab; defaults to RANGES_PER_THREAD x the pool's threads. */
  ranges?: number
  /** Skip the SIMD kernels (for comparisons). */
  plainLoops?: boolean
  /** Windows per float32 partial sum in the default mode; 0 = straight into float64 (hdmea always is). */
  partialSums?: number
  /** Time the phases per thread (EimageResult.profile). */
  profile?: boolean
}

/** Wall-time milliseconds per phase, summed per thread over the run (the benchmark's breakdown). */
export interface EimageProfile {
  /** Worker threads by OS thread id (osThread.ts): their phases inside processSlab. */
  workers: Record<string, PhaseTimes>
  /** Reader thread: reading slabs (HDF5 read and the copy into the shared slab), wall time. */
  read: number
  /** Main thread: waiting for the workers and the next slab's read. */
  wait: number
  mainThread: number | null
  /** The reader thread's OS thread id and its CPU ms from the open on, which it reports as it ends (it is gone when the benchmark looks). */
  readerThread: number | null
  readerCpu: number | null
}

export interface EimageProgress {
  fraction: number
  bytesDone: number
  bytesTotal: number
  etaSeconds: number | null
}

export interface EimageUnitResult {
  id: string
  /** float32 (pre + post, rows, cols); all NaN when the divisor is 0. */
  sta: Float32Array
  nUsed: number
  /** Spikes inside [0, totalSamples). */
  nInSpan: number
  divisor: number
}

export interface EimageResult {
  rows: number
  cols: number
  units: EimageUnitResult[]
  slabFrames: number
  /** Samples of forward output the backward pass warms up on at each slab boundary. */
  overlap: number
  bytesRead: number
  memoryBoundBytes: number
  seconds: number
  /** Whether the workers ran the SIMD kernels. */
  simd: boolean
  profile?: EimageProfile
}

export interface EimageRunOptions {
  pool: EimagePool
  signal?: AbortSignal
  onProgress?: (p: EimageProgress) => void
  /** How slabs are read; default: a sensor reader thread of this run (readerThread.ts). */
  openReader?: OpenSensorReader
}

/** Bytes the run holds at most, independent of the recording length (docs/eimage.md). */
export function eimageMemoryBound(slabFrames: number, frameSize: number, layouts: RangeLayout[], spikeCount: number, nUnits: number): number {
  const slab = slabFrames * frameSize * 2
  // Two shared slabs, the reader thread's reused HDF5 heap read buffer, every range's state, the spike table.
  return 3 * slab + layouts.reduce((n, l) => n + rangeBytes(l), 0) + 8 * spikeCount + 4 * (nUnits + 1)
}

export async function computeEimageSta(req: EimageRequest, opts: EimageRunOptions): Promise<EimageResult> {
  const started = performance.now()
  const sensor = req.cmcr.sensor
  if (!sensor) throw new RangeError(`${req.cmcr.path}: no sensor data`)
  const { pre, post } = req
  const L = pre + post
  const N = req.totalSamples
  if (!(Number.isInteger(N) && N > 0 && N <= sensor.frames)) throw new RangeError(`span of ${N} samples outside the ${sensor.frames} recorded frames`)
  const frameSize = sensor.shape[1] * sensor.shape[2]
  const sos = butterworthHighpassSos(req.filterOrder, req.cutoffHz, req.samplingRate)

  // Spikes inside the span, one shared table for all ranges.
  const inSpan = req.units.map((u) => Array.from(u.spikes).filter((s) => s >= 0 && s < N))
  const table = spikeTable(inSpan, (bytes) => new SharedArrayBuffer(bytes))
  const nSpikes = table.offsets[inSpan.length]

  const probe = layoutFor(sos, { e0: 0, e1: 1, frameSize }, { pre, post }, 1 << 30, 0)
  const minFrames = probe.padlen + 1
  const slabFrames = slabFramesFor(req.slabBytes ?? DEFAULT_SLAB_BYTES, frameSize, 2 * minFrames)
  const segments = planSegments(req.mode, N, req.samplingRate, pre, post)
  const slabs = planSlabs(segments, slabFrames, minFrames)
  const ranges = electrodeRanges(frameSize, req.ranges ?? RANGES_PER_THREAD * opts.pool.threads, BLOCK_ELECTRODES)
  // compat 'hdmea' adds every window straight into float64 (bit-identical to the engine before the
  // float32 partial sums); the default mode takes the faster float32 partial sums (PARTIAL_SUM_WINDOWS).
  const partialSums = req.mode === 'hdmea' ? 0 : (req.partialSums ?? PARTIAL_SUM_WINDOWS)
  const layouts = ranges.map(([e0, e1]) => ({ ...layoutFor(sos, { e0, e1, frameSize }, { pre, post }, slabFrames, req.units.length), partialSums }))
  // One shared store: two slabs, then every range's buffers. A shared wasm memory lets the workers run
  // the SIMD kernels on it; without one, a SharedArrayBuffer with the plain loops.
  // Cache-line aligned, so two ranges (two threads) never write the same line.
  const align = (n: number) => Math.ceil(n / 64) * 64
  const slabBytes = slabFrames * frameSize * 2
  const slabOffsets = [0, align(slabBytes)]
  const rangeOffsets: number[] = []
  let storeBytes = 2 * align(slabBytes)
  for (const l of layouts) {
    rangeOffsets.push(storeBytes)
    storeBytes += align(rangeBytes(l))
  }
  const memory = req.plainLoops ? null : sharedMemory(storeBytes)
  const store: WebAssembly.Memory | SharedArrayBuffer = memory && kernelsFor(memory) ? memory : new SharedArrayBuffer(storeBytes)
  const storeBuffer = store instanceof WebAssembly.Memory ? store.buffer : store
  const sosRows = sos.map((r) => Array.from(r))

  const bytesTotal = slabs.reduce((n, s) => n + (s.to - s.from) * frameSize * 2, 0)
  let bytesDone = 0
  let simd = false
  const profile: EimageProfile | undefined = req.profile ? { workers: {}, read: 0, wait: 0, mainThread: osThreadId(), readerThread: null, readerCpu: null } : undefined
  const cancelled = () => new CancelledError('Electrical-image STA cancelled; the session is unchanged')
  if (opts.signal?.aborted) throw cancelled()
  const reader = await (opts.openReader ?? openSensorReader)({ path: req.cmcr.path, sensor, maxFrames: slabFrames, store, signal: opts.signal })
  if (profile) profile.readerThread = reader.thread
  let finished = false
  try {
    const read = async (k: number) => {
      const s = slabs[k]
      const ms = await reader.read(s.from, s.to, slabOffsets[k % 2])
      if (profile) profile.read += ms
    }
    const dispatch = (k: number) => {
      const s = slabs[k]
      const seg = segments[s.segment]
      return Promise.all(
        layouts.map((layout, r) => {
          const task: EimageSlabTask = {
            layout,
            store,
            rangeOffset: rangeOffsets[r],
            slabOffset: slabOffsets[k % 2],
            spikes: { buffer: table.samples.buffer as SharedArrayBuffer, nUnits: inSpan.length, nSpikes },
            frame0: s.from,
            from: s.from,
            to: s.to,
            segment: seg,
            sos: sosRows,
            profile: !!profile,
          }
          return opts.pool.run<EimageSlabDone>('eimageSlab', task)
        }),
      )
    }
    if (slabs.length > 0) await untilAborted(read(0), opts.signal, cancelled)
    for (let k = 0; k < slabs.length; k++) {
      if (opts.signal?.aborted) throw cancelled()
      // The workers filter slab k while the reader thread fills the other slab with k + 1.
      const running = dispatch(k)
      const reading = k + 1 < slabs.length ? read(k + 1) : Promise.resolve()
      const w0 = performance.now()
      // Both settle before anything is thrown (a failed read never leaves workers on the store unawaited),
      // unless the run is cancelled: then nothing more is awaited.
      const [ran, readOutcome] = await untilAborted(Promise.allSettled([running, reading]), opts.signal, cancelled)
      if (ran.status === 'rejected') throw ran.reason
      const done = ran.value
      if (profile) {
        profile.wait += performance.now() - w0
        for (const d of done) {
          if (!d.phases) continue
          const sum = (profile.workers[String(d.thread)] ??= zeroPhases())
          for (const key of Object.keys(sum) as (keyof PhaseTimes)[]) sum[key] += d.phases[key]
        }
      }
      simd = done.every((d) => d.simd)
      if (readOutcome.status === 'rejected') throw readOutcome.reason
      bytesDone += (slabs[k].to - slabs[k].from) * frameSize * 2
      const elapsed = (performance.now() - started) / 1000
      opts.onProgress?.({
        fraction: bytesDone / bytesTotal,
        bytesDone,
        bytesTotal,
        etaSeconds: bytesDone > 0 ? (elapsed * (bytesTotal - bytesDone)) / bytesDone : null,
      })
    }
    const readerCpu = await untilAborted(reader.close(), opts.signal, cancelled)
    if (profile) profile.readerCpu = readerCpu
    finished = true
  } finally {
    if (!finished) reader.abandon()
  }
  if (opts.signal?.aborted) throw cancelled()

  const rows = sensor.rows
  const cols = sensor.cols
  const nUnits = req.units.length
  const used = Array.from(rangeBuffers(layouts[0], storeBuffer, rangeOffsets[0]).used)
  const divisors = req.units.map((_, ui) => (req.mode === 'hdmea' ? inSpan[ui].length : used[ui]))
  // The workers divide and place their electrodes into one shared (unit, window, row, col) block.
  const image = L * rows * cols
  const out = new SharedArrayBuffer(4 * Math.max(1, nUnits * image))
  const grid = { rows, cols, colMajor: sensor.axisOrder === 'time,col,row' }
  await Promise.all(
    layouts.map((layout, r) => {
      const task: EimageFinishTask = { layout, store, rangeOffset: rangeOffsets[r], out, grid, divisors }
      return opts.pool.run<boolean>('eimageFinish', task)
    }),
  )
  const all = new Float32Array(out)
  const units = req.units.map((u, ui): EimageUnitResult => ({
    id: u.id,
    sta: all.slice(ui * image, (ui + 1) * image),
    nUsed: used[ui],
    nInSpan: inSpan[ui].length,
    divisor: divisors[ui],
  }))
  return {
    rows,
    cols,
    units,
    slabFrames,
    overlap: layouts[0].overlap,
    bytesRead: bytesDone,
    memoryBoundBytes: eimageMemoryBound(slabFrames, frameSize, layouts, nSpikes, req.units.length),
    seconds: (performance.now() - started) / 1000,
    simd,
    profile,
  }
}

/**
 * `work`, or a rejection with makeError() as soon as `signal` aborts, without waiting for `work` (whose
 * own outcome is then ignored).
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, makeError: () => Error): Promise<T> {
  if (!signal) return work
  if (signal.aborted) {
    work.catch(() => undefined)
    return Promise.reject(makeError())
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => undefined)
      reject(makeError())
    }
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (err) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}
