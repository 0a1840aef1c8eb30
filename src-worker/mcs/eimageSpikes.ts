// The spike sets the electrical-image STA averages over, per unit, read from a .cmtr's Peaks tables
// (run in a pool worker for load_recording_with_eimage_sta; docs/algorithms.md §4).
//
// compat 'none': the first spike_limit peaks with IncludePeak = 1, round-half-even to samples.
// compat 'hdmea': Peaks[:spike_limit] whatever IncludePeak says, truncating conversion.

import { usToSamples, usToSamplesLegacyTrunc } from '../algo/spikeConversion'
import type { EimageMode } from '../eimage/plan'
import { openCmtr } from './cmtrReader'
import { assertValidSpikeTimes, unitIdOf } from './recordingLoad'

export interface EimageSpikesRequest {
  path: string
  compat: EimageMode
  spikeLimit: number
  /** Samples per second the spike times are converted at. */
  rate: number
}

export interface EimageSpikeSets {
  /** Units in the .cmtr's order; those without a Peaks table are left out (with a warning). */
  units: { id: string; spikes: Float64Array }[]
  warnings: string[]
}

export async function readEimageSpikes(req: EimageSpikesRequest): Promise<EimageSpikeSets> {
  const cmtr = await openCmtr(req.path)
  try {
    const units: EimageSpikeSets['units'] = []
    const warnings: string[] = []
    for (const ref of cmtr.units) {
      const id = unitIdOf(ref.unitNum)
      const peaks = cmtr.readPeaks(ref)
      if (!peaks) {
        warnings.push(`${req.path}: '/Spike Sorter/${ref.name}' has no Peaks table; ${id} gets no electrical image`)
        continue
      }
      let spikes: Float64Array
      if (req.compat === 'hdmea') {
        const first = peaks.timestampUs.subarray(0, req.spikeLimit)
        assertValidSpikeTimes(req.path, ref.name, first)
        spikes = usToSamplesLegacyTrunc(first, req.rate)
      } else {
        assertValidSpikeTimes(req.path, ref.name, peaks.timestampUs)
        const included: number[] = []
        for (let i = 0; i < peaks.timestampUs.length && included.length < req.spikeLimit; i++) {
          if (peaks.includePeak[i] === 1) included.push(peaks.timestampUs[i])
        }
        spikes = usToSamples(included, req.rate)
      }
      units.push({ id, spikes })
    }
    return { units, warnings }
  } finally {
    cmtr.close()
  }
}
