// Reader for NumPy .npy files holding a uint8 stimulus movie (n_frames, H, W) in C order.
// Format: magic "\x93NUMPY", major/minor version, header length (uint16 LE in v1, uint32 LE in v2/v3),
// then a Python-literal dict {'descr', 'fortran_order', 'shape'} padded with spaces, then the raw data.

import { readFile } from 'node:fs/promises'

export interface NpyArray {
  shape: number[]
  data: Uint8Array
}

export class NpyFormatError extends Error {
  readonly path: string
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`)
    this.name = 'NpyFormatError'
    this.path = path
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY

function parseHeaderDict(text: string, path: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)
  if (!descr || !fortran || !shape) {
    throw new NpyFormatError(path, `not a valid .npy header (expected descr, fortran_order and shape): ${text.trim()}`)
  }
  const dims = shape[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const v = Number(s.replace(/L$/, ''))
      if (!Number.isInteger(v) || v < 0) throw new NpyFormatError(path, `invalid shape entry '${s}' in the .npy header`)
      return v
    })
  return { descr: descr[1], fortran: fortran[1] === 'True', shape: dims }
}

/** Parses .npy bytes; `path` is only used in error messages. Only uint8 C-order arrays are accepted. */
export function parseNpyUint8(bytes: Uint8Array, path: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new NpyFormatError(path, 'not a NumPy .npy file (missing the \\x93NUMPY magic)')
  }
  const major = bytes[6]
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let headerLen: number
  let headerStart: number
  if (major === 1) {
    headerLen = view.getUint16(8, true)
    headerStart = 10
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyFormatError(path, 'truncated .npy header')
    headerLen = view.getUint32(8, true)
    headerStart = 12
  } else {
    throw new NpyFormatError(path, `unsupported .npy format version ${major}.${bytes[7]}`)
  }
  const dataStart = headerStart + headerLen
  if (dataStart > bytes.length) throw new NpyFormatError(path, 'truncated .npy header')
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart))
  const { descr, fortran, shape } = parseHeaderDict(header, path)
  if (descr !== '|u1' && descr !== '<u1' && descr !== '>u1' && descr !== '=u1') {
    throw new NpyFormatError(path, `the movie must be uint8 (dtype '|u1'), but the file holds dtype '${descr}'`)
  }
  if (fortran) {
    throw new NpyFormatError(path, 'the movie is stored in Fortran order; save it in C order (np.ascontiguousarray)')
  }
  const count = shape.reduce((a, b) => a * b, 1)
  const available = bytes.length - dataStart
  if (available < count) {
    throw new NpyFormatError(path, `truncated: shape (${shape.join(', ')}) needs ${count} bytes of data, the file has ${available}`)
  }
  if (available > count) {
    throw new NpyFormatError(path, `${available - count} unexpected bytes after the data of shape (${shape.join(', ')})`)
  }
  return { shape, data: new Uint8Array(bytes.buffer, bytes.byteOffset + dataStart, count) }
}

/** Reads a .npy movie file; a missing or unreadable file is an error naming it. */
export async function readNpyUint8(path: string): Promise<NpyArray> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? String(err)})`
    throw new NpyFormatError(path, why)
  }
  return parseNpyUint8(bytes, path)
}

/** Encodes a uint8 C-order array as .npy version 1.0 (used by the demo generator's tests and fixtures). */
export function encodeNpyUint8(shape: number[], data: Uint8Array): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
  let dict = `{'descr': '|u1', 'fortran_order': False, 'shape': ${shapeText}, }`
  const unpadded = 10 + dict.length + 1
  dict += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n'
  const out = new Uint8Array(10 + dict.length + data.length)
  out.set(MAGIC, 0)
  out[6] = 1
  out[7] = 0
  new DataView(out.buffer).setUint16(8, dict.length, true)
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i)
  out.set(data, 10 + dict.length)
  return out
}
