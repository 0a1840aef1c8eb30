// Draws the application icon: the chip's 65 x 65 electrode grid on a dark die, with one unit's
// electrical image (a bright spot fading over neighbouring electrodes). Writes resources/icons/icon.png
// (256 px, Linux and the window), icon.ico (Windows: 16..256 px, PNG entries).
// Deterministic: the same bytes on every run (`node scripts/make-icon.mjs` to regenerate).

import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'

const GRID = 65

/** RGBA pixels of a size x size icon. */
export function drawIcon(size) {
  const px = new Uint8Array(size * size * 4)
  const margin = size * 0.06
  const radius = size * 0.14 // rounded corners of the die
  const die = size - 2 * margin
  const pitch = die / (GRID + 1)
  const dot = Math.max(0.5, pitch * 0.36) // electrode radius
  // The unit: centre at electrode (row 24, col 40), footprint sigma of 6 electrodes.
  const unitR = 24
  const unitC = 40
  const sigma = 6
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4
      const cx = x + 0.5
      const cy = y + 0.5
      if (!insideRounded(cx, cy, margin, margin, die, die, radius)) continue
      // die background: dark blue-grey
      let r = 28
      let g = 34
      let b = 48
      // nearest electrode
      const col = Math.round((cx - margin) / pitch - 1)
      const row = Math.round((cy - margin) / pitch - 1)
      if (col >= 0 && col < GRID && row >= 0 && row < GRID) {
        const ex = margin + (col + 1) * pitch
        const ey = margin + (row + 1) * pitch
        const d = Math.hypot(cx - ex, cy - ey)
        const cover = Math.min(1, Math.max(0, dot + 0.5 - d)) // anti-aliased disc
        if (cover > 0) {
          const w = Math.exp(-((row - unitR) ** 2 + (col - unitC) ** 2) / (2 * sigma * sigma))
          // idle electrodes grey-teal, the unit's footprint warm orange to yellow
          const er = 90 + w * (255 - 90)
          const eg = 120 + w * (190 - 120)
          const eb = 130 + w * (40 - 130)
          r = r + (er - r) * cover
          g = g + (eg - g) * cover
          b = b + (eb - b) * cover
        }
      }
      px[i] = Math.round(r)
      px[i + 1] = Math.round(g)
      px[i + 2] = Math.round(b)
      px[i + 3] = 255
    }
  }
  return px
}

function insideRounded(x, y, left, top, w, h, rad) {
  const qx = Math.max(left + rad - x, 0, x - (left + w - rad))
  const qy = Math.max(top + rad - y, 0, y - (top + h - rad))
  return qx * qx + qy * qy <= rad * rad
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

function crc32(buf) {
  let c = 0xffffffff
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'ascii')
  Buffer.from(data).copy(out, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length)
  return out
}

/** A PNG file (8-bit RGBA, no interlace) of the pixels. */
export function encodePng(size, rgba) {
  const raw = Buffer.alloc(size * (size * 4 + 1))
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0 // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * size * 4, size * 4).copy(raw, y * (size * 4 + 1) + 1)
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0)
  ihdr.writeUInt32BE(size, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 6 // RGBA
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))])
}

/** An ICO holding one PNG image per size (Windows Vista and later read PNG entries). */
export function encodeIco(images) {
  const header = Buffer.alloc(6 + 16 * images.length)
  header.writeUInt16LE(0, 0)
  header.writeUInt16LE(1, 2) // type: icon
  header.writeUInt16LE(images.length, 4)
  let offset = header.length
  images.forEach(({ size, png }, k) => {
    const e = 6 + 16 * k
    header[e] = size >= 256 ? 0 : size // 0 means 256
    header[e + 1] = size >= 256 ? 0 : size
    header.writeUInt16LE(1, e + 4) // colour planes
    header.writeUInt16LE(32, e + 6) // bits per pixel
    header.writeUInt32LE(png.length, e + 8)
    header.writeUInt32LE(offset, e + 12)
    offset += png.length
  })
  return Buffer.concat([header, ...images.map((i) => i.png)])
}

export function writeIcons(dir) {
  mkdirSync(dir, { recursive: true })
  const png = (size) => encodePng(size, drawIcon(size))
  writeFileSync(join(dir, 'icon.png'), png(256))
  writeFileSync(join(dir, 'icon.ico'), encodeIco([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, png: png(size) }))))
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../resources/icons')
  writeIcons(dir)
  process.stdout.write(`icons written to ${dir}\n`)
}
