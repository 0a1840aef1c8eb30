// Reader for MCS CMOS-MEA-Tools result files (.cmtr), by docs/mcs-format.md §4.
//
// * /Acquisition (an external link to the raw file) is never followed: the .cmcr is opened separately.
// * Units are the 'Spike Sorter/Unit N' groups; the unit number is N from the group name (as hdmea).
// * Peaks is read as raw bytes in row slabs and parsed by FIELD NAME (Timestamp, PeakAmplitude,
//   IncludePeak; cutout samples are every field after the first three, as McsPy defines them).
// * Row/Column/SensorID come from 'Unit Info' (else the unit group's attributes); 'Source' (the ICA
//   source signal, one float per recording sample) is never read.

import type { Dataset, File as H5File, Group } from 'h5wasm/node'
import { FileAccessError } from '../../src-shared/errors'
import {
  type AttrValue,
  type FieldSpec,
  attrNumber,
  childNames,
  compoundFields,
  decodeAttrValue,
  getIfExists,
  attrValues,
  checkDeclaredSize,
  openHdf5With,
  isDataset,
  isGroup,
  readAttributes,
  readAttributesTyped,
  readCompoundRecordsTyped,
  readColumn,
  withRawRows,
  type TypedValue,
  type ValueKind,
} from './h5util'
import { detectMcsKind, externalLinkTarget } from './cmcrReader'
import { assertReadFits } from './declaredSize'

export interface CmtrUnitRef {
  /** Group name, e.g. 'Unit 12'. */
  name: string
  /** The number in the group name. */
  unitNum: number
}

export interface PeaksTable {
  /** Peak times in µs, all rows (included and excluded). */
  timestampUs: Float64Array
  peakAmplitude: Float64Array | null
  /** IncludePeak per row (1 = accepted spike); all ones if the field is absent. */
  includePeak: Uint8Array
  /** Cutout field names in file order ('1'..'K'). */
  cutoutFields: string[]
  /** Row-major (rows, K) cutouts as float32, or null when not requested. */
  cutouts: Float32Array | null
  /** Every numeric field by its file name (only when requested with allFields). */
  fields: Record<string, Float64Array> | null
  /** Stored type of every numeric field, e.g. 'int64', 'int16', 'float64'. */
  fieldTypes: Record<string, string>
  /** The Peaks dataset's own attributes (AmplitudeThreshold, Tick, ...). */
  attrs: Record<string, AttrValue>
}

export interface PeaksOptions {
  /** Also parse the cutout fields into `cutouts`. */
  cutouts?: boolean
  /** Parse every numeric field into `fields`. */
  allFields?: boolean
  /** Read the Peaks attributes (default true). */
  attrs?: boolean
}

export interface CmtrUnit {
  name: string
  unitNum: number
  /** Unit group attributes (UnitID, SensorID, Row, Column, ID.*). */
  attrs: Record<string, AttrValue>
  attrsTyped: Record<string, TypedValue>
  /** The first 'Unit Info' record with field names as stored, or null if absent. */
  unitInfo: Record<string, AttrValue> | null
  unitInfoKinds: Record<string, ValueKind>
  /** 1-based Row/Column/SensorID: Unit Info first, then unit attributes, then derived from SensorID. */
  row: number | null
  col: number | null
  sensorId: number | null
}

export interface CmtrFile {
  path: string
  meta: Record<string, AttrValue>
  metaTyped: Record<string, TypedValue>
  /** Basename of the raw file named by the /Acquisition external link, if there is one. */
  linkedCmcrName: string | null
  units: CmtrUnitRef[]
  readUnit(ref: CmtrUnitRef): CmtrUnit
  /** Rows of the unit's Peaks table (0 if absent), without reading anything else. */
  peaksRowCount(ref: CmtrUnitRef): number
  /**
   * Peaks of a unit. `cutouts`: also parse the cutout fields; `allFields`: every numeric field.
   * Timestamps stay on the vendor's global µs clock (sample = (t − From) / Tick of the acquisition).
   */
  readPeaks(ref: CmtrUnitRef, options?: PeaksOptions): PeaksTable | null
  /** A small float dataset of a unit ('RoiSTAs', 'Unmixing') as float32, or null if absent. */
  readUnitMatrix(ref: CmtrUnitRef, name: 'RoiSTAs' | 'Unmixing'): { data: Float32Array; shape: number[] } | null
  close(): void
}

const PEAK_SLAB_BYTES = 64 * 1024 * 1024
const BLOCK_ROWS = 2048
const SENSOR_GRID = 65

/** Unit number of a 'Unit N' group (also 'Unit_N'); null for 'Units', 'Unit Info' or non-numeric names. */
export function unitNumberFromName(name: string): number | null {
  const m = /^Unit[ _](\d+)$/.exec(name)
  return m ? Number(m[1]) : null
}

export async function openCmtr(path: string): Promise<CmtrFile> {
  return openHdf5With(path, 'CMTR', buildCmtr)
}

function buildCmtr(path: string, file: H5File): CmtrFile {
  const metaTyped = readAttributesTyped(file)
  const meta = attrValues(metaTyped)
  const rootNames = childNames(file)
  const kind = detectMcsKind(file)
  if (kind === 'cmcr') {
    throw new FileAccessError(
      'FILE_KIND',
      `${path} is a CMOS-MEA-Control raw file (.cmcr: it holds the Acquisition data itself), not a .cmtr spike-sorter result file`,
      { path },
    )
  }
  if (meta['ID.Type'] === undefined && !rootNames.includes('Spike Sorter')) {
    throw new FileAccessError('FILE_KIND', `${path} is not an MCS CMOS-MEA-Tools file (.cmtr): no root 'ID.Type' attribute and no 'Spike Sorter' group`, { path })
  }
  if (!rootNames.includes('Spike Sorter')) {
    throw new FileAccessError('DATA', `${path}: the group '/Spike Sorter' is missing (the spike sorter did not run on this recording)`, { path })
  }
  const sorter = getIfExists(file, 'Spike Sorter')
  if (!sorter || !isGroup(sorter)) {
    throw new FileAccessError('DATA', `${path}: '/Spike Sorter' is not a group`, { path })
  }
  const target = rootNames.includes('Acquisition') ? externalLinkTarget(file, 'Acquisition') : null
  const linkedCmcrName = target ? (target.replace(/\\/g, '/').split('/').pop() ?? null) : null

  const units: CmtrUnitRef[] = []
  const byNumber = new Map<number, string>()
  for (const name of childNames(sorter)) {
    const n = unitNumberFromName(name)
    if (n === null) continue
    // 'Unit 1' and 'Unit 01' would both become unit_001: one would silently replace the other.
    const other = byNumber.get(n)
    if (other !== undefined) {
      throw new FileAccessError(
        'DATA',
        `${path}: the groups '/Spike Sorter/${other}' and '/Spike Sorter/${name}' have the same unit number ${n}; rename or remove one of them`,
        { path },
      )
    }
    byNumber.set(n, name)
    units.push({ name, unitNum: n })
  }
  units.sort((a, b) => a.unitNum - b.unitNum)

  // h5wasm calls are costly (each resolves its path); keep the unit groups and their children.
  const groups = new Map<string, Group>()
  const unitGroup = (ref: CmtrUnitRef): Group => {
    let g = groups.get(ref.name)
    if (!g) {
      const obj = getIfExists(sorter, ref.name)
      if (!obj || !isGroup(obj)) throw new FileAccessError('DATA', `${path}: '/Spike Sorter/${ref.name}' is not a group`, { path })
      g = obj
      groups.set(ref.name, g)
    }
    return g
  }

  let closed = false
  return {
    path,
    meta,
    metaTyped,
    linkedCmcrName,
    units,
    readUnit(ref) {
      const g = unitGroup(ref)
      const attrsTyped = readAttributesTyped(g)
      const attrs = attrValues(attrsTyped)
      let unitInfo: Record<string, AttrValue> | null = null
      let unitInfoKinds: Record<string, ValueKind> = {}
      const infoDs = getIfExists(g, 'Unit Info')
      if (infoDs && isDataset(infoDs)) {
        const { records: recs, kinds } = readCompoundRecordsTyped(infoDs)
        unitInfoKinds = kinds
        if (recs.length > 0) {
          unitInfo = {}
          for (const [k, v] of Object.entries(recs[0])) {
            const d = decodeAttrValue(v)
            if (d !== undefined) unitInfo[k] = d
          }
        }
      }
      const pick = (name: string): number | null => {
        const fromInfo = unitInfo ? attrNumber(lowerKeys(unitInfo), name.toLowerCase()) : undefined
        return fromInfo ?? attrNumber(lowerKeys(attrs), name.toLowerCase()) ?? null
      }
      const sensorId = pick('SensorID')
      let row = pick('Row')
      let col = pick('Column')
      if ((row === null || col === null) && sensorId !== null && sensorId >= 1) {
        row = ((sensorId - 1) % SENSOR_GRID) + 1
        col = Math.floor((sensorId - 1) / SENSOR_GRID) + 1
      }
      return { name: ref.name, unitNum: ref.unitNum, attrs, attrsTyped, unitInfo, unitInfoKinds, row, col, sensorId }
    },
    peaksRowCount(ref) {
      const ds = getIfExists(unitGroup(ref), 'Peaks')
      return ds && isDataset(ds) ? (ds.shape?.[0] ?? 0) : 0
    },
    readPeaks(ref, options = {}) {
      const g = unitGroup(ref)
      const ds = getIfExists(g, 'Peaks')
      if (!ds || !isDataset(ds)) return null
      return readPeaksTable(path, ds, options)
    },
    readUnitMatrix(ref, name) {
      const ds = getIfExists(unitGroup(ref), name)
      if (!ds || !isDataset(ds) || ds.metadata.compound_type) return null
      checkDeclaredSize(ds)
      const v = ds.value as unknown
      if (!ArrayBuffer.isView(v)) return null
      const arr = v as unknown as ArrayLike<number | bigint>
      const data = new Float32Array(arr.length)
      for (let i = 0; i < arr.length; i++) data[i] = Number(arr[i])
      return { data, shape: ds.shape ?? [data.length] }
    },
    close() {
      if (!closed) {
        closed = true
        file.close()
      }
    },
  }
}

function lowerKeys(rec: Record<string, AttrValue>): Record<string, AttrValue> {
  return Object.fromEntries(Object.entries(rec).map(([k, v]) => [k.toLowerCase(), v]))
}

function findField(fields: FieldSpec[], name: string): FieldSpec | undefined {
  return fields.find((f) => f.name === name) ?? fields.find((f) => f.name.toLowerCase() === name.toLowerCase())
}

function readPeaksTable(path: string, ds: Dataset, options: PeaksOptions): PeaksTable {
  checkDeclaredSize(ds)
  const { rowSize, fields } = compoundFields(ds)
  const n = ds.shape?.[0] ?? 0
  const attrs = options.attrs === false ? {} : readAttributes(ds)
  const tsField = findField(fields, 'Timestamp')
  if (!tsField) throw new FileAccessError('DATA', `${path}: ${ds.path} has no 'Timestamp' field (fields: ${fields.map((f) => f.name).join(', ')})`, { path })
  const ampField = findField(fields, 'PeakAmplitude')
  const incField = findField(fields, 'IncludePeak')
  // McsPy: the cutout is every field after the first three (Timestamp, PeakAmplitude, IncludePeak).
  const cutoutSpecs = fields.slice(3).filter((f) => f.kind === 'int' || f.kind === 'uint' || f.kind === 'float')
  const numericAll = options.allFields ? fields.filter((f) => f.kind === 'int' || f.kind === 'uint' || f.kind === 'float') : []
  const columns = options.allFields ? numericAll.length : 3
  assertReadFits(path, n * (8 * columns + (options.cutouts ? 4 * cutoutSpecs.length : 0)), `the ${n} rows of ${ds.path}`)
  const all = options.allFields ? Object.fromEntries(numericAll.map((f) => [f.name, new Float64Array(n)])) : null
  // With allFields the named columns are the same arrays as in `all` (no second parse).
  const column = (f: FieldSpec | undefined): Float64Array | null => (f ? (all?.[f.name] ?? new Float64Array(n)) : null)
  const timestampUs = column(tsField)!
  const peakAmplitude = column(ampField)
  const includeRaw = column(incField)
  const K = cutoutSpecs.length
  const cutouts = options.cutouts ? new Float32Array(n * K) : null
  const parsed = new Set<FieldSpec>()
  const named = [[tsField, timestampUs], [ampField, peakAmplitude], [incField, includeRaw]] as const
  for (const [f, out] of named) if (f && out) parsed.add(f)
  const rest = numericAll.filter((f) => !parsed.has(f))
  const rowsPerSlab = Math.max(1, Math.floor(PEAK_SLAB_BYTES / rowSize))
  for (let s = 0; s < n; s += rowsPerSlab) {
    const count = Math.min(rowsPerSlab, n - s)
    withRawRows(ds, s, count, (view) => {
      // column by column within blocks of rows that stay in cache
      for (let b = 0; b < count; b += BLOCK_ROWS) {
        const m = Math.min(BLOCK_ROWS, count - b)
        for (const [f, out] of named) if (f && out) readColumn(view, rowSize, m, f, out, s + b, 1, b)
        for (const f of rest) readColumn(view, rowSize, m, f, all![f.name], s + b, 1, b)
        if (cutouts) cutoutSpecs.forEach((f, k) => readColumn(view, rowSize, m, f, cutouts, (s + b) * K + k, K, b))
      }
    })
  }
  const includePeak = new Uint8Array(n)
  if (includeRaw) for (let i = 0; i < n; i++) includePeak[i] = includeRaw[i] === 1 ? 1 : 0
  else includePeak.fill(1)
  return {
    timestampUs,
    peakAmplitude,
    includePeak,
    cutoutFields: cutoutSpecs.map((f) => f.name),
    cutouts,
    fields: all,
    fieldTypes: Object.fromEntries(fields.filter((f) => f.kind !== 'string' && f.kind !== 'other').map((f) => [f.name, fieldTypeName(f)])),
    attrs,
  }
}

function fieldTypeName(f: FieldSpec): string {
  if (f.kind === 'float') return f.size === 4 ? 'float32' : 'float64'
  return `${f.kind === 'uint' ? 'uint' : 'int'}${f.size * 8}`
}
