// compute_burst_statistics: the lab guide's example step ("Adding a New Module to the Pipeline") as a
// JavaScript step plugin. The same statistics as compute_burst_statistics_py/burst_statistics.py, to the
// last digit; the definition is in docs/plugins.md ("The burst statistics").

/** Burst statistics of one spike train (sample indices, ascending). */
export function burstStatistics(spikeTimes, rateHz, thresholdMs, minSpikes) {
  const t = Float64Array.from(spikeTimes).sort()
  const limit = thresholdMs * rateHz // an ISI is short when isi * 1000 < threshold_ms * rate
  let bursts = 0
  let spikesInBursts = 0
  let run = 1 // spikes in the current run of short ISIs
  for (let i = 1; i <= t.length; i++) {
    if (i < t.length && (t[i] - t[i - 1]) * 1000 < limit) {
      run++
      continue
    }
    if (run >= minSpikes && run >= 2) {
      bursts++
      spikesInBursts += run
    }
    run = 1
  }
  return { bursts, spikesInBursts }
}

/** A number stored as a scalar or as a one-element array (archives in the wild hold both). */
function scalar(v) {
  if (typeof v === 'number') return v
  return v && v.length === 1 && typeof v[0] === 'number' ? v[0] : undefined
}

/** Recording duration in seconds: from the metadata, else the span of all spikes (with a warning). */
export function recordingSeconds(api, rateHz) {
  for (const path of ['sys_meta/recording_duration_s', 'recording_duration_s']) {
    const d = scalar(api.metadata.get(path))
    if (d !== undefined && Number.isFinite(d) && d > 0) return { seconds: d, fromSpikes: false }
  }
  let first = Infinity
  let last = -Infinity
  for (const id of api.unitIds()) {
    const t = api.units.get(`${id}/spike_times`)
    if (!t || t.length === 0) continue
    for (const v of t) {
      if (v < first) first = v
      if (v > last) last = v
    }
  }
  return { seconds: last > first ? (last - first) / rateHz : 0, fromSpikes: true }
}

export default {
  id: 'compute_burst_statistics',
  title: 'Burst statistics',
  description:
    'Counts bursts per unit: runs of spikes whose inter-spike intervals are all below the threshold, with at least the minimum number of spikes. JavaScript plugin (the lab guide example).',
  version: '1.0.0',
  prerequisites: ['load_recording'],
  params: [
    {
      name: 'burst_threshold_ms',
      label: 'Burst ISI threshold (ms)',
      type: 'number',
      default: 10.0,
      min: 0,
      exclusiveMin: true,
      help: 'Two spikes belong to one burst when their inter-spike interval is shorter than this.',
    },
    {
      name: 'min_spikes_per_burst',
      label: 'Minimum spikes per burst',
      type: 'integer',
      default: 3,
      min: 2,
      help: 'A run of short intervals counts as a burst only with at least this many spikes.',
    },
  ],
  run(api, params) {
    const rate = scalar(api.metadata.get('acquisition_rate'))
    if (rate === undefined || !(rate > 0)) throw new Error('metadata/acquisition_rate is missing; run a loader first')
    const { seconds, fromSpikes } = recordingSeconds(api, rate)
    if (fromSpikes) api.warn(`the recording duration is not in the metadata; burst_rate uses the span of all spikes (${seconds} s)`)
    const ids = api.unitIds()
    ids.forEach((id, i) => {
      const t = api.units.get(`${id}/spike_times`) ?? new Float64Array(0)
      const { bursts, spikesInBursts } = burstStatistics(t, rate, params.burst_threshold_ms, params.min_spikes_per_burst)
      api.addFeature(
        id,
        'burst_statistics',
        {
          burst_count: api.int64(bursts),
          spikes_in_bursts: api.int64(spikesInBursts),
          burst_rate: seconds > 0 ? bursts / seconds : 0,
          burst_threshold_ms: params.burst_threshold_ms,
        },
        { version: '1.0.0', min_spikes_per_burst: api.int64(params.min_spikes_per_burst) },
      )
      api.progress((i + 1) / ids.length, id)
    })
    return `burst statistics for ${ids.length} units`
  },
}
