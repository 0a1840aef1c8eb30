// HDF5 writing helpers in the vendor's encodings (docs/mcs-format.md §2.2): scalar fixed-length
// NUL-terminated string attributes, 1-element numeric attribute arrays, the four ID.* attributes on
// every object, and compound tables written from packed row bytes (fast for large Peaks tables).

import { Module, dtype_to_metadata, type Group, type Dataset } from 'h5wasm/node'
import type { Rng } from './random'

export type NumAttrDtype = '<i' | '<q' | '<d' | '<f' | '<h'

/** A scalar fixed-length string attribute; the declared size includes the terminating NUL. */
export function strAttr(obj: Group | Dataset, name: string, value: string): void {
  const size = Buffer.byteLength(value, 'utf8') + 1
  obj.create_attribute(name, value, [], `A${size}`)
}

/** A numeric attribute stored as a 1-element array, as the vendor does. */
export function numAttr(obj: Group | Dataset, name: string, value: number, dtype: NumAttrDtype): void {
  const data =
    dtype === '<q'
      ? BigInt64Array.of(BigInt(Math.round(value)))
      : dtype === '<i'
        ? Int32Array.of(value)
        : dtype === '<h'
          ? Int16Array.of(value)
          : dtype === '<f'
            ? Float32Array.of(value)
            : Float64Array.of(value)
  obj.create_attribute(name, data, [1], dtype)
}

/** The From/To attributes (µs, int64) of an acquisition object spanning [0, toUs). */
export function timeSpanAttrs(obj: Group | Dataset, toUs: number): void {
  numAttr(obj, 'From', 0, '<q')
  numAttr(obj, 'To', toUs, '<q')
}

/** ID.Type, ID.TypeID, ID.Instance, ID.InstanceID (docs/mcs-format.md §2.1). */
export function identity(obj: Group | Dataset, type: string, typeId: string, instance: string, rng: Rng): void {
  strAttr(obj, 'ID.Type', type)
  strAttr(obj, 'ID.TypeID', typeId)
  strAttr(obj, 'ID.Instance', instance)
  strAttr(obj, 'ID.InstanceID', rng.guid())
}

export type FieldDtype = '<q' | '<i' | '<h' | '<d' | '<f' | `A${number}`

export interface CompoundField {
  name: string
  dtype: FieldDtype
}

function fieldSize(d: FieldDtype): number {
  switch (d) {
    case '<q':
    case '<d':
      return 8
    case '<i':
    case '<f':
      return 4
    case '<h':
      return 2
    default:
      return Number(d.slice(1))
  }
}

/** Packed layout of a compound type: byte offset of each field and the row size. */
export function compoundLayout(fields: CompoundField[]): { offsets: number[]; rowSize: number } {
  const offsets: number[] = []
  let off = 0
  for (const f of fields) {
    offsets.push(off)
    off += fieldSize(f.dtype)
  }
  return { offsets, rowSize: off }
}

/** Writes one value of a field into packed row bytes. */
export function putField(view: DataView, at: number, dtype: FieldDtype, value: number | string): void {
  switch (dtype) {
    case '<q':
      view.setBigInt64(at, BigInt(Math.round(value as number)), true)
      return
    case '<d':
      view.setFloat64(at, value as number, true)
      return
    case '<i':
      view.setInt32(at, value as number, true)
      return
    case '<f':
      view.setFloat32(at, value as number, true)
      return
    case '<h':
      view.setInt16(at, value as number, true)
      return
    default: {
      const bytes = Buffer.from(String(value), 'utf8')
      const size = fieldSize(dtype)
      for (let i = 0; i < size; i++) view.setUint8(at + i, i < bytes.length ? bytes[i] : 0)
    }
  }
}

/** Creates a 1-D contiguous compound dataset from packed little-endian row bytes. */
export function createCompoundDataset(parent: Group, name: string, fields: CompoundField[], rows: Uint8Array, nRows: number): Dataset {
  const metadata = dtype_to_metadata(fields.map((f) => [f.name, f.dtype] as [string, string]))
  if (metadata.size * nRows !== rows.byteLength) {
    throw new RangeError(`compound ${name}: ${rows.byteLength} bytes for ${nRows} rows of ${metadata.size}`)
  }
  const shape = [BigInt(nRows)]
  const dsMetadata = {
    ...metadata,
    shape,
    maxshape: shape,
    chunks: null,
    compression: 0,
    compression_opts: [],
    track_order: false,
  }
  const ptr = Module._malloc(Math.max(1, rows.byteLength))
  if (!ptr) throw new Error(`cannot allocate ${rows.byteLength} bytes for ${name}`)
  try {
    Module.HEAPU8.set(rows, ptr)
    ;(Module as unknown as { create_dataset: (...a: unknown[]) => number }).create_dataset(
      parent.file_id,
      `${parent.path === '/' ? '' : parent.path}/${name}`,
      BigInt(ptr),
      dsMetadata,
    )
  } finally {
    Module._free(ptr)
  }
  return parent.get(name) as Dataset
}

/** Builds packed rows from per-field value getters and writes the table. */
export function writeCompoundTable(
  parent: Group,
  name: string,
  fields: CompoundField[],
  nRows: number,
  value: (row: number, field: number) => number | string,
): Dataset {
  const { offsets, rowSize } = compoundLayout(fields)
  const bytes = new Uint8Array(rowSize * nRows)
  const view = new DataView(bytes.buffer)
  for (let r = 0; r < nRows; r++) {
    for (let f = 0; f < fields.length; f++) putField(view, r * rowSize + offsets[f], fields[f].dtype, value(r, f))
  }
  return createCompoundDataset(parent, name, fields, bytes, nRows)
}
