// The reading half of load_recording, run in worker threads: the .cmcr light reference and frame
// timestamps, and per-unit session subtrees from the .cmtr (spike samples, 10-Hz rate, mean waveform,
// Unit Info, unit_meta). Results are session tree nodes whose typed arrays are fresh (transferable).

import {
  type GroupNode,
  type LeafNode,
  type NumericDtype,
  type TreeNode,
  f32,
  f64,
  group,
  i64,
  numeric,
  scalar,
  str,
  strs,
  u64,
} from '../../src-shared/tree'
import { detectFrameTimestamps } from '../algo/frameTimestamps'
import { computeFiringRate } from '../algo/firingRate'
import { usToSamples } from '../algo/spikeConversion'
import { FileAccessError } from '../../src-shared/errors'
import { type CmcrFile, type SensorInfo, openCmcr } from './cmcrReader'
import { type CmtrUnitRef, openCmtr } from './cmtrReader'
import type { AttrValue, TypedValue, ValueKind } from './h5util'

export interface CmcrSummary {
  path: string
  meta: Record<string, TypedValue>
  samplingRate: number
  samplingRateSource: CmcrFile['samplingRateSource']
  samplingRateEstimate: number | null
  tickUs: number | null
  durationUs: number | null
  analogChannels: number
  analogSamples: number
  sensor: SensorInfo | null
}

export interface CmtrSummary {
  path: string
  meta: Record<string, TypedValue>
  linkedCmcrName: string | null
  /** 'Unit N' groups in numeric order (their tables are read by loadUnits). */
  units: CmtrUnitRef[]
}

export async function summariseCmcr(path: string): Promise<CmcrSummary> {
  const f = await openCmcr(path)
  try {
    return {
      path,
      meta: f.metaTyped,
      samplingRate: f.samplingRate,
      samplingRateSource: f.samplingRateSource,
      samplingRateEstimate: f.samplingRateEstimate,
      tickUs: f.tickUs,
      durationUs: f.durationUs,
      analogChannels: f.analog?.channels ?? 0,
      analogSamples: f.analog?.samples ?? 0,
      sensor: f.sensor,
    }
  } finally {
    f.close()
  }
}

export async function summariseCmtr(path: string): Promise<CmtrSummary> {
  const f = await openCmtr(path)
  try {
    return { path, meta: f.metaTyped, linkedCmcrName: f.linkedCmcrName, units: f.units }
  } finally {
    f.close()
  }
}

/** Non-overlapping block means of `factor` samples (float64 sums, float32 result); the remainder is dropped. */
export function blockMeans(x: Float32Array, factor: number): Float32Array {
  if (factor <= 1) return x.slice()
  const n = Math.floor(x.length / factor)
  const out = new Float32Array(n)
  for (let b = 0; b < n; b++) {
    let s = 0
    const base = b * factor
    for (let i = 0; i < factor; i++) s += x[base + i]
    out[b] = s / factor
  }
  return out
}

export interface LightResult {
  /** Children of stimulus/light_reference: raw_ch1, 10hz_ch1, 1khz_ch1 (and _ch2). */
  lightReference: GroupNode
  frameTimestamps: Float64Array | null
  warnings: string[]
}

/** Reads the light channels (float32 raw counts), derives the 1-kHz and 10-Hz copies and detects frames. */
export async function loadLight(path: string, rate: number): Promise<LightResult> {
  const f = await openCmcr(path)
  const warnings: string[] = []
  try {
    const light = group()
    if (!f.analog) {
      warnings.push(`${path}: no analog stream (Acquisition/Analog Data/ChannelData 1): light reference and frame timestamps unavailable`)
      return { lightReference: light, frameTimestamps: null, warnings }
    }
    const rows = Math.min(2, f.analog.channels)
    const channels = f.readAnalogRows(Array.from({ length: rows }, (_, r) => r))
    channels.forEach((raw, r) => assertFiniteAnalog(path, f.analog!, r, raw))
    channels.forEach((raw, r) => {
      const name = `ch${r + 1}`
      light.children.set(`raw_${name}`, f32(raw))
      for (const [label, target] of [['10hz', 10], ['1khz', 1000]] as const) {
        const factor = target >= rate ? 1 : Math.trunc(rate / target)
        light.children.set(`${label}_${name}`, f32(blockMeans(raw, factor)))
      }
    })
    const syncChannel = channels[1] ?? channels[0]
    const frameTimestamps = detectFrameTimestamps(syncChannel)
    if (frameTimestamps.length === 0) warnings.push(`${path}: no display frames found on the frame-sync channel (raw_ch${channels[1] ? 2 : 1})`)
    return { lightReference: light, frameTimestamps, warnings }
  } finally {
    f.close()
  }
}

/**
 * NaN or Inf in the light reference would make frame detection and section times nonsense without any
 * sign of it; such a recording is refused, naming the file, channel and first bad sample.
 */
function assertFiniteAnalog(path: string, analog: NonNullable<CmcrFile['analog']>, row: number, raw: Float32Array): void {
  for (let i = 0; i < raw.length; i++) {
    if (!Number.isFinite(raw[i])) {
      const label = analog.labels[row] ? ` '${analog.labels[row]}'` : ''
      throw new FileAccessError(
        'DATA',
        `${path}: analog channel ${row + 1}${label} of ${analog.path} has a non-finite value (${raw[i]}) at sample ${i}; the light reference must hold finite numbers`,
        { path },
      )
    }
  }
}

/** Spike times must be finite and not negative (they become unsigned sample indices). */
export function assertValidSpikeTimes(path: string, unitName: string, timesUs: ArrayLike<number>, rows?: ArrayLike<number>): void {
  for (let i = 0; i < timesUs.length; i++) {
    const t = timesUs[i]
    if (!Number.isFinite(t) || t < 0) {
      throw new FileAccessError(
        'DATA',
        `${path}: '/Spike Sorter/${unitName}/Peaks' row ${rows ? rows[i] : i} has Timestamp ${t}; spike times must be finite and not negative`,
        { path },
      )
    }
  }
}

// ---------- units ----------

export interface UnitResult {
  unitId: string
  unitNum: number
  node: GroupNode
  nSpikes: number
  warnings: string[]
}

function leafOf(value: AttrValue, kind: ValueKind): LeafNode {
  if (kind === 'string') return typeof value === 'string' ? str(value) : strs((value as string[]).map(String))
  const nums = (Array.isArray(value) ? value : [value]).map(Number)
  return kind === 'int' ? i64(nums) : f64(nums)
}

const FIELD_DTYPES: Record<string, NumericDtype> = {
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  uint64: 'uint64',
  float32: 'float32',
  float64: 'float64',
}

export function unitIdOf(unitNum: number): string {
  return `unit_${String(unitNum).padStart(3, '0')}`
}

export interface LoadUnitsOptions {
  /** Keep every Peaks field of every peak in unit_meta/peaks_data (default true, as the Python). */
  peaksData?: boolean
}

/** Session subtrees of the given units. `durationUs` null: last included spike + 1 s (as hdmea). */
export async function loadUnits(path: string, refs: CmtrUnitRef[], rate: number, durationUs: number | null, options: LoadUnitsOptions = {}): Promise<UnitResult[]> {
  const f = await openCmtr(path)
  try {
    return refs.map((ref) => loadOneUnit(f, ref, rate, durationUs, options.peaksData ?? true))
  } finally {
    f.close()
  }
}

function loadOneUnit(f: Awaited<ReturnType<typeof openCmtr>>, ref: CmtrUnitRef, rate: number, durationUs: number | null, peaksData: boolean): UnitResult {
  const warnings: string[] = []
  const unitId = unitIdOf(ref.unitNum)
  const info = f.readUnit(ref)
  const peaks = f.readPeaks(ref, peaksData ? { allFields: true, attrs: false } : { cutouts: true, attrs: false })
  const children = new Map<string, TreeNode>()
  const attrs = new Map<string, LeafNode>()
  const meta = group()

  let includedUs = new Float64Array(0)
  if (!peaks) {
    warnings.push(`${f.path}: '/Spike Sorter/${ref.name}' has no Peaks table; ${unitId} has no spikes`)
  } else {
    const n = peaks.timestampUs.length
    let count = 0
    for (let i = 0; i < n; i++) count += peaks.includePeak[i]
    includedUs = new Float64Array(count)
    const includedRows = new Int32Array(count)
    for (let i = 0, j = 0; i < n; i++) {
      if (peaks.includePeak[i]) {
        includedUs[j] = peaks.timestampUs[i]
        includedRows[j++] = i
      }
    }
    assertValidSpikeTimes(f.path, ref.name, includedUs, includedRows)
    if (count === 0) warnings.push(`${f.path}: '/Spike Sorter/${ref.name}' has no included peaks (IncludePeak = 1 in ${n} rows); ${unitId} has no spikes`)
    // Mean cutout over included peaks (fields after Timestamp, PeakAmplitude, IncludePeak).
    if (count > 0 && peaks.cutoutFields.length > 0) {
      const K = peaks.cutoutFields.length
      const wf = new Float32Array(K)
      if (peaks.fields) {
        const fields = peaks.fields
        peaks.cutoutFields.forEach((name, k) => {
          const col = fields[name]
          let s = 0
          for (let j = 0; j < count; j++) s += col[includedRows[j]]
          wf[k] = s / count
        })
      } else {
        const cut = peaks.cutouts!
        const sums = new Float64Array(K)
        for (let j = 0; j < count; j++) {
          const base = includedRows[j] * K
          for (let k = 0; k < K; k++) sums[k] += cut[base + k]
        }
        for (let k = 0; k < K; k++) wf[k] = sums[k] / count
      }
      children.set('waveform', f32(wf))
    }
    if (peaks.peakAmplitude) {
      const amps = new Float32Array(count)
      for (let j = 0; j < count; j++) amps[j] = peaks.peakAmplitude[includedRows[j]]
      meta.children.set('peak_amplitudes', f32(amps))
    }
    if (peaks.fields) {
      const pd = group()
      for (const [name, values] of Object.entries(peaks.fields)) {
        const dtype = FIELD_DTYPES[peaks.fieldTypes[name]] ?? 'float64'
        pd.children.set(name.toLowerCase(), numeric(dtype, values))
      }
      meta.children.set('peaks_data', pd)
    }
  }

  const spikeSamples = usToSamples(includedUs, rate)
  children.set('spike_times', u64(spikeSamples))
  if (includedUs.length > 0) {
    const dur = durationUs && durationUs > 0 ? durationUs : includedUs[includedUs.length - 1] + 1e6
    children.set('firing_rate_10hz', f32(computeFiringRate(includedUs, dur, 10)))
  }

  // unit_meta: Unit Info fields (lower-cased), unit attributes as attr_<name>, RoiSTAs, Unmixing.
  if (info.unitInfo) {
    for (const [k, v] of Object.entries(info.unitInfo)) meta.children.set(k.toLowerCase(), leafOf(v, info.unitInfoKinds[k] ?? (typeof v === 'string' ? 'string' : 'float')))
  } else {
    warnings.push(`${f.path}: '/Spike Sorter/${ref.name}' has no 'Unit Info' table; row/col come from the unit attributes`)
  }
  for (const [k, tv] of Object.entries(info.attrsTyped)) meta.children.set(`attr_${k.toLowerCase()}`, leafOf(tv.value, tv.kind))
  const roi = f.readUnitMatrix(ref, 'RoiSTAs')
  if (roi) meta.children.set('roi_stas', f32(roi.data, roi.shape))
  const unmix = f.readUnitMatrix(ref, 'Unmixing')
  if (unmix) meta.children.set('unmixing_matrix', f32(unmix.data, unmix.shape))
  children.set('unit_meta', meta)

  if (info.row !== null && info.col !== null) {
    attrs.set('row', scalar('int64', info.row))
    attrs.set('col', scalar('int64', info.col))
  } else {
    warnings.push(`${f.path}: '/Spike Sorter/${ref.name}' has no Row/Column (Unit Info or attributes); ${unitId} has no row/col`)
  }
  if (info.sensorId !== null) attrs.set('global_id', scalar('int64', info.sensorId))
  attrs.set('unit_num', scalar('int64', ref.unitNum))
  attrs.set('original_name', str(ref.name.replace(/ /g, '_')))

  const node: GroupNode = { kind: 'group', children, attrs }
  return { unitId, unitNum: ref.unitNum, node, nSpikes: spikeSamples.length, warnings }
}

/** Every distinct ArrayBuffer below a node (for a transfer list). */
export function collectBuffers(node: TreeNode, out: Set<ArrayBuffer> = new Set()): Set<ArrayBuffer> {
  if (node.kind === 'group') {
    for (const a of node.attrs.values()) collectBuffers(a, out)
    for (const c of node.children.values()) collectBuffers(c, out)
  } else if (node.kind !== 'string') {
    const b = node.data.buffer
    if (b instanceof ArrayBuffer && b.byteLength > 0) out.add(b)
  }
  return out
}
