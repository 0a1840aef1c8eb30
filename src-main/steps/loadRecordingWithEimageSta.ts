// load_recording_with_eimage_sta (docs/archive-format.md §3.5, docs/algorithms.md §4): everything load_recording does
// (its run() is called and its outcome merged), plus each unit's electrical image: the spike-triggered
// average of the zero-phase high-pass-filtered sensor movie, streamed through the worker pool
// (src-worker/eimage, docs/eimage.md). No file is read on the main thread: the .cmcr summary and the
// spike sets are pool tasks (src-worker/tasks/mcsTasks.ts), the sensor slabs come from the run's reader
// thread (src-worker/eimage/readerThread.ts).
//
// compat 'none' (default, correct): IncludePeak = 1 spikes converted with round-half-even (the
// session's spike_times), the filter equal to filtering the whole span at once, every spike whose
// window lies inside the span, divided by the spikes used.
// compat 'hdmea': the Python production numbers: all peaks of Peaks[:spike_limit] with the truncating
// conversion at hdmea's rate estimate, 10-s chunks filtered separately with 50-sample overlaps, the
// chunk edge rule and the legacy divisor (all spikes in the span). Differences: docs/DIFFERENCES.md.

import { ConfigurationError, FileAccessError, throwIfAborted } from '../../src-shared/errors'
import type { PipelineSession } from '../session/session'
import { f32, f64Scalar, i64, scalar, str, strs, type TreeNode } from '../../src-shared/tree'
import { validateHighpass } from '../../src-worker/dsp/butterworth'
import { computeEimageSta, type EimageUnitInput } from '../../src-worker/eimage/engine'
import type { EimageMode } from '../../src-worker/eimage/plan'
import type { EimageSpikeSets, EimageSpikesRequest } from '../../src-worker/mcs/eimageSpikes'
import type { CmcrSummary } from '../../src-worker/mcs/recordingLoad'
import type { TaskError } from '../../src-worker/tasks/mcsTasks'
import { resolveParams, type StepContext, type StepDefinition, type StepOutcome } from './framework'
import { unwrapTaskResult as unwrap } from '../pool/taskResult'
import { loadRecordingStep, type LoadRecordingParams } from './loadRecording'

export interface LoadRecordingWithEimageParams extends Record<string, unknown> {
  cmcr_path: string
  cmtr_path: string
  dataset_id: string | null
  duration_s: number
  spike_limit: number
  window_range: [number, number]
  cutoff_hz: number
  filter_order: number
  compat: EimageMode
}

const STEP = 'load_recording_with_eimage_sta'
/** Share of the progress bar for the load_recording part; the sensor stream takes the rest. */
const LOAD_SHARE = 0.08

/** The spike sets the STA uses, per unit, read in a pool worker (src-worker/mcs/eimageSpikes.ts). */
async function eimageSpikes(params: LoadRecordingWithEimageParams, rate: number, ctx: StepContext): Promise<EimageUnitInput[]> {
  const req: EimageSpikesRequest = { path: params.cmtr_path, compat: params.compat, spikeLimit: params.spike_limit, rate }
  const sets = unwrap(await ctx.pool.run<EimageSpikeSets | TaskError>('mcsEimageSpikes', req, { signal: ctx.signal }), params.cmtr_path, 'CMTR')
  for (const w of sets.warnings) ctx.warn(w)
  return sets.units
}

function featureMetadata(
  params: LoadRecordingWithEimageParams,
  rate: number,
  used: number,
  excluded: number,
): Record<string, TreeNode> {
  const [a, b] = params.window_range
  return {
    n_spikes_used: scalar('int64', used),
    n_spikes_excluded: scalar('int64', excluded),
    cutoff_hz: f64Scalar(params.cutoff_hz),
    filter_order: scalar('int64', params.filter_order),
    window_range: i64([a, b]),
    duration_s: f64Scalar(params.duration_s),
    spike_limit: scalar('int64', params.spike_limit),
    sampling_rate: f64Scalar(rate),
    pre_samples: scalar('int64', -a),
    post_samples: scalar('int64', b),
    compat: str(params.compat),
    // data is (window sample, row, col): row/col are Unit Info Row/Column - 1 (vendor frames are (col, row)).
    axes: strs(['window_sample', 'row', 'col']),
  }
}

export const loadRecordingWithEimageStaStep: StepDefinition<LoadRecordingWithEimageParams> = {
  id: STEP,
  title: 'Load recording with electrical images',
  description:
    'Everything "Load recording" does, plus each unit\'s electrical image: the average high-pass-filtered sensor movie around its spikes, over all electrodes.',
  params: [
    { name: 'cmcr_path', label: 'Raw file (.cmcr)', type: 'path', default: null, help: 'The CMOS-MEA-Control raw recording with the sensor movie (Acquisition/Sensor Data).' },
    { name: 'cmtr_path', label: 'Spike-sorter file (.cmtr)', type: 'path', default: null, help: 'The CMOS-MEA-Tools result file with the sorted units.' },
    { name: 'dataset_id', label: 'Dataset id', type: 'string', default: null, optional: true, help: 'Name of the recording in the archive; by default derived from the file names.' },
    { name: 'duration_s', label: 'Duration (s)', type: 'number', default: 120, min: 0, exclusiveMin: true, help: 'Seconds of the sensor movie used from its start; a longer value uses the whole recording (with a warning).' },
    { name: 'spike_limit', label: 'Spikes per unit', type: 'integer', default: 10000, min: 1, help: 'At most this many first spikes of each unit are averaged.' },
    {
      name: 'window_range',
      label: 'Window (samples)',
      type: 'range',
      integer: true,
      default: [-10, 40],
      help: 'Samples before (negative) and after the spike: [-10, 40] is 0.5 ms before to 2 ms after at 20 kHz.',
    },
    { name: 'cutoff_hz', label: 'High-pass cutoff (Hz)', type: 'number', default: 100, min: 0, exclusiveMin: true, help: 'Butterworth high-pass cutoff; must be below half the sampling rate.' },
    { name: 'filter_order', label: 'Filter order', type: 'integer', default: 2, min: 1, max: 10, help: 'Butterworth order of each pass (zero-phase filtering doubles the effective order).' },
    {
      name: 'compat',
      label: 'Compatibility',
      type: 'enum',
      choices: ['none', 'hdmea'],
      default: 'none',
      help: "'none': correct averages (included spikes, whole-span filtering, divided by the spikes used). 'hdmea': reproduce the Python pipeline's numbers (all peaks, 10-s chunks, legacy divisor).",
    },
  ],
  prerequisites: [],
  validate(params) {
    const [a, b] = params.window_range
    if (a > 0 || b < 0) {
      throw new ConfigurationError(`${STEP}: window_range [${a}, ${b}] must start at or before the spike (<= 0) and end at or after it (>= 0)`, { parameter: 'window_range' })
    }
    if (a >= b) throw new ConfigurationError(`${STEP}: window_range [${a}, ${b}] is empty; it needs start < end`, { parameter: 'window_range' })
    // load_recording's own checks (file suffixes), without running it.
    resolveParams(loadRecordingStep, { cmcr_path: params.cmcr_path, cmtr_path: params.cmtr_path, dataset_id: params.dataset_id })
  },
  async run(session, params, ctx): Promise<StepOutcome> {
    const [a, b] = params.window_range
    const pre = -a
    const post = b

    // Check the sensor movie and the filter before the long part starts.
    ctx.progress({ fraction: 0, message: `Opening ${params.cmcr_path}` })
    const cmcr = unwrap(await ctx.pool.run<CmcrSummary | TaskError>('mcsCmcrSummary', { path: params.cmcr_path }, { signal: ctx.signal }), params.cmcr_path, 'CMCR')
    throwIfAborted(ctx.signal)
    const sensor = cmcr.sensor
    if (!sensor || sensor.frames < 1) {
      throw new FileAccessError('DATA', `${params.cmcr_path}: no sensor data (Acquisition/Sensor Data/SensorData 1 1); an electrical image needs the raw sensor movie`, { path: params.cmcr_path })
    }
    const rate = params.compat === 'hdmea' ? (cmcr.samplingRateEstimate ?? 20000) : cmcr.samplingRate
    try {
      validateHighpass(params.cutoff_hz, rate, params.filter_order)
    } catch (err) {
      throw new ConfigurationError(`${STEP}: ${(err as Error).message} (sampling rate of ${params.cmcr_path})`, { parameter: 'cutoff_hz' })
    }
    const wanted = Math.trunc(rate * params.duration_s)
    const totalSamples = Math.min(wanted, sensor.frames)
    if (wanted > sensor.frames) {
      ctx.warn(`${params.cmcr_path}: duration_s ${params.duration_s} s is longer than the sensor movie (${sensor.frames} frames = ${(sensor.frames / rate).toFixed(3)} s); using all of it`)
    }
    if (sensor.fromUs) {
      ctx.warn(`${params.cmcr_path}: the sensor movie starts at ${sensor.fromUs} µs; like the Python, spike sample s is taken as sensor frame s`)
    }

    // load_recording first: its outcome is merged into ours.
    const loadCtx: StepContext = {
      signal: ctx.signal,
      pool: ctx.pool,
      warn: ctx.warn,
      progress: (p) => ctx.progress({ fraction: LOAD_SHARE * p.fraction, message: p.message }),
    }
    const loadParams: LoadRecordingParams = { cmcr_path: params.cmcr_path, cmtr_path: params.cmtr_path, dataset_id: params.dataset_id }
    const loaded = await loadRecordingStep.run(session, loadParams, loadCtx)
    throwIfAborted(ctx.signal)

    const units = await eimageSpikes(params, rate, ctx)
    throwIfAborted(ctx.signal)
    ctx.progress({ fraction: LOAD_SHARE, message: `Streaming the sensor movie for ${units.length} electrical images` })
    const res = await computeEimageSta(
      { cmcr: { path: params.cmcr_path, sensor }, totalSamples, samplingRate: rate, pre, post, cutoffHz: params.cutoff_hz, filterOrder: params.filter_order, mode: params.compat, units },
      {
        pool: ctx.pool,
        signal: ctx.signal,
        onProgress: (p) =>
          ctx.progress({
            fraction: LOAD_SHARE + (1 - LOAD_SHARE) * p.fraction,
            // The time left is the progress line's own (the service estimates it); not repeated here.
            message: `Electrical images: ${(p.bytesDone / 1e6).toFixed(0)} of ${(p.bytesTotal / 1e6).toFixed(0)} MB`,
            bytesDone: p.bytesDone,
            bytesTotal: p.bytesTotal,
          }),
      },
    )
    throwIfAborted(ctx.signal)

    const features = res.units.map((u) => {
      if (u.divisor === 0) {
        ctx.warn(`${u.id}: no spike inside the first ${totalSamples} samples with a whole window; its electrical image is all NaN`)
      }
      return {
        id: u.id,
        data: f32(u.sta, [pre + post, res.rows, res.cols]),
        metadata: featureMetadata(params, rate, u.nUsed, u.nInSpan - u.nUsed),
      }
    })
    const withImage = features.filter((f) => res.units.find((u) => u.id === f.id)!.divisor > 0).length
    return {
      apply(target: PipelineSession) {
        loaded.apply(target)
        // Both lists come from the same .cmtr; the check only keeps apply() from ever failing halfway.
        for (const f of features) if (target.units.children.has(f.id)) target.addFeature(f.id, 'eimage_sta', f.data, f.metadata)
      },
      summary: `${loaded.summary}; electrical images of ${withImage} of ${features.length} units from ${(totalSamples / rate).toFixed(1)} s (${params.compat === 'hdmea' ? 'hdmea-compatible' : 'default'} mode, ${(res.bytesRead / 1e6 / res.seconds).toFixed(0)} MB/s)`,
      alsoCompleted: [...new Set([...(loaded.alsoCompleted ?? []), 'add_cmtr_unit_info', 'add_sys_meta_info'])],
    }
  },
}
