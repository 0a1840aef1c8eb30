// WebAssembly SIMD kernel for the visual STA's inner loop: summing weighted uint8 movie blocks
// into an exact integer accumulator. The module is assembled here from its instructions (no
// toolchain at build time, no binary in the repository).
//
// Bytes are added into a uint16 accumulator (16 bytes per instruction, widened to two i16x8
// halves), which stays in the L1 cache; it is flushed into the uint32 accumulator before its
// total weight exceeds 257 spikes, since 257 x 255 = 65535 still fits 16 bits.
//
// Exports, all arguments byte addresses or counts in the module's memory:
//   add1(src, acc16, vecs)             acc16 += src                       (vecs blocks of 16 bytes)
//   add4(s0, s1, s2, s3, acc16, vecs)  acc16 += s0 + s1 + s2 + s3
//   addc(src, acc16, vecs, c)          acc16 += c * src                   (c <= 257)
//   flush(acc16, acc32, vecs)          acc32 += acc16; acc16 = 0
// acc16 holds 16 uint16 per vec (32 bytes), acc32 16 uint32 per vec (64 bytes), in element order.

import { END, I32, I32_ADD, I32_SUB, LOOP, V128, get, i32c, name, section, set, simd, uleb, vec } from '../wasm/encoding'
/** v128.load / v128.store at [address + offset] (alignment hint 16 bytes; unaligned addresses work too). */
const load = (offset = 0) => simd(0x00, 4, ...uleb(offset))
const store = (offset = 0) => simd(0x0b, 4, ...uleb(offset))
const V128_ZERO = simd(0x0c, ...new Array(16).fill(0))
const I16X8_SPLAT = simd(0x10)
const I16X8_EXTEND_LOW_U8 = simd(0x89)
const I16X8_EXTEND_HIGH_U8 = simd(0x8a)
const I16X8_ADD = simd(0x8e)
const I16X8_MUL = simd(0x95)
const I32X4_EXTEND_LOW_U16 = simd(0xa9)
const I32X4_EXTEND_HIGH_U16 = simd(0xaa)
const I32X4_ADD = simd(0xae)

const addTo = (local: number, delta: number) => [...get(local), ...i32c(delta), ...I32_ADD, ...set(local)]
/** local -= 1; loop again while local != 0 (local.tee keeps the value for br_if). */
const countDown = (local: number) => [...get(local), ...i32c(1), ...I32_SUB, 0x22, ...uleb(local), 0x0d, 0]

/** acc16[offset .. +16) += widen(half of v), for both halves; `v` is a v128 local. */
function addHalves(acc: number, v: number): number[] {
  return [
    ...get(acc), ...get(acc), ...load(0), ...get(v), ...I16X8_EXTEND_LOW_U8, ...I16X8_ADD, ...store(0),
    ...get(acc), ...get(acc), ...load(16), ...get(v), ...I16X8_EXTEND_HIGH_U8, ...I16X8_ADD, ...store(16),
  ]
}

function add1Body(): number[] {
  // params: 0 src, 1 acc, 2 vecs; locals: 3 v
  return [
    ...vec([[1, V128]]),
    ...LOOP,
    ...get(0), ...load(), ...set(3),
    ...addHalves(1, 3),
    ...addTo(0, 16), ...addTo(1, 32),
    ...countDown(2),
    ...END,
    ...END,
  ]
}

function add4Body(): number[] {
  // params: 0..3 sources, 4 acc, 5 vecs; locals: 6 lo, 7 hi, 8 v
  const widenInto = (src: number, first: boolean) => [
    ...get(src), ...load(), ...set(8),
    ...(first ? [] : get(6)), ...get(8), ...I16X8_EXTEND_LOW_U8, ...(first ? [] : I16X8_ADD), ...set(6),
    ...(first ? [] : get(7)), ...get(8), ...I16X8_EXTEND_HIGH_U8, ...(first ? [] : I16X8_ADD), ...set(7),
  ]
  return [
    ...vec([[3, V128]]),
    ...LOOP,
    ...widenInto(0, true), ...widenInto(1, false), ...widenInto(2, false), ...widenInto(3, false),
    ...get(4), ...get(4), ...load(0), ...get(6), ...I16X8_ADD, ...store(0),
    ...get(4), ...get(4), ...load(16), ...get(7), ...I16X8_ADD, ...store(16),
    ...addTo(0, 16), ...addTo(1, 16), ...addTo(2, 16), ...addTo(3, 16), ...addTo(4, 32),
    ...countDown(5),
    ...END,
    ...END,
  ]
}

function addcBody(): number[] {
  // params: 0 src, 1 acc, 2 vecs, 3 c; locals: 4 splat(c), 5 v
  const scaled = (extend: number[]) => [...get(5), ...extend, ...get(4), ...I16X8_MUL]
  return [
    ...vec([[2, V128]]),
    ...get(3), ...I16X8_SPLAT, ...set(4),
    ...LOOP,
    ...get(0), ...load(), ...set(5),
    ...get(1), ...get(1), ...load(0), ...scaled(I16X8_EXTEND_LOW_U8), ...I16X8_ADD, ...store(0),
    ...get(1), ...get(1), ...load(16), ...scaled(I16X8_EXTEND_HIGH_U8), ...I16X8_ADD, ...store(16),
    ...addTo(0, 16), ...addTo(1, 32),
    ...countDown(2),
    ...END,
    ...END,
  ]
}

function flushBody(): number[] {
  // params: 0 acc16, 1 acc32, 2 vecs; locals: 3 w
  const half = (offset16: number, offset32: number) => [
    ...get(0), ...load(offset16), ...set(3),
    ...get(1), ...get(1), ...load(offset32), ...get(3), ...I32X4_EXTEND_LOW_U16, ...I32X4_ADD, ...store(offset32),
    ...get(1), ...get(1), ...load(offset32 + 16), ...get(3), ...I32X4_EXTEND_HIGH_U16, ...I32X4_ADD, ...store(offset32 + 16),
    ...get(0), ...V128_ZERO, ...store(offset16),
  ]
  return [
    ...vec([[1, V128]]),
    ...LOOP,
    ...half(0, 0), ...half(16, 32),
    ...addTo(0, 32), ...addTo(1, 64),
    ...countDown(2),
    ...END,
    ...END,
  ]
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const type = (n: number) => [0x60, ...vec(new Array(n).fill([I32])), ...vec([])]
  // Imported memory, flags 0: minimum only (the caller sizes and grows it).
  const memImport = [...name('env'), ...name('mem'), 0x02, 0x00, ...uleb(1)]
  const bodies = [add1Body(), add4Body(), addcBody(), flushBody()].map((b) => [...uleb(b.length), ...b])
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([type(3), type(6), type(4)])),
    ...section(2, vec([memImport])),
    ...section(3, vec([[0], [1], [2], [0]])),
    ...section(7, vec([
      [...name('add1'), 0x00, 0],
      [...name('add4'), 0x00, 1],
      [...name('addc'), 0x00, 2],
      [...name('flush'), 0x00, 3],
    ])),
    ...section(10, vec(bodies)),
  ])
}

interface Exports {
  add1(src: number, acc16: number, vecs: number): void
  add4(s0: number, s1: number, s2: number, s3: number, acc16: number, vecs: number): void
  addc(src: number, acc16: number, vecs: number, c: number): void
  flush(acc16: number, acc32: number, vecs: number): void
}

/** Largest weight the uint16 accumulator takes between flushes: 257 x 255 = 65535. */
const MAX_WEIGHT_PER_FLUSH = 257
const PAGE = 65536

let compiled: WebAssembly.Module | null | undefined

function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(moduleBytes())
    } catch {
      compiled = null // no WebAssembly SIMD here
    }
  }
  return compiled
}

/** One memory and instance per thread, grown as needed and reused by every movie. */
let shared: { memory: WebAssembly.Memory; k: Exports } | null = null

function instanceWithBytes(bytes: number): { memory: WebAssembly.Memory; k: Exports } | null {
  const mod = kernelModule()
  if (!mod) return null
  const pages = Math.ceil(bytes / PAGE)
  try {
    if (!shared) {
      const memory = new WebAssembly.Memory({ initial: pages })
      shared = { memory, k: new WebAssembly.Instance(mod, { env: { mem: memory } }).exports as unknown as Exports }
    } else if (shared.memory.buffer.byteLength < pages * PAGE) {
      shared.memory.grow(pages - shared.memory.buffer.byteLength / PAGE)
    }
    return shared
  } catch {
    return null // memory too large for this engine
  }
}

const align16 = (n: number) => Math.ceil(n / 16) * 16

/**
 * Sums weighted blocks of one uint8 movie: sum over s of counts[s] * movie[s*stride .. s*stride + block).
 * Holds its own copy of the movie in WebAssembly memory; results are exact while the total weight x 255 < 2^32.
 */
export interface ByteWindowSummer {
  sum(counts: ArrayLike<number>, stride: number, block: number): Uint32Array
}

/** The summer whose movie is at address 0 of the thread's memory. */
let loadedBy: ByteWindowSummer | null = null

/**
 * The SIMD summer over `movie`, or null where WebAssembly SIMD (or enough memory) is unavailable.
 * The first sum copies the movie into WebAssembly memory; later sums reuse that copy (unless another
 * summer of this thread used the memory in between), so make one summer per movie and reuse it for
 * every unit, and do not change the movie while its summer is in use.
 */
export function createByteWindowSummer(movie: Uint8Array): ByteWindowSummer | null {
  // movie + 16 bytes of slack: the last vector of the last window may read up to 15 bytes past it.
  const movieBytes = align16(movie.length + 16)
  if (!instanceWithBytes(movieBytes)) return null

  const summer: ByteWindowSummer = {
    sum(counts, stride, block) {
      let last = counts.length - 1
      while (last >= 0 && counts[last] === 0) last--
      if (last >= 0 && last * stride + block > movie.length) {
        throw new RangeError(`byte window summer: window start ${last} (stride ${stride}, ${block} values) ends past the ${movie.length}-byte movie`)
      }
      const vecs = Math.ceil(block / 16)
      if (vecs === 0 || last < 0) return new Uint32Array(block) // (the wasm loops run at least once)
      const acc16 = movieBytes
      const acc32 = acc16 + vecs * 32
      const inst = instanceWithBytes(acc32 + vecs * 64)
      if (!inst) throw new RangeError(`byte window summer: no WebAssembly memory for a ${block}-value window`)
      if (loadedBy !== summer) {
        new Uint8Array(inst.memory.buffer, 0, movieBytes).fill(0).set(movie)
        loadedBy = summer
      }
      new Uint8Array(inst.memory.buffer, acc16, vecs * 96).fill(0)
      const { k } = inst

      let weight = 0
      const reserve = (w: number) => {
        if (weight + w > MAX_WEIGHT_PER_FLUSH) {
          k.flush(acc16, acc32, vecs)
          weight = 0
        }
        weight += w
      }
      const addWeighted = (src: number, c: number) => {
        for (; c > 0; c -= MAX_WEIGHT_PER_FLUSH) {
          const w = Math.min(c, MAX_WEIGHT_PER_FLUSH)
          reserve(w)
          if (w === 1) k.add1(src, acc16, vecs)
          else k.addc(src, acc16, vecs, w)
        }
      }
      // Single spikes go four windows per pass, which reads and writes the accumulator a quarter as often.
      const ones: number[] = []
      for (let s = 0; s < counts.length; s++) {
        const c = counts[s]
        if (c === 0) continue
        if (c !== 1) {
          addWeighted(s * stride, c)
          continue
        }
        ones.push(s * stride)
        if (ones.length === 4) {
          reserve(4)
          k.add4(ones[0], ones[1], ones[2], ones[3], acc16, vecs)
          ones.length = 0
        }
      }
      for (const src of ones) addWeighted(src, 1)
      k.flush(acc16, acc32, vecs)
      return new Uint32Array(inst.memory.buffer, acc32, vecs * 16).slice(0, block)
    },
  }
  return summer
}
