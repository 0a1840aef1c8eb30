// "frif": firing rate in every inter-frame interval of the display (docs/algorithms.md §5), in samples.

import { f32, f64 } from '../../../src-shared/tree'
import { computeFrif } from '../../../src-worker/algo/frif'
import type { FeatureExtractor } from '../types'

export const frifExtractor: FeatureExtractor = {
  name: 'frif',
  // 1.0.0 is the Python extractor, whose numbers are wrong (µs/sample mix-up); ours are computed in samples.
  version: '2.0.0',
  requiredInputs: ['unit/spike_times', 'metadata/frame_timestamps', 'metadata/acquisition_rate'],
  description: 'Firing rate (Hz) between consecutive display-frame timestamps; FRIF_x_axis is each interval start in seconds.',
  extract(view) {
    const { frif, xAxis } = computeFrif(
      view.getArray('unit/spike_times'),
      view.getArray('metadata/frame_timestamps'),
      view.getScalar('metadata/acquisition_rate'),
    )
    return { FRIF: f32(frif), FRIF_x_axis: f64(xAxis) }
  },
}
