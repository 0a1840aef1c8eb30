// Reader for MCS CMOS-MEA-Control raw files (.cmcr), by the layout of docs/mcs-format.md §3.
//
// Conventions (documented in docs/DIFFERENCES.md):
// * Sampling rate = 1e6 / Tick (µs) from SensorMeta, else ChannelMeta (docs/mcs-format.md §2.4, §7). hdmea's
//   estimate len(raw_ch1) / LB.RecordingDuration is kept as `samplingRateEstimate`.
// * Analog rows are returned as float32 raw ADC counts: no ConversionFactor/Exponent/ADZero, like the
//   Python pipeline (its light-reference numbers are in counts).
// * Sensor frames: the vendor stores SensorData as (time, column, row) — SensorData[t, col-1, row-1]
//   with Row/Column 1-based as in `Unit Info` (McsPy's SensorID = 65·(Column−1) + Row). We report the
//   order in `sensor.axisOrder` and return slabs in raw file order; callers index
//   frame[(col-1) * rows + (row-1)] for 'time,col,row'.
// Nothing here reads a dataset whole except the analog rows a caller asks for, in slabs.

import type { Dataset, File as H5File, Group } from 'h5wasm/node'
import { Module } from 'h5wasm/node'
import { FileAccessError } from '../../src-shared/errors'
import { assertReadFits } from './declaredSize'
import {
  type AttrValue,
  attrNumber,
  attrString,
  childNames,
  getIfExists,
  attrValues,
  checkDeclaredSize,
  openHdf5With,
  isDataset,
  isGroup,
  readAttributes,
  readAttributesTyped,
  readCompoundRecords,
  recordNumber,
  recordString,
  type TypedValue,
} from './h5util'

export type SensorAxisOrder = 'time,col,row' | 'time,row,col'

export interface SensorInfo {
  /** HDF5 path of the sensor dataset. */
  path: string
  frames: number
  rows: number
  cols: number
  /** h5wasm dtype string of the stored values, e.g. '<h'. */
  dtype: string
  axisOrder: SensorAxisOrder
  /** Shape of the dataset as stored. */
  shape: [number, number, number]
  fromUs: number | null
  tickUs: number | null
}

export interface AnalogInfo {
  path: string
  channels: number
  samples: number
  dtype: string
  fromUs: number | null
  tickUs: number | null
  /** ChannelMeta labels by row, where the table has them. */
  labels: string[]
}

export interface CmcrFile {
  path: string
  /** All root attributes, decoded (strings cleaned, 1-element arrays unwrapped). */
  meta: Record<string, AttrValue>
  /** The same with each value's kind (int/float/string), for faithful storage. */
  metaTyped: Record<string, TypedValue>
  /** 1e6 / Tick where a Tick exists, else the hdmea estimate, else 20000 (see samplingRateSource). */
  samplingRate: number
  samplingRateSource: 'tick' | 'estimate' | 'default'
  /** hdmea's len(raw_ch1) / (LB.RecordingDuration / 1e6), or null without both. */
  samplingRateEstimate: number | null
  tickUs: number | null
  /** LB.RecordingDuration (µs), else Acquisition To − From, else null. */
  durationUs: number | null
  sensor: SensorInfo | null
  analog: AnalogInfo | null
  /** Frames [t0, t1) in raw file order as int16 (uint16 storage wraps, as numpy's astype does). */
  readSensorFrames(t0: number, t1: number): Int16Array
  /** Samples [s0, s1) of one analog row, as float32 raw counts. */
  readAnalogRow(row: number, s0?: number, s1?: number): Float32Array
  /** Several analog rows over samples [s0, s1), read together slab by slab. */
  readAnalogRows(rows: number[], s0?: number, s1?: number): Float32Array[]
  close(): void
}

const SENSOR_FALLBACK_NAMES = ['SensorData 1 1', 'SensorData_1_1', 'SensorData1']
const ANALOG_SLAB_SAMPLES = 8 * 1024 * 1024
const MAX_SLAB_BYTES = 256 * 1024 * 1024

/** The file name an external link points to, or null if `name` is not an external link. */
export function externalLinkTarget(file: H5File, name: string): string | null {
  try {
    const link = file.get_external_link(name) as { filename?: string } | null
    return link && typeof link.filename === 'string' && link.filename.length > 0 ? link.filename : null
  } catch {
    return null
  }
}

/** Throws DATA naming the file and dataset when it does not hold integers or floats (e.g. strings). */
function assertNumeric(path: string, ds: Dataset, what: string): void {
  const type = ds.metadata.type
  if (type !== Module.H5T_class_t.H5T_INTEGER.value && type !== Module.H5T_class_t.H5T_FLOAT.value) {
    throw new FileAccessError('DATA', `${path}: ${ds.path} should hold ${what} as numbers, but its values are of another type (${String(ds.dtype)})`, { path })
  }
}

/** Which kind of MCS file an open HDF5 file is, by content. */
export function detectMcsKind(file: H5File): 'cmcr' | 'cmtr' | 'unknown' {
  const root = childNames(file)
  if (root.includes('Spike Sorter') || (file.attrs['ProgramName'] && /tools/i.test(String(file.attrs['ProgramName'].value)))) {
    return 'cmtr'
  }
  if (root.includes('Acquisition')) {
    // A .cmtr mounts Acquisition as an external link; the raw file holds a real group.
    return externalLinkTarget(file, 'Acquisition') ? 'cmtr' : 'cmcr'
  }
  return 'unknown'
}

function mcsIdentityError(path: string, what: string): never {
  throw new FileAccessError('FILE_KIND', `${path} is not an MCS CMOS-MEA raw file (.cmcr): ${what}`, { path })
}

function findSensorDataset(file: H5File): Dataset | null {
  const stream = getIfExists(file, 'Acquisition/Sensor Data')
  if (!stream || !isGroup(stream)) return null
  for (const name of SENSOR_FALLBACK_NAMES) {
    const ds = getIfExists(stream, name)
    if (ds && isDataset(ds)) return ds
  }
  const names = childNames(stream)
  const any = names.find((n) => n.includes('SensorData')) ?? names.find((n) => /sensor/i.test(n) && !/meta/i.test(n))
  if (any) {
    const ds = getIfExists(stream, any)
    if (ds && isDataset(ds)) return ds
  }
  return null
}

function metaTick(group: Group | null, table: string): { tick: number | null; records: Array<Record<string, unknown>> } {
  if (!group) return { tick: null, records: [] }
  const ds = getIfExists(group, table)
  if (!ds || !isDataset(ds)) return { tick: null, records: [] }
  try {
    const records = readCompoundRecords(ds)
    const tick = records.length > 0 ? recordNumber(records[0], 'Tick') : undefined
    return { tick: tick && tick > 0 ? tick : null, records }
  } catch {
    return { tick: null, records: [] }
  }
}

function sensorAxisOrder(shape: number[], meta: Array<Record<string, unknown>>): SensorAxisOrder {
  // Only a non-square region can tell the order from the data; the vendor order is (time, col, row).
  const rec = meta[0]
  if (rec && shape[1] !== shape[2]) {
    const left = recordNumber(rec, 'RegionLeft') ?? recordNumber(rec, 'FrameLeft')
    const right = recordNumber(rec, 'RegionRight') ?? recordNumber(rec, 'FrameRight')
    const top = recordNumber(rec, 'RegionTop') ?? recordNumber(rec, 'FrameTop')
    const bottom = recordNumber(rec, 'RegionBottom') ?? recordNumber(rec, 'FrameBottom')
    if (left !== undefined && right !== undefined && top !== undefined && bottom !== undefined) {
      const width = right - left + 1
      const height = bottom - top + 1
      if (shape[1] === height && shape[2] === width) return 'time,row,col'
    }
  }
  return 'time,col,row'
}

/** Opens a .cmcr. Throws FileAccessError for a missing/non-HDF5/non-MCS file or a .cmtr given as .cmcr. */
export async function openCmcr(path: string): Promise<CmcrFile> {
  return openHdf5With(path, 'CMCR', buildCmcr)
}

function buildCmcr(path: string, file: H5File): CmcrFile {
  const metaTyped = readAttributesTyped(file)
  const meta = attrValues(metaTyped)
  const kind = detectMcsKind(file)
  if (kind === 'cmtr') {
    throw new FileAccessError(
      'FILE_KIND',
      `${path} is a CMOS-MEA-Tools result file (.cmtr: it has 'Spike Sorter' / an external 'Acquisition' link), not a raw .cmcr file`,
      { path },
    )
  }
  if (attrString(meta, 'ID.Type') === undefined) mcsIdentityError(path, "the root attribute 'ID.Type' is missing")
  if (kind !== 'cmcr') mcsIdentityError(path, "it has no '/Acquisition' group")

  const acquisition = getIfExists(file, 'Acquisition') as Group | null
  const acqAttrs = acquisition ? readAttributes(acquisition) : {}
  const sensorStream = getIfExists(file, 'Acquisition/Sensor Data')
  const analogStream = getIfExists(file, 'Acquisition/Analog Data')
  const sensorMeta = metaTick(sensorStream && isGroup(sensorStream) ? sensorStream : null, 'SensorMeta')
  const channelMeta = metaTick(analogStream && isGroup(analogStream) ? analogStream : null, 'ChannelMeta')

  // ---- sensor ----
  let sensor: SensorInfo | null = null
  const sensorDs = findSensorDataset(file)
  if (sensorDs) {
    checkDeclaredSize(sensorDs)
    assertNumeric(path, sensorDs, 'sensor samples')
    const shape = sensorDs.shape ?? []
    if (shape.length !== 3) {
      throw new FileAccessError('FILE_CORRUPT', `${path}: ${sensorDs.path} has shape [${shape.join(', ')}], expected 3 dimensions (time, col, row)`, { path })
    }
    const a = readAttributes(sensorDs)
    const axisOrder = sensorAxisOrder(shape, sensorMeta.records)
    const [frames, d1, d2] = shape
    sensor = {
      path: sensorDs.path,
      frames,
      rows: axisOrder === 'time,col,row' ? d2 : d1,
      cols: axisOrder === 'time,col,row' ? d1 : d2,
      dtype: String(sensorDs.dtype),
      axisOrder,
      shape: [frames, d1, d2],
      fromUs: attrNumber(a, 'From') ?? null,
      tickUs: sensorMeta.tick,
    }
    // Frames beyond (To − From) / Tick are not recorded data (the MATLAB reader trusts To/From).
    const from = attrNumber(a, 'From')
    const to = attrNumber(a, 'To')
    if (from !== undefined && to !== undefined && sensorMeta.tick) {
      const n = Math.round((to - from) / sensorMeta.tick)
      if (n > 0 && n < frames) sensor.frames = n
    }
  }

  // ---- analog ----
  let analog: AnalogInfo | null = null
  let analogDs: Dataset | null = null
  if (analogStream && isGroup(analogStream)) {
    const direct = getIfExists(analogStream, 'ChannelData 1')
    const fallbackName = direct ? null : childNames(analogStream).filter((n) => n.startsWith('ChannelData')).sort()[0]
    const ds = direct ?? (fallbackName ? getIfExists(analogStream, fallbackName) : null)
    if (ds && isDataset(ds)) {
      checkDeclaredSize(ds)
      assertNumeric(path, ds, 'analog samples')
      analogDs = ds
      const shape = ds.shape ?? []
      const a = readAttributes(ds)
      analog = {
        path: ds.path,
        channels: shape.length === 2 ? shape[0] : 1,
        samples: shape.length === 2 ? shape[1] : (shape[0] ?? 0),
        dtype: String(ds.dtype),
        fromUs: attrNumber(a, 'From') ?? null,
        tickUs: channelMeta.tick,
        labels: channelMeta.records.map((r) => recordString(r, 'Label') ?? ''),
      }
    }
  }

  // ---- time base ----
  const recordingDuration = attrNumber(meta, 'LB.RecordingDuration')
  const acqFrom = attrNumber(acqAttrs, 'From')
  const acqTo = attrNumber(acqAttrs, 'To')
  const durationUs =
    recordingDuration !== undefined && recordingDuration > 0
      ? recordingDuration
      : acqFrom !== undefined && acqTo !== undefined && acqTo > acqFrom
        ? acqTo - acqFrom
        : null
  const tickUs = sensorMeta.tick ?? channelMeta.tick
  const samplingRateEstimate =
    analog && recordingDuration !== undefined && recordingDuration > 0 ? analog.samples / (recordingDuration / 1e6) : null
  const samplingRate = tickUs ? 1e6 / tickUs : (samplingRateEstimate ?? 20000)
  const samplingRateSource = tickUs ? 'tick' : samplingRateEstimate ? 'estimate' : 'default'

  let closed = false
  const cmcr: CmcrFile = {
    path,
    meta,
    metaTyped,
    samplingRate,
    samplingRateSource,
    samplingRateEstimate,
    tickUs,
    durationUs,
    sensor,
    analog,
    readSensorFrames(t0: number, t1: number): Int16Array {
      if (!sensor || !sensorDs) {
        throw new FileAccessError('DATA', `${path}: no sensor dataset (Acquisition/Sensor Data/SensorData 1 1)`, { path })
      }
      if (!(Number.isInteger(t0) && Number.isInteger(t1) && t0 >= 0 && t1 >= t0 && t1 <= sensor.frames)) {
        throw new RangeError(`${path}: sensor frames [${t0}, ${t1}) outside [0, ${sensor.frames})`)
      }
      const bytes = (t1 - t0) * sensor.shape[1] * sensor.shape[2] * 2
      if (bytes > MAX_SLAB_BYTES) throw new RangeError(`${path}: a slab of ${bytes} bytes exceeds the 256 MB limit; read fewer frames`)
      if (t1 === t0) return new Int16Array(0)
      const raw = sensorDs.slice([[t0, t1], [], []]) as unknown
      if (raw instanceof Int16Array) return raw
      if (ArrayBuffer.isView(raw)) return Int16Array.from(raw as unknown as ArrayLike<number>)
      throw new FileAccessError('DATA', `${path}: ${sensor.path} has an unsupported dtype ${sensor.dtype}`, { path })
    },
    readAnalogRow(row: number, s0 = 0, s1?: number): Float32Array {
      return cmcr.readAnalogRows([row], s0, s1)[0]
    },
    readAnalogRows(rowList: number[], s0 = 0, s1?: number): Float32Array[] {
      if (!analog || !analogDs) {
        throw new FileAccessError('DATA', `${path}: no analog dataset (Acquisition/Analog Data/ChannelData 1)`, { path })
      }
      const end = s1 ?? analog.samples
      for (const row of rowList) {
        if (row < 0 || row >= analog.channels || s0 < 0 || end > analog.samples || end < s0) {
          throw new RangeError(`${path}: analog row ${row} samples [${s0}, ${end}) outside ${analog.channels} x ${analog.samples}`)
        }
      }
      assertReadFits(path, rowList.length * (end - s0) * 4, `${rowList.length} analog row(s) of ${end - s0} samples`)
      const outs = rowList.map(() => new Float32Array(end - s0))
      const twoD = (analogDs.shape ?? []).length === 2
      const r0 = Math.min(...rowList)
      const r1 = Math.max(...rowList) + 1
      const slab = Math.max(1, Math.floor(ANALOG_SLAB_SAMPLES / (r1 - r0)))
      for (let a = s0; a < end; a += slab) {
        const b = Math.min(end, a + slab)
        const part = (twoD ? analogDs.slice([[r0, r1], [a, b]]) : analogDs.slice([[a, b]])) as unknown as ArrayLike<number | bigint>
        const width = b - a
        rowList.forEach((row, j) => {
          const base = (row - r0) * width
          const out = outs[j]
          if (part instanceof BigInt64Array || part instanceof BigUint64Array) {
            for (let i = 0; i < width; i++) out[a - s0 + i] = Number(part[base + i])
          } else {
            out.set((part as unknown as Int32Array).subarray(base, base + width), a - s0)
          }
        })
      }
      return outs
    },
    close() {
      if (!closed) {
        closed = true
        file.close()
      }
    },
  }
  return cmcr
}
