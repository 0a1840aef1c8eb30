// SIMD inner loops of the streamed eimage STA, as a small WebAssembly module assembled here from its
// instructions (no toolchain needed at build time). Each kernel does exactly the float64 operations
// of its JavaScript twin in streamingRange.ts, in the same order and without fused multiply-add, so
// both give bit-identical results; the module only processes two electrodes per instruction and
// skips the bounds checks. It works on a shared WebAssembly.Memory that holds the slabs and every
// range's buffers, so any worker thread can run it on the data the reader wrote.
//
//   fwd1(x, xStrideBytes, out, st0, st1, rows, pairs, c0, c1, c2, a1, a2)
//       forward biquad over `rows` int16 rows (2 electrodes per pair), float64 output rows
//   bwd1(in, inStepBytes, out, outStepBytes, st0, st1, rows, pairs, c0, c1, c2, a1, a2)
//       biquad over float64 rows walking by -inStep, float32 output rows walking by -outStep
//   fwd4 / bwd4: the same for a block of exactly 8 electrodes (4 pairs) whose rows are 64 bytes of
//   float64, with the 4 pairs' filter state held in locals (registers) across all rows instead of
//   loaded and stored every row. With blocks of 8 the rows are contiguous, so walking all rows of a
//   block streams memory in order (an earlier register kernel walked 8-electrode columns of 48-wide
//   rows, touching a new cache line per row, and was slower).
//   addw(acc, data, pairs)      acc (float64) += data (float32); addw2 the same, two pairs a turn
//   addf(part, data, vecs)      part (float32) += data (float32): the float32 partial window sums
//   addff(part, data, acc, vecs, flush)  addf, then on flush acc += part (as addw2) and part = 0
//   gather8(src, srcStride, dst, dstBlockStride, rows, blocks)
//       the 8-electrode blocks of a group out of whole frames, each block's rows time-major;
//       gather8x4 the same four frames a turn (whole cache lines written per block)
//   copy(src, srcStride, dst, dstStride, rows, vecs, words)
//       copies `rows` rows of vecs x 16 + words x 4 bytes (an electrode block out of whole frames)

import { END, F64, I32, I32_ADD, I32_SUB, LOOP, V128, brIf, get, i32c, name as str, section, set, simd, uleb, vec } from '../wasm/encoding'
const memarg = (align: number) => [align, 0]
const V_LOAD = simd(0x00, ...memarg(4))
const V_STORE = simd(0x0b, ...memarg(4))
const V_LOAD32_ZERO = simd(0x5c, ...memarg(2))
const V_LOAD64_ZERO = simd(0x5d, ...memarg(3))
const V_STORE64_LANE0 = simd(0x5b, ...memarg(3), 0)
const F64X2_SPLAT = simd(0x14)
const F32X4_ADD = simd(0xe4)
const F64X2_ADD = simd(0xf0)
const F64X2_SUB = simd(0xf1)
const F64X2_MUL = simd(0xf2)
const I32X4_EXTEND_LOW_I16X8_S = simd(0xa7)
const F64X2_CONVERT_LOW_I32X4_S = simd(0xfe)
const F32X4_DEMOTE_F64X2_ZERO = simd(0x5e)
const F64X2_PROMOTE_LOW_F32X4 = simd(0x5f)

/** local = local + delta (i32). */
const addTo = (local: number, delta: number[]) => [...get(local), ...delta, ...I32_ADD, ...set(local)]
const subFrom = (local: number, delta: number[]) => [...get(local), ...delta, ...I32_SUB, ...set(local)]
/** local -= 1; loop again while local != 0. */
const countDown = (local: number, depth: number) => [...get(local), ...i32c(1), ...I32_SUB, 0x22, ...uleb(local), ...brIf(depth)]

/**
 * The biquad step on v128 locals: y = c0 x + z0; z0' = c1 x - a1 y + z1; z1' = c2 x - a2 y, with
 * z0/z1 at [st0 + sp] / [st1 + sp]; leaves y in local `y`.
 */
function biquad(x: number, y: number, st0: number, st1: number, sp: number, c: number[]): number[] {
  const [c0, c1, c2, a1, a2] = c
  const addr = (base: number) => [...get(base), ...get(sp), ...I32_ADD]
  return [
    // y = c0 * x + z0
    ...get(c0), ...get(x), ...F64X2_MUL, ...addr(st0), ...V_LOAD, ...F64X2_ADD, ...set(y),
    // z0 = (c1 * x - a1 * y) + z1
    ...addr(st0),
    ...get(c1), ...get(x), ...F64X2_MUL, ...get(a1), ...get(y), ...F64X2_MUL, ...F64X2_SUB,
    ...addr(st1), ...V_LOAD, ...F64X2_ADD, ...V_STORE,
    // z1 = c2 * x - a2 * y
    ...addr(st1),
    ...get(c2), ...get(x), ...F64X2_MUL, ...get(a2), ...get(y), ...F64X2_MUL, ...F64X2_SUB, ...V_STORE,
  ]
}

function fwd1Body(): number[] {
  // params: 0 x, 1 xStride, 2 out, 3 st0, 4 st1, 5 rows, 6 pairs, 7..11 coefficients (f64)
  // locals: 12 xp, 13 sp, 14 e (i32); 15..19 splatted coefficients, 20 xv, 21 y (v128)
  const locals = vec([[...uleb(3), I32], [...uleb(7), V128]])
  const splats = [7, 8, 9, 10, 11].flatMap((p, k) => [...get(p), ...F64X2_SPLAT, ...set(15 + k)])
  const inner = [
    ...LOOP,
    ...get(12), ...V_LOAD32_ZERO, ...I32X4_EXTEND_LOW_I16X8_S, ...F64X2_CONVERT_LOW_I32X4_S, ...set(20),
    ...biquad(20, 21, 3, 4, 13, [15, 16, 17, 18, 19]),
    ...get(2), ...get(21), ...V_STORE,
    ...addTo(12, i32c(4)), ...addTo(13, i32c(16)), ...addTo(2, i32c(16)),
    ...countDown(14, 0),
    ...END,
  ]
  const body = [
    ...splats,
    ...LOOP,
    ...get(0), ...set(12), ...i32c(0), ...set(13), ...get(6), ...set(14),
    ...inner,
    ...addTo(0, get(1)),
    ...countDown(5, 0),
    ...END,
    ...END,
  ]
  return [...locals, ...body]
}

/**
 * The biquad step with the state in locals z0/z1 (the same operations in the same order as biquad()):
 * y = c0 x + z0; z0 = (c1 x - a1 y) + z1; z1 = c2 x - a2 y.
 */
function biquadInLocals(x: number, y: number, z0: number, z1: number, c: number[]): number[] {
  const [c0, c1, c2, a1, a2] = c
  return [
    ...get(c0), ...get(x), ...F64X2_MUL, ...get(z0), ...F64X2_ADD, ...set(y),
    ...get(c1), ...get(x), ...F64X2_MUL, ...get(a1), ...get(y), ...F64X2_MUL, ...F64X2_SUB, ...get(z1), ...F64X2_ADD, ...set(z0),
    ...get(c2), ...get(x), ...F64X2_MUL, ...get(a2), ...get(y), ...F64X2_MUL, ...F64X2_SUB, ...set(z1),
  ]
}

const PAIRS4 = [0, 1, 2, 3]
const loadAt = (ptr: number, offset: number) => [...get(ptr), ...simd(0x00, 4, ...uleb(offset))]
/** Stores local `value` at [ptr + offset] (v128). */
const storeAt = (ptr: number, offset: number, value: number) => [...get(ptr), ...get(value), ...simd(0x0b, 4, ...uleb(offset))]

function fwd4Body(): number[] {
  // params: 0 x, 1 xStride, 2 out, 3 st0, 4 st1, 5 rows, 6..10 coefficients (f64)
  // locals (v128): 11..15 splatted coefficients, 16..19 z0 of pairs 0..3, 20..23 z1, 24 x, 25 y
  const locals = vec([[...uleb(15), V128]])
  const c = [11, 12, 13, 14, 15]
  const splats = [6, 7, 8, 9, 10].flatMap((p, k) => [...get(p), ...F64X2_SPLAT, ...set(11 + k)])
  const loadState = PAIRS4.flatMap((p) => [...loadAt(3, 16 * p), ...set(16 + p), ...loadAt(4, 16 * p), ...set(20 + p)])
  const storeState = PAIRS4.flatMap((p) => [...storeAt(3, 16 * p, 16 + p), ...storeAt(4, 16 * p, 20 + p)])
  const row = PAIRS4.flatMap((p) => [
    ...get(0), ...simd(0x5c, 2, ...uleb(4 * p)), ...I32X4_EXTEND_LOW_I16X8_S, ...F64X2_CONVERT_LOW_I32X4_S, ...set(24),
    ...biquadInLocals(24, 25, 16 + p, 20 + p, c),
    ...storeAt(2, 16 * p, 25),
  ])
  const body = [
    ...splats,
    ...loadState,
    ...LOOP,
    ...row,
    ...addTo(0, get(1)), ...addTo(2, i32c(64)),
    ...countDown(5, 0),
    ...END,
    ...storeState,
    ...END,
  ]
  return [...locals, ...body]
}

function bwd4Body(): number[] {
  // params: 0 in, 1 inStep, 2 out, 3 outStep, 4 st0, 5 st1, 6 rows, 7..11 coefficients (f64)
  // locals (v128): 12..16 coefficients, 17..20 z0, 21..24 z1, 25 x, 26 y
  const locals = vec([[...uleb(15), V128]])
  const c = [12, 13, 14, 15, 16]
  const splats = [7, 8, 9, 10, 11].flatMap((p, k) => [...get(p), ...F64X2_SPLAT, ...set(12 + k)])
  const loadState = PAIRS4.flatMap((p) => [...loadAt(4, 16 * p), ...set(17 + p), ...loadAt(5, 16 * p), ...set(21 + p)])
  const storeState = PAIRS4.flatMap((p) => [...storeAt(4, 16 * p, 17 + p), ...storeAt(5, 16 * p, 21 + p)])
  const row = PAIRS4.flatMap((p) => [
    ...loadAt(0, 16 * p), ...set(25),
    ...biquadInLocals(25, 26, 17 + p, 21 + p, c),
    ...get(2), ...get(26), ...F32X4_DEMOTE_F64X2_ZERO, ...simd(0x5b, 3, ...uleb(8 * p), 0),
  ])
  const body = [
    ...splats,
    ...loadState,
    ...LOOP,
    ...row,
    ...subFrom(0, get(1)), ...subFrom(2, get(3)),
    ...countDown(6, 0),
    ...END,
    ...storeState,
    ...END,
  ]
  return [...locals, ...body]
}

function bwd1Body(): number[] {
  // params: 0 in, 1 inStep, 2 out, 3 outStep, 4 st0, 5 st1, 6 rows, 7 pairs, 8..12 coefficients
  // locals: 13 ip, 14 op, 15 sp, 16 e (i32); 17..21 coefficients, 22 xv, 23 y (v128)
  const locals = vec([[...uleb(4), I32], [...uleb(7), V128]])
  const splats = [8, 9, 10, 11, 12].flatMap((p, k) => [...get(p), ...F64X2_SPLAT, ...set(17 + k)])
  const inner = [
    ...LOOP,
    ...get(13), ...V_LOAD, ...set(22),
    ...biquad(22, 23, 4, 5, 15, [17, 18, 19, 20, 21]),
    ...get(14), ...get(23), ...F32X4_DEMOTE_F64X2_ZERO, ...V_STORE64_LANE0,
    ...addTo(13, i32c(16)), ...addTo(14, i32c(8)), ...addTo(15, i32c(16)),
    ...countDown(16, 0),
    ...END,
  ]
  const body = [
    ...splats,
    ...LOOP,
    ...get(0), ...set(13), ...get(2), ...set(14), ...i32c(0), ...set(15), ...get(7), ...set(16),
    ...inner,
    ...subFrom(0, get(1)),
    ...subFrom(2, get(3)),
    ...countDown(6, 0),
    ...END,
    ...END,
  ]
  return [...locals, ...body]
}

function addwBody(): number[] {
  // params: 0 acc, 1 data, 2 pairs
  const locals = vec([])
  const body = [
    ...LOOP,
    ...get(0),
    ...get(0), ...V_LOAD, ...get(1), ...V_LOAD64_ZERO, ...F64X2_PROMOTE_LOW_F32X4, ...F64X2_ADD,
    ...V_STORE,
    ...addTo(0, i32c(16)), ...addTo(1, i32c(8)),
    ...countDown(2, 0),
    ...END,
    ...END,
  ]
  return [...locals, ...body]
}

const BLOCK = [0x02, 0x40]
/** Function indices of the module (the order of `bodies` in moduleBytes). */
const FN_ADDW2 = 2
const FN_ADDF = 8
const I32_EQZ = [0x45]
const I32_LOAD = [0x28, 2, 0]
const I32_STORE = [0x36, 2, 0]
const I32_AND = [0x71]
const I32_SHR_U = [0x76]

function copyBody(): number[] {
  // params: 0 src, 1 srcStride, 2 dst, 3 dstStride, 4 rows, 5 vecs, 6 words; locals: 7 sp, 8 dp, 9 n
  const locals = vec([[...uleb(3), I32]])
  const body = [
    ...LOOP,
    ...get(0), ...set(7), ...get(2), ...set(8),
    ...BLOCK,
    ...get(5), ...I32_EQZ, ...brIf(0), ...get(5), ...set(9),
    ...LOOP,
    ...get(8), ...get(7), ...V_LOAD, ...V_STORE,
    ...addTo(7, i32c(16)), ...addTo(8, i32c(16)),
    ...countDown(9, 0),
    ...END,
    ...END,
    ...BLOCK,
    ...get(6), ...I32_EQZ, ...brIf(0), ...get(6), ...set(9),
    ...LOOP,
    ...get(8), ...get(7), ...I32_LOAD, ...I32_STORE,
    ...addTo(7, i32c(4)), ...addTo(8, i32c(4)),
    ...countDown(9, 0),
    ...END,
    ...END,
    ...addTo(0, get(1)),
    ...addTo(2, get(3)),
    ...countDown(4, 0),
    ...END,
    ...END,
  ]
  return [...locals, ...body]
}

/**
 * gather8(src, srcStride, dst, dstBlockStride, rows, blocks): for each of `rows` frames, the frame's
 * `blocks` consecutive 16-byte pieces (8 int16 electrodes each) go to `blocks` time-major block
 * buffers, dstBlockStride bytes apart: one slab line is read once for all blocks of a group.
 */
function gather8Body(): number[] {
  // params: 0 src, 1 srcStride, 2 dst, 3 dstBlockStride, 4 rows, 5 blocks; locals: 6 sp, 7 dp, 8 n
  const locals = vec([[...uleb(3), I32]])
  const body = [
    ...LOOP,
    ...get(0), ...set(6), ...get(2), ...set(7), ...get(5), ...set(8),
    ...LOOP,
    ...get(7), ...get(6), ...V_LOAD, ...V_STORE,
    ...addTo(6, i32c(16)), ...addTo(7, get(3)),
    ...countDown(8, 0),
    ...END,
    ...addTo(0, get(1)), ...addTo(2, i32c(16)),
    ...countDown(4, 0),
    ...END,
    ...END,
  ]
  return [...locals, ...body]
}

/**
 * gather8x4(src, srcStride, dst, dstBlockStride, quads, blocks): gather8 four frames a turn, so each
 * block gets one whole 64-byte line per turn (4 rows of 16 bytes) instead of a quarter line per frame.
 */
function gather8x4Body(): number[] {
  // params: 0 src, 1 srcStride, 2 dst, 3 dstBlockStride, 4 quads, 5 blocks; locals: 6 sp, 7 dp, 8 n, 9 2 x stride, 10 3 x stride
  const locals = vec([[...uleb(5), I32]])
  const rowTo = (stride: number[], offset: number) => [...get(7), ...get(6), ...stride, ...simd(0x00, 4, 0), ...simd(0x0b, 4, ...uleb(offset))]
  const body = [
    ...get(1), ...get(1), ...I32_ADD, ...set(9), ...get(9), ...get(1), ...I32_ADD, ...set(10),
    ...LOOP,
    ...get(0), ...set(6), ...get(2), ...set(7), ...get(5), ...set(8),
    ...LOOP,
    ...get(7), ...get(6), ...V_LOAD, ...V_STORE,
    ...rowTo([...get(1), ...I32_ADD], 16),
    ...rowTo([...get(9), ...I32_ADD], 32),
    ...rowTo([...get(10), ...I32_ADD], 48),
    ...addTo(6, i32c(16)), ...addTo(7, get(3)),
    ...countDown(8, 0),
    ...END,
    ...addTo(0, [...get(10), ...get(1), ...I32_ADD]), ...addTo(2, i32c(64)),
    ...countDown(4, 0),
    ...END,
    ...END,
  ]
  return [...locals, ...body]
}

/**
 * addf(part, data, vecs): part (float32) += data (float32), 4 values per instruction, unrolled four
 * vectors a turn (a window of one block is 100 vectors; the loop's own instructions were half of it).
 */
function addfBody(): number[] {
  // params: 0 part, 1 data, 2 vecs; local 3 n
  const locals = vec([[...uleb(1), I32]])
  const addAt = (k: number) => [
    ...get(0), ...get(0), ...simd(0x00, 4, ...uleb(16 * k)), ...get(1), ...simd(0x00, 4, ...uleb(16 * k)), ...F32X4_ADD, ...simd(0x0b, 4, ...uleb(16 * k)),
  ]
  const body = [
    ...get(2), ...i32c(2), ...I32_SHR_U, ...set(3),
    ...BLOCK,
    ...get(3), ...I32_EQZ, ...brIf(0),
    ...LOOP,
    ...addAt(0), ...addAt(1), ...addAt(2), ...addAt(3),
    ...addTo(0, i32c(64)), ...addTo(1, i32c(64)),
    ...countDown(3, 0),
    ...END,
    ...END,
    ...get(2), ...i32c(3), ...I32_AND, ...set(3),
    ...BLOCK,
    ...get(3), ...I32_EQZ, ...brIf(0),
    ...LOOP,
    ...addAt(0),
    ...addTo(0, i32c(16)), ...addTo(1, i32c(16)),
    ...countDown(3, 0),
    ...END,
    ...END,
    ...END,
  ]
  return [...locals, ...body]
}

/**
 * addff(part, data, acc, vecs, flush): addf, then when flush is not 0 the partial sums go into the
 * float64 sums (addw2, the same operations as a separate call) and are cleared. One call per window,
 * with the rare flush decided inside the kernel, keeps that branch out of the JavaScript around it.
 */
function addffBody(): number[] {
  // params: 0 part, 1 data, 2 acc, 3 vecs, 4 flush; local 5 p
  const locals = vec([[...uleb(1), I32]])
  const CALL = (fn: number) => [0x10, ...uleb(fn)]
  const IF = [0x04, 0x40]
  const body = [
    ...get(0), ...get(1), ...get(3), ...CALL(FN_ADDF),
    ...get(4),
    ...IF,
    ...get(2), ...get(0), ...get(3), ...CALL(FN_ADDW2),
    ...get(0), ...set(5),
    ...LOOP,
    ...get(5), ...simd(0x0c, ...new Array(16).fill(0)), ...V_STORE,
    ...addTo(5, i32c(16)),
    ...countDown(3, 0),
    ...END,
    ...END,
    ...END,
  ]
  return [...locals, ...body]
}

/** addw over `quads` x 4 values, two pairs per turn of the loop. */
function addw2Body(): number[] {
  const locals = vec([])
  const pairAt = (k: number) => [
    ...get(0),
    ...get(0), ...simd(0x00, 4, ...uleb(16 * k)), ...get(1), ...simd(0x5d, 3, ...uleb(8 * k)), ...F64X2_PROMOTE_LOW_F32X4, ...F64X2_ADD,
    ...simd(0x0b, 4, ...uleb(16 * k)),
  ]
  const body = [
    ...LOOP,
    ...pairAt(0),
    ...pairAt(1),
    ...addTo(0, i32c(32)), ...addTo(1, i32c(16)),
    ...countDown(2, 0),
    ...END,
    ...END,
  ]
  return [...locals, ...body]
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const fwdType = [0x60, ...vec([I32, I32, I32, I32, I32, I32, I32, F64, F64, F64, F64, F64].map((t) => [t])), ...vec([])]
  const bwdType = [0x60, ...vec([I32, I32, I32, I32, I32, I32, I32, I32, F64, F64, F64, F64, F64].map((t) => [t])), ...vec([])]
  const addType = [0x60, ...vec([I32, I32, I32].map((t) => [t])), ...vec([])]
  const copyType = [0x60, ...vec([I32, I32, I32, I32, I32, I32, I32].map((t) => [t])), ...vec([])]
  const fwd4Type = [0x60, ...vec([I32, I32, I32, I32, I32, I32, F64, F64, F64, F64, F64].map((t) => [t])), ...vec([])]
  const gatherType = [0x60, ...vec([I32, I32, I32, I32, I32, I32].map((t) => [t])), ...vec([])]
  const addffType = [0x60, ...vec([I32, I32, I32, I32, I32].map((t) => [t])), ...vec([])]
  const bwd4Type = [0x60, ...vec([I32, I32, I32, I32, I32, I32, I32, F64, F64, F64, F64, F64].map((t) => [t])), ...vec([])]
  // Shared memory import: flags 3 (max present, shared), min 1 page, max 65536 pages (4 GiB).
  const memImport = [...str('env'), ...str('mem'), 0x02, 0x03, ...uleb(1), ...uleb(65536)]
  const bodies = [addwBody(), copyBody(), addw2Body(), fwd1Body(), bwd1Body(), fwd4Body(), bwd4Body(), gather8Body(), addfBody(), gather8x4Body(), addffBody()].map((b) => [...uleb(b.length), ...b])
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([addType, copyType, fwdType, bwdType, fwd4Type, bwd4Type, gatherType, addffType])),
    ...section(2, vec([memImport])),
    ...section(3, vec([[0], [1], [0], [2], [3], [4], [5], [6], [0], [6], [7]])),
    ...section(7, vec([
      [...str('addw'), 0x00, 0],
      [...str('copy'), 0x00, 1],
      [...str('addw2'), 0x00, 2],
      [...str('fwd1'), 0x00, 3],
      [...str('bwd1'), 0x00, 4],
      [...str('fwd4'), 0x00, 5],
      [...str('bwd4'), 0x00, 6],
      [...str('gather8'), 0x00, 7],
      [...str('addf'), 0x00, 8],
      [...str('gather8x4'), 0x00, 9],
      [...str('addff'), 0x00, 10],
    ])),
    ...section(10, vec(bodies)),
  ])
}

export interface EimageKernels {
  memory: WebAssembly.Memory
  addw(acc: number, data: number, pairs: number): void
  /** addw for quads x 2 pairs. */
  addw2(acc: number, data: number, quads: number): void
  /** Forward biquad row after row over all `pairs` pairs (state in memory, rows read and written in order). */
  fwd1(x: number, xStride: number, out: number, st0: number, st1: number, rows: number, pairs: number, c0: number, c1: number, c2: number, a1: number, a2: number): void
  /** Backward biquad row after row, walking down. */
  bwd1(inp: number, inStep: number, out: number, outStep: number, st0: number, st1: number, rows: number, pairs: number, c0: number, c1: number, c2: number, a1: number, a2: number): void
  copy(src: number, srcStride: number, dst: number, dstStride: number, rows: number, vecs: number, words: number): void
  /** part (float32) += data (float32) over vecs x 4 values. */
  addf(part: number, data: number, vecs: number): void
  /** Regroups `rows` frames of `blocks` adjacent 8-electrode blocks into per-block time-major buffers. */
  gather8(src: number, srcStride: number, dst: number, dstBlockStride: number, rows: number, blocks: number): void
  /** gather8 of 4 x quads frames, four frames a turn. */
  gather8x4(src: number, srcStride: number, dst: number, dstBlockStride: number, quads: number, blocks: number): void
  /** addf over vecs x 4 values; then, if flush is not 0, acc (float64) += part and part = 0 (vecs even). */
  addff(part: number, data: number, acc: number, vecs: number, flush: number): void
  /** fwd1 for one block of 8 electrodes (output rows of 64 bytes), state in registers across rows. */
  fwd4(x: number, xStride: number, out: number, st0: number, st1: number, rows: number, c0: number, c1: number, c2: number, a1: number, a2: number): void
  /** bwd1 for one block of 8 electrodes (input rows of 64 bytes), state in registers across rows. */
  bwd4(inp: number, inStep: number, out: number, outStep: number, st0: number, st1: number, rows: number, c0: number, c1: number, c2: number, a1: number, a2: number): void
}

let compiled: WebAssembly.Module | null | undefined

/** The compiled module, or null where WebAssembly SIMD or shared memory is unavailable. */
function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(moduleBytes())
    } catch {
      compiled = null
    }
  }
  return compiled
}

const instances = new WeakMap<WebAssembly.Memory, EimageKernels>()

/** Kernels bound to `memory` (a shared memory), or null when they cannot run here. */
export function kernelsFor(memory: WebAssembly.Memory): EimageKernels | null {
  const cached = instances.get(memory)
  if (cached) return cached
  const mod = kernelModule()
  if (!mod) return null
  try {
    const inst = new WebAssembly.Instance(mod, { env: { mem: memory } })
    const k = { memory, ...(inst.exports as unknown as Omit<EimageKernels, 'memory'>) }
    instances.set(memory, k)
    return k
  } catch {
    return null
  }
}

/** A shared memory of at least `bytes` bytes (whole 64 KiB pages), or null without shared wasm memory. */
export function sharedMemory(bytes: number): WebAssembly.Memory | null {
  const pages = Math.max(1, Math.ceil(bytes / 65536))
  if (pages > 65536) return null
  try {
    return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true })
  } catch {
    return null
  }
}
