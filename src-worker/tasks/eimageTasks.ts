// Worker task of the streamed electrical-image STA: one slab of one electrode range. All state
// (filter state, carried rows, accumulators) and the slab itself live in shared memory owned by the
// main side, so nothing is copied in or out; a range is only ever handed to one task at a time.

import { threadId } from 'node:worker_threads'
import { filterSpec, processSlab, rangeBuffers, writeRangeImages, zeroPhases, type PhaseTimes, type RangeLayout, type SpikeTable } from '../eimage/streamingRange'
import { osThreadId } from '../eimage/osThread'
import { kernelsFor } from '../eimage/wasmKernels'
import type { SpikeRule } from '../eimage/windowAccumulator'

export interface EimageSlabTask {
  layout: RangeLayout
  /**
   * Where slabs and range buffers live: a shared WebAssembly.Memory (SIMD kernels run on it) or a
   * SharedArrayBuffer (plain loops).
   */
  store: WebAssembly.Memory | SharedArrayBuffer
  /** Byte offset of the range's rangeBytes(layout) bytes: its state and accumulators. */
  rangeOffset: number
  /** Byte offset of the slab: int16 frames, frame 0 is absolute sample frame0. */
  slabOffset: number
  spikes: { buffer: SharedArrayBuffer; nUnits: number; nSpikes: number }
  frame0: number
  from: number
  to: number
  segment: { start: number; end: number; rule: SpikeRule }
  sos: number[][]
  /** Time each phase (the benchmark's breakdown). */
  profile?: boolean
}

export interface EimageSlabDone {
  from: number
  to: number
  simd: boolean
  /** With task.profile: the worker's OS thread id (else its worker id) and its milliseconds per phase (wall time). */
  thread?: number
  phases?: PhaseTimes
}

export function spikeTableView(buffer: ArrayBufferLike, nUnits: number, nSpikes: number): SpikeTable {
  return {
    samples: new Float64Array(buffer, 0, nSpikes),
    offsets: new Int32Array(buffer, 8 * nSpikes, nUnits + 1),
  }
}

export function eimageSlab(task: EimageSlabTask): EimageSlabDone {
  const isMemory = task.store instanceof WebAssembly.Memory
  const buffer = isMemory ? (task.store as WebAssembly.Memory).buffer : (task.store as SharedArrayBuffer)
  const kernels = isMemory ? kernelsFor(task.store as WebAssembly.Memory) : null
  const sos = task.sos.map((row) => Float64Array.from(row))
  const frames = task.to - task.frame0
  const data = new Int16Array(buffer, task.slabOffset, frames * task.layout.frameSize)
  const phases = task.profile ? zeroPhases() : undefined
  processSlab(
    task.layout,
    rangeBuffers(task.layout, buffer, task.rangeOffset),
    filterSpec(sos),
    spikeTableView(task.spikes.buffer, task.spikes.nUnits, task.spikes.nSpikes),
    task.segment,
    { data, frame0: task.frame0, from: task.from, to: task.to },
    undefined,
    kernels,
    phases,
  )
  return { from: task.from, to: task.to, simd: kernels !== null, ...(phases ? { thread: osThreadId() ?? threadId, phases } : {}) }
}

export interface EimageFinishTask {
  layout: RangeLayout
  store: WebAssembly.Memory | SharedArrayBuffer
  rangeOffset: number
  /** float32 (unit, window, row, col) for all units. */
  out: SharedArrayBuffer
  grid: { rows: number; cols: number; colMajor: boolean }
  divisors: number[]
}

/** Divides one range's sums and places them in the shared output images (ranges are disjoint). */
export function eimageFinish(task: EimageFinishTask): boolean {
  const buffer = task.store instanceof WebAssembly.Memory ? task.store.buffer : task.store
  writeRangeImages(task.layout, rangeBuffers(task.layout, buffer, task.rangeOffset), new Float32Array(task.out), task.grid, task.divisors)
  return true
}
