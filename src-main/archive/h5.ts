// Thin layer over h5wasm for the archive codec: moves typed arrays between the session model and HDF5
// through the wasm heap without intermediate copies, and converts int64/uint64 on the way (the model
// keeps them in Float64Array; h5wasm would want BigInt arrays, costing one BigInt per value).

import h5wasm, { dtype_to_metadata, type File } from 'h5wasm/node'
import { type H5Module, h5wasmReady } from '../../src-worker/hdf5/h5wasmModule'
import { type NumericData, type NumericDtype, storageFor } from '../../src-shared/tree'

export type { File, H5Module }

/** The initialised h5wasm module, HDF5 errors thrown instead of printed (idempotent). */
export function h5ready(): Promise<H5Module> {
  return h5wasmReady()
}

export function openFile(path: string, mode: 'r' | 'w'): File {
  // New files in HDF5's earliest format that holds them, as h5py writes by default: groups as symbol
  // tables and version-1 object headers, which the direct reader (h5direct.ts) walks without h5wasm.
  return mode === 'w' ? new h5wasm.File(path, mode, { libver: ['earliest', 'latest'] }) : new h5wasm.File(path, mode)
}

/**
 * An h5wasm handle for attribute calls on the object at `path`, made without asking the file (File.get
 * would look the path up first, twice, for every attribute). The object must exist.
 */
export function attributeHolder(file: File, path: string): File {
  return (path === '/' ? file : new h5wasm.Group(file.file_id, path)) as unknown as File
}

/** Struct-style dtype strings understood by h5wasm. */
export const STRUCT_DTYPE: Record<NumericDtype, string> = {
  int8: '<b',
  uint8: '<B',
  int16: '<h',
  uint16: '<H',
  int32: '<i',
  uint32: '<I',
  int64: '<q',
  uint64: '<Q',
  float32: '<f',
  float64: '<d',
}

export const DTYPE_BYTES: Record<NumericDtype, number> = {
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float32: 4,
  float64: 8,
}

// HDF5 type classes (H5T_class_t)
export const H5T_INTEGER = 0
export const H5T_FLOAT = 1
export const H5T_STRING = 3
export const H5T_ENUM = 8

/** The model dtype of an HDF5 integer/float type, or undefined for anything else. */
export function numericDtypeOf(typeClass: number, size: number, signed: boolean): NumericDtype | undefined {
  if (typeClass === H5T_FLOAT) return size === 4 ? 'float32' : size === 8 ? 'float64' : undefined
  if (typeClass !== H5T_INTEGER) return undefined
  switch (size) {
    case 1:
      return signed ? 'int8' : 'uint8'
    case 2:
      return signed ? 'int16' : 'uint16'
    case 4:
      return signed ? 'int32' : 'uint32'
    case 8:
      return signed ? 'int64' : 'uint64'
  }
  return undefined
}

const TWO32 = 4294967296

/**
 * Writes `count` values of `src` starting at `srcOffset` to the heap at `ptr`, in the on-disk layout of
 * `dtype`. int64/uint64 values must be whole numbers within +-(2^53-1) (uint64: >= 0); `describe`
 * names the object in the error otherwise.
 */
export function fillHeap(
  mod: H5Module,
  ptr: number,
  dtype: NumericDtype,
  src: NumericData,
  srcOffset: number,
  count: number,
  describe: () => string,
): void {
  if (dtype === 'int64' || dtype === 'uint64') {
    const words = new Uint32Array(mod.HEAPU8.buffer, ptr, count * 2)
    const unsigned = dtype === 'uint64'
    for (let i = 0; i < count; i++) {
      const v = src[srcOffset + i]
      const lo32 = v >>> 0
      if (lo32 === v) {
        // Fast path: a whole number in [0, 2^32) (e.g. every sample index below 59 h at 20 kHz).
        words[2 * i] = lo32
        words[2 * i + 1] = 0
        continue
      }
      if (!Number.isInteger(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER || (unsigned && v < 0)) {
        throw new RangeError(`${describe()}: value ${v} at index ${srcOffset + i} cannot be stored as ${dtype}`)
      }
      // Two's complement split into 32-bit halves; exact for |v| < 2^53.
      const hi = Math.floor(v / TWO32)
      words[2 * i] = v - hi * TWO32
      words[2 * i + 1] = hi >>> 0
    }
    return
  }
  const bytes = DTYPE_BYTES[dtype]
  mod.HEAPU8.set(new Uint8Array(src.buffer, src.byteOffset + srcOffset * bytes, count * bytes), ptr)
}

/** Reads `count` values of `dtype` from the heap at `ptr` into `dest` at `destOffset` (int64 -> Number, range-checked). */
export function drainHeap(
  mod: H5Module,
  ptr: number,
  dtype: NumericDtype,
  dest: NumericData,
  destOffset: number,
  count: number,
  describe: () => string,
): void {
  drainBytes(new Uint8Array(mod.HEAPU8.buffer, ptr, count * DTYPE_BYTES[dtype]), dtype, dest, destOffset, count, describe)
}

/** Stores `count` values of `dtype` held in `bytes` (file layout, little-endian) into `dest` at `destOffset` (int64 -> Number, range-checked). */
export function drainBytes(
  bytes: Uint8Array,
  dtype: NumericDtype,
  dest: NumericData,
  destOffset: number,
  count: number,
  describe: () => string,
): void {
  if (dtype === 'int64' || dtype === 'uint64') {
    const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice(0, count * 8)
    const words = new Uint32Array(aligned.buffer, aligned.byteOffset, count * 2)
    const signed = dtype === 'int64'
    for (let i = 0; i < count; i++) {
      const lo = words[2 * i]
      const hiWord = words[2 * i + 1]
      if (hiWord === 0) {
        dest[destOffset + i] = lo
        continue
      }
      const hi = signed ? hiWord | 0 : hiWord
      const v = hi * TWO32 + lo
      if (v > Number.MAX_SAFE_INTEGER || v < -Number.MAX_SAFE_INTEGER) {
        throw new RangeError(
          `${describe()}: ${dtype} value at index ${destOffset + i} exceeds 2^53 and cannot be represented exactly`,
        )
      }
      dest[destOffset + i] = v
    }
    return
  }
  const size = DTYPE_BYTES[dtype]
  new Uint8Array(dest.buffer, dest.byteOffset + destOffset * size, count * size).set(bytes.subarray(0, count * size))
}

/**
 * Creates an attribute with no elements. h5wasm's create_attribute would hand HDF5 a NULL buffer for
 * an empty variable-length string array (H5Awrite refuses it); any non-NULL buffer is fine since
 * nothing is read from it.
 */
export function createEmptyAttribute(mod: H5Module, file: File, objPath: string, name: string, dtype: string, shape: number[]): void {
  const shapeBig = shape.map(BigInt)
  const ptr = malloc(mod, 8)
  try {
    mod.create_attribute(file.file_id, objPath, name, BigInt(ptr), { ...dtype_to_metadata(dtype), shape: shapeBig, maxshape: shapeBig })
  } finally {
    mod._free(ptr)
  }
}

function malloc(mod: H5Module, bytes: number): number {
  const ptr = mod._malloc(Math.max(bytes, 8))
  if (!ptr) throw new Error(`out of wasm memory allocating ${bytes} bytes`)
  return ptr
}

/** h5wasm's type description of each dtype, made once (building it per dataset showed in profiles). */
const TYPE_METADATA = new Map<NumericDtype, ReturnType<typeof dtype_to_metadata>>()

function writeMetadata(dtype: NumericDtype, shape: number[]) {
  let t = TYPE_METADATA.get(dtype)
  if (!t) TYPE_METADATA.set(dtype, (t = dtype_to_metadata(STRUCT_DTYPE[dtype])))
  // Only what h5wasm's create_dataset reads for an unchunked dataset (each field is a call across
  // embind): no maxshape (HDF5 takes the shape), no compression (read only with chunks).
  return {
    type: t.type,
    size: t.size,
    signed: t.signed,
    littleEndian: t.littleEndian,
    vlen: t.vlen,
    shape: shape.map(BigInt),
    maxshape: null,
    chunks: null,
    track_order: false,
  }
}

/**
 * Above this many bytes a dataset is written in row slabs, so the wasm heap (which never shrinks)
 * stays small. Smaller datasets are contiguous, as h5py writes them; larger ones are chunked (readers
 * cannot tell the difference).
 */
export const DEFAULT_SLAB_BYTES = 32 * 1024 * 1024
/** Target chunk size of slab-written datasets. */
const CHUNK_BYTES = 4 * 1024 * 1024

type CreateDataset = (fileId: bigint, path: string, ptr: bigint, meta: unknown) => number

/**
 * Creates a numeric dataset at `path` holding `data` with the given dtype and shape. Arrays larger
 * than `slabBytes` are created chunked with their first slab, extended to full size, and filled slab
 * by slab along the first axis (h5wasm can only create a dataset together with its data).
 */
export function writeNumericDataset(
  mod: H5Module,
  file: File,
  path: string,
  dtype: NumericDtype,
  shape: number[],
  data: NumericData,
  slabBytes = DEFAULT_SLAB_BYTES,
): void {
  const n = data.length
  const bytes = DTYPE_BYTES[dtype]
  const describe = () => `dataset ${path}`
  const create = (mod as unknown as { create_dataset: CreateDataset }).create_dataset
  if (n * bytes <= slabBytes || shape.length === 0 || shape[0] <= 1) {
    const ptr = malloc(mod, n * bytes)
    try {
      fillHeap(mod, ptr, dtype, data, 0, n, describe)
      create(file.file_id, path, BigInt(ptr), writeMetadata(dtype, shape))
    } finally {
      mod._free(ptr)
    }
    return
  }
  const rest = shape.slice(1)
  const rowElems = n / shape[0]
  const rowBytes = rowElems * bytes
  const rowsPerSlab = Math.max(1, Math.floor(slabBytes / rowBytes))
  const chunkRows = Math.max(1, Math.min(rowsPerSlab, Math.floor(CHUNK_BYTES / rowBytes)))
  const ptr = malloc(mod, Math.min(shape[0], rowsPerSlab) * rowBytes)
  try {
    for (let row = 0; row < shape[0]; row += rowsPerSlab) {
      const rows = Math.min(rowsPerSlab, shape[0] - row)
      fillHeap(mod, ptr, dtype, data, row * rowElems, rows * rowElems, describe)
      if (row === 0) {
        const first = [rows, ...rest]
        const meta = {
          ...writeMetadata(dtype, first),
          maxshape: shape.map(BigInt),
          chunks: [chunkRows, ...rest].map(BigInt),
        }
        create(file.file_id, path, BigInt(ptr), meta)
        if (mod.resize_dataset(file.file_id, path, shape.map(BigInt)) < 0) throw new Error(`extending ${path} failed`)
        continue
      }
      const count = [BigInt(rows), ...rest.map(BigInt)]
      const offset = [BigInt(row), ...rest.map(() => 0n)]
      const strides = shape.map(() => 1n)
      const status = mod.set_dataset_data(file.file_id, path, count, offset, strides, BigInt(ptr))
      if (status < 0) throw new Error(`writing rows ${row}..${row + rows} of ${path} failed`)
    }
  } finally {
    mod._free(ptr)
  }
}

/** Above this many bytes a dataset is read in row slabs. */
export const DEFAULT_READ_SLAB_BYTES = 32 * 1024 * 1024

/** Reads a whole numeric dataset (stored as `dtype`, or an enum whose base has that size) into model storage. */
export function readNumericDataset(
  mod: H5Module,
  file: File,
  path: string,
  dtype: NumericDtype,
  shape: number[],
  slabBytes = DEFAULT_READ_SLAB_BYTES,
): NumericData {
  const n = shape.reduce((a, b) => a * b, 1)
  const bytes = DTYPE_BYTES[dtype]
  const out = new (storageFor(dtype))(n)
  if (n === 0) return out
  const describe = () => `dataset ${path}`
  if (n * bytes <= slabBytes || shape.length === 0) {
    const ptr = malloc(mod, n * bytes)
    try {
      const status = mod.get_dataset_data(file.file_id, path, null, null, null, BigInt(ptr))
      if (status < 0) throw new Error(`reading ${path} failed`)
      drainHeap(mod, ptr, dtype, out, 0, n, describe)
    } finally {
      mod._free(ptr)
    }
    return out
  }
  const rowElems = n / shape[0]
  const rowsPerSlab = Math.max(1, Math.floor(slabBytes / (rowElems * bytes)))
  const ptr = malloc(mod, Math.min(shape[0], rowsPerSlab) * rowElems * bytes)
  try {
    for (let row = 0; row < shape[0]; row += rowsPerSlab) {
      const rows = Math.min(rowsPerSlab, shape[0] - row)
      const count = [BigInt(rows), ...shape.slice(1).map(BigInt)]
      const offset = [BigInt(row), ...shape.slice(1).map(() => 0n)]
      const strides = shape.map(() => 1n)
      const status = mod.get_dataset_data(file.file_id, path, count, offset, strides, BigInt(ptr))
      if (status < 0) throw new Error(`reading rows ${row}..${row + rows} of ${path} failed`)
      drainHeap(mod, ptr, dtype, out, row * rowElems, rows * rowElems, describe)
    }
  } finally {
    mod._free(ptr)
  }
  return out
}
