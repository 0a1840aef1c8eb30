// load_recording (docs/archive-format.md §3.4): reads a .cmcr/.cmtr pair into units, metadata and stimulus.
// The reading runs in the worker pool (src-worker/tasks/mcsTasks.ts): the light channel with frame
// detection and batches of units in parallel. Differences from the Python are in docs/DIFFERENCES.md
// (Tick-based rate, row/col from Unit Info, Source never read, unit_meta filled here).

import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ConfigurationError, FileAccessError, throwIfAborted } from '../../src-shared/errors'
import { deriveDatasetId, validateDatasetId, type PipelineSession } from '../session/session'
import { type GroupNode, type LeafNode, type TreeNode, f64, f64Scalar, group, i64, scalar, str, strs, u64 } from '../../src-shared/tree'
import type { CmtrUnitRef } from '../../src-worker/mcs/cmtrReader'
import type { TypedValue } from '../../src-worker/mcs/h5util'
import type { CmcrSummary, CmtrSummary, LightResult, UnitResult } from '../../src-worker/mcs/recordingLoad'
import type { TaskError } from '../../src-worker/tasks/mcsTasks'
import { unwrapTaskResult as unwrap } from '../pool/taskResult'
import type { StepContext, StepDefinition } from './framework'

export interface LoadRecordingParams extends Record<string, unknown> {
  cmcr_path: string | null
  cmtr_path: string | null
  dataset_id: string | null
  /** Default true (also when a caller passes params without it). */
  peaks_data?: boolean
}

const RATE_ATTR_NAMES = ['samplingrate', 'sampling_rate', 'samplerate', 'sample_rate', 'acquisitionrate', 'acquisition_rate']
const DEFAULT_RATE = 20000

async function checkFile(path: string, kind: string): Promise<string> {
  const abs = resolve(path)
  let st
  try {
    st = await stat(abs)
  } catch {
    throw new FileAccessError('FILE_NOT_FOUND', `${kind} file not found: ${abs}`, { path: abs })
  }
  if (st.isDirectory()) throw new FileAccessError('FILE_KIND', `${kind} path is a folder, not a file: ${abs}`, { path: abs })
  return abs
}

function leafOf(v: TypedValue): LeafNode {
  if (v.kind === 'string') return Array.isArray(v.value) ? strs(v.value.map(String)) : str(String(v.value))
  if (Array.isArray(v.value)) return v.kind === 'int' ? i64(v.value.map(Number)) : f64(v.value.map(Number))
  return v.kind === 'int' ? scalar('int64', Number(v.value)) : f64Scalar(Number(v.value))
}

/** The rate from .cmtr root attributes whose name looks like a sampling rate (hdmea's fallback). */
function cmtrRate(meta: Record<string, TypedValue>): number | null {
  for (const [k, v] of Object.entries(meta)) {
    const lower = k.toLowerCase()
    if (!RATE_ATTR_NAMES.some((n) => lower.includes(n))) continue
    const n = Array.isArray(v.value) ? Number(v.value[0]) : Number(v.value)
    if (Number.isFinite(n) && n > 0) return n
  }
  return null
}

/** Units split into a few batches per worker thread (enough to balance, few enough to keep file opens rare). */
function batchUnits(units: CmtrUnitRef[], threads: number): CmtrUnitRef[][] {
  const nBatches = Math.max(1, Math.min(units.length, threads * 3))
  const size = Math.ceil(units.length / nBatches)
  const batches: CmtrUnitRef[][] = []
  for (let i = 0; i < units.length; i += size) batches.push(units.slice(i, i + size))
  return batches
}

async function runLoad(params: LoadRecordingParams, ctx: StepContext) {
  const cmcrPath = params.cmcr_path ? await checkFile(params.cmcr_path, 'CMCR') : null
  const cmtrPath = params.cmtr_path ? await checkFile(params.cmtr_path, 'CMTR') : null
  const datasetId = params.dataset_id ? validateDatasetId(params.dataset_id) : deriveDatasetId(cmcrPath, cmtrPath)
  const opts = { signal: ctx.signal }
  ctx.progress({ fraction: 0.01, message: 'Opening the recording files' })

  const [cmcr, cmtr] = await Promise.all([
    cmcrPath ? ctx.pool.run<CmcrSummary | TaskError>('mcsCmcrSummary', { path: cmcrPath }, opts).then((r) => unwrap(r, cmcrPath, 'CMCR')) : null,
    cmtrPath ? ctx.pool.run<CmtrSummary | TaskError>('mcsCmtrSummary', { path: cmtrPath }, opts).then((r) => unwrap(r, cmtrPath, 'CMTR')) : null,
  ])
  throwIfAborted(ctx.signal)

  // ---- rate and duration ----
  let rate: number
  if (cmcr) {
    rate = cmcr.samplingRate
    if (cmcr.samplingRateSource !== 'tick') {
      ctx.warn(`${cmcrPath}: no Tick in SensorMeta/ChannelMeta; acquisition_rate ${rate} Hz is ${cmcr.samplingRateSource === 'estimate' ? "hdmea's estimate len(raw_ch1) / LB.RecordingDuration" : 'the default'}`)
    }
  } else {
    const r = cmtr ? cmtrRate(cmtr.meta) : null
    if (r) rate = r
    else {
      rate = DEFAULT_RATE
      ctx.warn(`Using default acquisition_rate: ${DEFAULT_RATE} Hz (no .cmcr given and no rate attribute in the .cmtr)`)
    }
  }
  if (rate < 1000 || rate > 100000) ctx.warn(`Unusual acquisition_rate: ${rate} Hz`)
  const cmtrDuration = cmtr ? numberOf(cmtr.meta['LB.RecordingDuration']) : null
  const durationUs = cmcr?.durationUs ?? (cmtrDuration && cmtrDuration > 0 ? cmtrDuration : null)
  if (cmcr?.durationUs && cmtrDuration && Math.abs(cmcr.durationUs - cmtrDuration) > (cmcr.tickUs ?? 1)) {
    ctx.warn(
      `Recording durations disagree: ${cmcrPath} LB.RecordingDuration = ${cmcr.durationUs / 1e6} s, ${cmtrPath} = ${cmtrDuration / 1e6} s; are these files one pair? Using the .cmcr's`,
    )
  }
  if (cmtr && cmtr.linkedCmcrName && cmcrPath && !cmcrPath.endsWith(cmtr.linkedCmcrName)) {
    ctx.warn(`${cmtrPath} links its Acquisition to '${cmtr.linkedCmcrName}', not to ${cmcrPath}`)
  }
  if (!cmcr) ctx.warn('No CMCR file provided - light reference unavailable')
  if (!cmtr) ctx.warn('No CMTR file provided - spike data unavailable')
  if (cmtr && cmtr.units.length === 0) ctx.warn(`${cmtrPath}: '/Spike Sorter' holds no 'Unit N' groups; the session has zero units`)

  // ---- heavy reading in parallel ----
  const batches = cmtr ? batchUnits(cmtr.units, ctx.pool.threads) : []
  // Progress: the light channel counts like a third of the work when there are units.
  const lightWeight = cmcr ? Math.max(1, Math.ceil((cmtr?.units.length ?? 0) / 2)) : 0
  const batchWeights = batches.map((b) => b.length)
  const totalWeight = lightWeight + batchWeights.reduce((a, b) => a + b, 0) || 1
  let done = 0
  const advance = (w: number, message: string) => {
    done += w
    ctx.progress({ fraction: 0.02 + 0.96 * (done / totalWeight), message })
  }

  const lightTask = cmcr
    ? ctx.pool.run<LightResult | TaskError>('mcsLoadLight', { path: cmcrPath, rate }, opts).then((r) => {
        const v = unwrap(r, cmcrPath!, 'CMCR')
        advance(lightWeight, 'Light reference read, frames detected')
        return v
      })
    : Promise.resolve(null)
  const unitTasks = batches.map((b, i) =>
    ctx.pool.run<{ units: UnitResult[] } | TaskError>('mcsLoadUnits', { path: cmtrPath, units: b, rate, durationUs, peaksData: params.peaks_data ?? true }, opts).then((r) => {
      throwIfAborted(ctx.signal)
      const v = unwrap(r, cmtrPath!, 'CMTR')
      advance(batchWeights[i], `Units read (${b[b.length - 1].name})`)
      return v.units
    }),
  )
  const [light, unitLists] = await Promise.all([lightTask, Promise.all(unitTasks)])
  throwIfAborted(ctx.signal)
  for (const w of light?.warnings ?? []) ctx.warn(w)
  const units = unitLists.flat()
  for (const u of units) for (const w of u.warnings) ctx.warn(w)
  return { cmcrPath, cmtrPath, datasetId, cmcr, cmtr, rate, durationUs, light, units }
}

function numberOf(v: TypedValue | undefined): number | null {
  if (!v || v.kind === 'string') return null
  const n = Array.isArray(v.value) ? Number(v.value[0]) : Number(v.value)
  return Number.isFinite(n) ? n : null
}

export const loadRecordingStep: StepDefinition<LoadRecordingParams> = {
  id: 'load_recording',
  title: 'Load recording',
  description:
    'Reads the spike-sorted units (.cmtr) and the light reference (.cmcr) of one recording: spike times in samples, 10-Hz firing rates, mean waveforms, electrode positions, and the display-frame timestamps.',
  params: [
    { name: 'cmcr_path', label: 'Raw file (.cmcr)', type: 'path', default: null, optional: true, help: 'The CMOS-MEA-Control raw recording: light reference, frame sync, recording length and sampling rate.' },
    { name: 'cmtr_path', label: 'Spike-sorter file (.cmtr)', type: 'path', default: null, optional: true, help: 'The CMOS-MEA-Tools result file with the sorted units (Spike Sorter/Unit N).' },
    { name: 'dataset_id', label: 'Dataset id', type: 'string', default: null, optional: true, help: 'Name of the recording in the archive; by default the .cmtr (else .cmcr) file name without extension and trailing "-".' },
    {
      name: 'peaks_data',
      label: 'Keep all peaks',
      type: 'boolean',
      default: true,
      help: 'Keep every field of every sorter peak (included or not, with its cutout) in unit_meta/peaks_data, as the Python does. This is most of the memory of a loaded session (8 bytes x fields x peaks); turn it off to keep only spikes, rates, waveforms and Unit Info.',
    },
  ],
  prerequisites: [],
  validate(params) {
    if (!params.cmcr_path && !params.cmtr_path) {
      throw new ConfigurationError('load_recording: at least one of cmcr_path or cmtr_path must be provided', { parameter: 'cmcr_path' })
    }
    for (const [key, ext] of [['cmcr_path', '.cmcr'], ['cmtr_path', '.cmtr']] as const) {
      const p = params[key]
      if (p && !p.toLowerCase().endsWith(ext)) {
        throw new ConfigurationError(`load_recording: expected a ${ext} file for ${key}, got: ${p}`, { parameter: key })
      }
    }
  },
  async run(_session, params, ctx) {
    const r = await runLoad(params, ctx)
    throwIfAborted(ctx.signal)

    const unitsOut = new Map<string, GroupNode>()
    for (const u of r.units) unitsOut.set(u.unitId, u.node)

    const sysMeta = group()
    for (const [k, v] of Object.entries(r.cmtr?.meta ?? {})) sysMeta.children.set(k, leafOf(v))
    for (const [k, v] of Object.entries(r.cmcr?.meta ?? {})) sysMeta.children.set(k, leafOf(v))
    if (r.cmcr?.durationUs) sysMeta.children.set('recording_duration_s', f64Scalar(r.cmcr.durationUs / 1e6))

    const metadata: Record<string, TreeNode> = {
      dataset_id: str(r.datasetId),
      acquisition_rate: f64Scalar(r.rate),
      sample_interval: f64Scalar(1 / r.rate),
      sys_meta: sysMeta,
    }
    const stimulus: Record<string, TreeNode> = {}
    const ts = r.light?.frameTimestamps
    if (ts && ts.length > 0) {
      metadata.frame_timestamps = u64(ts)
      const seconds = new Float64Array(ts.length)
      for (let i = 0; i < ts.length; i++) seconds[i] = ts[i] / r.rate
      metadata.frame_time = f64(seconds)
      stimulus.frame_times = group({ default: u64(ts.slice()) })
    }
    if (r.light && r.light.lightReference.children.size > 0) stimulus.light_reference = r.light.lightReference

    const nSpikes = r.units.reduce((a, u) => a + u.nSpikes, 0)
    return {
      apply(session: PipelineSession) {
        session.addUnits(unitsOut)
        session.addMetadata(metadata)
        if (Object.keys(stimulus).length > 0) session.addStimulus(stimulus)
        session.setSourceFiles(r.cmcrPath, r.cmtrPath)
      },
      summary: `${r.units.length} units, ${nSpikes} spikes, ${ts?.length ?? 0} display frames at ${r.rate} Hz (${r.datasetId})`,
      alsoCompleted: r.cmtr ? ['add_cmtr_unit_info'] : [],
    }
  },
}
