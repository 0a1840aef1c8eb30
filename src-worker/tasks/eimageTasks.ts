// Worker task of the streamed electrical-image STA: one slab of one electrode range. All state
// (filter state, carried rows, accumulators) and the slab itself live in SharedArrayBuffers owned by
// the main side, so nothing is copied in or out; a range is only ever handed to one task at a time.

import { filterSpec, processSlab, rangeBuffers, type RangeLayout, type SpikeTable } from '../eimage/streamingRange'
import type { SpikeRule } from '../eimage/windowAccumulator'

export interface EimageSlabTask {
  layout: RangeLayout
  /** rangeBytes(layout) bytes: the range's state and accumulators. */
  range: SharedArrayBuffer
  spikes: { buffer: SharedArrayBuffer; nUnits: number; nSpikes: number }
  /** int16 frames; frame 0 is absolute sample frame0. */
  slab: SharedArrayBuffer
  frame0: number
  from: number
  to: number
  segment: { start: number; end: number; rule: SpikeRule }
  sos: number[][]
}

export function spikeTableView(buffer: ArrayBufferLike, nUnits: number, nSpikes: number): SpikeTable {
  return {
    samples: new Float64Array(buffer, 0, nSpikes),
    offsets: new Int32Array(buffer, 8 * nSpikes, nUnits + 1),
  }
}

export function eimageSlab(task: EimageSlabTask): { from: number; to: number } {
  const sos = task.sos.map((row) => Float64Array.from(row))
  const frames = task.to - task.frame0
  const data = new Int16Array(task.slab, 0, frames * task.layout.frameSize)
  processSlab(
    task.layout,
    rangeBuffers(task.layout, task.range),
    filterSpec(sos),
    spikeTableView(task.spikes.buffer, task.spikes.nUnits, task.spikes.nSpikes),
    task.segment,
    { data, frame0: task.frame0, from: task.from, to: task.to },
  )
  return { from: task.from, to: task.to }
}
