// The object-heavy shape of a full-pipeline archive (docs/archive-speed.md): 300 units, each with its
// spike train, waveform, firing rate, unit attributes, unit_meta, an electrical-image STA feature with
// its metadata, and for 20 movies the sectioned spike times: full_spike_times, 10 trials, the trial
// bounds and the four sectioning scalars under _attrs. About 100,000 small datasets, a few MB of data.

import { type GroupNode, type LeafNode, f32, f64, group, i64, numeric, str, u64 } from '../../src-shared/tree'
import type { ArchiveContent } from '../../src-main/archive'

export const OBJECT_UNITS = 300
export const OBJECT_MOVIES = 20
export const OBJECT_TRIALS = 10

const scalarI64 = (v: number): LeafNode => numeric('int64', [v], [])
const scalarF64 = (v: number): LeafNode => numeric('float64', [v], [])

/** Deterministic pseudo-random spike trains; `seed` picks the file. */
export function objectHeavyUnits(seed = 12345): GroupNode {
  let s = seed >>> 0
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296)
  const units = group()
  for (let u = 0; u < OBJECT_UNITS; u++) {
    const nSpikes = 1500 + Math.floor(rand() * 1000)
    const spikes = new Float64Array(nSpikes)
    let t = 0
    for (let i = 0; i < nSpikes; i++) spikes[i] = t += 1 + Math.floor(rand() * 16_000)
    const movies = group()
    const movieLength = Math.floor(t / OBJECT_MOVIES)
    for (let m = 0; m < OBJECT_MOVIES; m++) {
      const start = m * movieLength
      const inMovie = spikes.filter((x) => x >= start && x < start + movieLength)
      const trialLength = Math.floor(movieLength / OBJECT_TRIALS)
      const trials = group()
      const bounds = new Float64Array(OBJECT_TRIALS * 2)
      for (let k = 0; k < OBJECT_TRIALS; k++) {
        const a = start + k * trialLength
        bounds[2 * k] = a
        bounds[2 * k + 1] = a + trialLength
        trials.children.set(String(k), i64(inMovie.filter((x) => x >= a && x < a + trialLength)))
      }
      movies.children.set(
        `movie_${String(m).padStart(2, '0')}`,
        group({
          full_spike_times: i64(inMovie),
          trials_spike_times: trials,
          trials_start_end: i64(bounds, [OBJECT_TRIALS, 2]),
          _attrs: group({ n_trials: scalarI64(OBJECT_TRIALS), pad_margin: f64([0, 0]), pre_samples: scalarI64(0), post_samples: scalarI64(0) }),
        }),
      )
    }
    const sta = new Float32Array(5 * 9 * 9).map(() => rand() - 0.5)
    units.children.set(
      `unit_${String(u + 1).padStart(3, '0')}`,
      group(
        {
          spike_times: u64(spikes),
          waveform: f32(new Float32Array(60).map(() => rand())),
          firing_rate_10hz: f32(new Float32Array(1200).map(() => rand() * 20)),
          unit_meta: group({ channel: scalarI64(u), amplitude: scalarF64(rand() * 100), sorter_label: str('good') }),
          features: group({
            eimage_sta: group({
              data: f32(sta, [5, 9, 9]),
              metadata: group({
                n_spikes_used: scalarI64(nSpikes),
                n_spikes_excluded: scalarI64(0),
                cutoff_hz: scalarF64(100),
                filter_order: scalarI64(2),
                pre_samples: scalarI64(10),
                post_samples: scalarI64(40),
                spike_limit: scalarI64(10_000),
                duration_s: scalarF64(1200),
                skip_highpass: scalarI64(0),
                sampling_rate: scalarF64(20_000),
                window_range: i64([-10, 40]),
              }),
            }),
          }),
          spike_times_sectioned: movies,
        },
        {
          row: scalarI64(u % 65),
          col: scalarI64(Math.floor(u / 65)),
          global_id: scalarI64(u),
          unit_num: scalarI64(u + 1),
          original_name: str(`Unit_${u + 1}`),
        },
      ),
    )
  }
  return units
}

/** Counts datasets and groups of a tree (for the benchmark's description line). */
export function countObjects(g: GroupNode): { datasets: number; groups: number; attributes: number } {
  let datasets = 0
  let groups = 0
  let attributes = g.attrs.size
  for (const child of g.children.values()) {
    if (child.kind === 'group') {
      const c = countObjects(child)
      datasets += c.datasets
      groups += c.groups + 1
      attributes += c.attributes
    } else {
      datasets++
      attributes += child.attrs?.size ?? 0
    }
  }
  return { datasets, groups, attributes }
}

export function objectHeavyContent(units: GroupNode): ArchiveContent {
  return {
    datasetId: '2025.04.10-11.12.57-Rec',
    createdAt: '2025-04-10T11:12:57.123456+00:00',
    savedAt: '2025-04-10T12:00:00.000001+00:00',
    units,
    metadata: group({ acquisition_rate: scalarF64(20_000), frame_timestamps: u64(new Float64Array(72_000).map((_, i) => 1000 + i * 333)) }),
    stimulus: group(),
    sourceFiles: new Map([['cmcr_path', 'O:\\data\\rec.cmcr']]),
    completedSteps: ['load_recording', 'section_spike_times'],
    warnings: [],
    extraRootAttrs: new Map(),
  }
}
