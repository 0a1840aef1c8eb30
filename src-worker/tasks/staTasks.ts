// Worker task: visual STA for a batch of units over one stimulus movie. The movie and the frame
// timestamps arrive on SharedArrayBuffers (shared by every batch, never copied); results return by move().

import { move, transferableSymbol, valueSymbol } from 'piscina'
import { createByteWindowSummer } from '../algo/byteWindowKernel'
import { computeSta, movieRelativeFrames } from '../algo/visualSta'

export interface VisualStaBatchArgs {
  /** uint8 (frames, height, width), C order. */
  movie: Uint8Array
  shape: [number, number, number]
  /** Sample index of every display frame. */
  frameTimestamps: Float64Array
  /** First sample of the movie's section (section_time[movie][0, 0]). */
  sectionStartSample: number
  coverRange: [number, number]
  units: Array<{ unitId: string; spikeSamples: Float64Array }>
}

export interface VisualStaUnitResult {
  unitId: string
  sta: Float32Array
  nUsed: number
  nExcluded: number
}

export function visualStaBatch(args: VisualStaBatchArgs) {
  const [frames, height, width] = args.shape
  // One WebAssembly copy of the movie for the whole batch (null: the typed-array loop).
  const byteSummer = createByteWindowSummer(args.movie)
  const results: VisualStaUnitResult[] = args.units.map(({ unitId, spikeSamples }) => {
    const spikeFrames = movieRelativeFrames(spikeSamples, args.frameTimestamps, args.sectionStartSample)
    const r = computeSta(spikeFrames, args.movie, { frames, height, width }, args.coverRange, { byteSummer })
    return { unitId, sta: r.sta, nUsed: r.nUsed, nExcluded: r.nExcluded }
  })
  return move({
    [transferableSymbol]: results.map((r) => r.sta.buffer),
    [valueSymbol]: { results },
  } as any)
}
