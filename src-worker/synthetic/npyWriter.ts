// Writes a NumPy .npy file (format version 1.0) holding a uint8 C-order array.
// Layout: "\x93NUMPY", version 1.0, uint16 LE header length, a Python-literal dict padded with spaces
// and ending in '\n' so that the data starts on a 64-byte boundary, then the raw bytes.

import { writeFile } from 'node:fs/promises'

export function encodeNpyUint8(data: Uint8Array, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1)
  if (count !== data.length) throw new RangeError(`npy: shape [${shape.join(', ')}] does not match ${data.length} bytes`)
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
  let dict = `{'descr': '|u1', 'fortran_order': False, 'shape': ${shapeText}, }`
  const preamble = 10 // magic (6) + version (2) + header length (2)
  const total = Math.ceil((preamble + dict.length + 1) / 64) * 64
  dict = dict.padEnd(total - preamble - 1, ' ') + '\n'
  if (dict.length > 0xffff) throw new RangeError('npy: header too long for format 1.0')
  const out = new Uint8Array(total + data.length)
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0)
  out[8] = dict.length & 0xff
  out[9] = dict.length >> 8
  for (let i = 0; i < dict.length; i++) out[preamble + i] = dict.charCodeAt(i)
  out.set(data, total)
  return out
}

export async function writeNpyUint8(path: string, data: Uint8Array, shape: number[]): Promise<void> {
  await writeFile(path, encodeNpyUint8(data, shape))
}
