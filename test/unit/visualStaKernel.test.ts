import { describe, expect, it } from 'vitest'
import { createByteWindowSummer } from '../../src-worker/algo/byteWindowKernel'
import { computeSta } from '../../src-worker/algo/visualSta'

/** Deterministic pseudo-random integers in [0, n). */
function lcg(seed: number): (n: number) => number {
  let s = seed
  return (n) => {
    s = (s * 1103515245 + 12345) % 2147483648
    return Math.floor((s / 2147483648) * n)
  }
}

/** sum_s counts[s] * movie[s*stride + j], one element at a time in float64 (exact for these sizes). */
function bruteSum(counts: number[], movie: Uint8Array, stride: number, block: number): number[] {
  const out = new Array<number>(block).fill(0)
  counts.forEach((c, s) => {
    for (let j = 0; j < block; j++) out[j] += c * movie[s * stride + j]
  })
  return out
}

describe('WebAssembly SIMD byte-window summer', () => {
  it('is available in this Node (the STA step relies on it for speed)', () => {
    expect(createByteWindowSummer(new Uint8Array(10))).not.toBeNull()
  })

  it('558 single spikes on a 255 movie: the uint16 accumulator is flushed before it overflows', () => {
    // 255 * 257 = 65535 is the most the uint16 accumulator holds; the total here is 255 * 558.
    const movie = new Uint8Array(600 * 3).fill(255)
    const counts = new Array<number>(598).fill(0)
    for (let s = 0; s < 558; s++) counts[s] = 1
    const sum = createByteWindowSummer(movie)!.sum(counts, 3, 7)
    expect([...sum]).toEqual(new Array(7).fill(255 * 558))
  })

  it('weights above 257 at one start are split, and mixed weights add exactly', () => {
    const movie = new Uint8Array(60).fill(255)
    movie[0] = 1
    const counts = [1000, 0, 3, 257, 1, 1, 1]
    const sum = createByteWindowSummer(movie)!.sum(counts, 5, 17)
    // element 0 sees movie[0] = 1 once per weight of start 0 and 255 from the others
    expect(sum[0]).toBe(1000 + 255 * (3 + 257 + 3))
    expect(sum[16]).toBe(255 * (1000 + 3 + 257 + 3))
  })

  it('equals the element-by-element sum on random movies, odd strides and windows (tails of the 16-byte vectors)', () => {
    const rand = lcg(99)
    for (const [frames, stride, block] of [
      [50, 1, 1],
      [200, 7, 35],
      [300, 225, 13500],
      [64, 16, 48],
      [90, 13, 13 * 9 + 5],
    ]) {
      const movie = Uint8Array.from({ length: frames * stride + block }, () => rand(256))
      const starts = frames
      const counts = Array.from({ length: starts }, () => [0, 0, 1, 1, 1, 2, 5, 300][rand(8)])
      const summer = createByteWindowSummer(movie)!
      expect([...summer.sum(counts, stride, block)]).toEqual(bruteSum(counts, movie, stride, block))
    }
  })

  it('refuses a window that ends past the movie, and sums nothing to zeros', () => {
    const summer = createByteWindowSummer(new Uint8Array(100).fill(1))!
    expect(() => summer.sum([0, 0, 1], 40, 21)).toThrow(/window start 2 .* ends past the 100-byte movie/)
    expect([...summer.sum([0, 0, 1, 0, 0], 40, 20)]).toEqual(new Array(20).fill(1))
    expect([...summer.sum([0, 0], 40, 5)]).toEqual([0, 0, 0, 0, 0])
  })

  it('keeps each summer on its own movie when summers of one thread interleave', () => {
    const a = Uint8Array.from({ length: 64 }, (_, i) => i)
    const b = Uint8Array.from({ length: 96 }, (_, i) => 200 - i)
    const sa = createByteWindowSummer(a)!
    const sb = createByteWindowSummer(b)!
    const counts = [1, 2, 0, 1]
    for (let round = 0; round < 2; round++) {
      expect([...sb.sum(counts, 8, 20)]).toEqual(bruteSum(counts, b, 8, 20))
      expect([...sa.sum(counts, 8, 20)]).toEqual(bruteSum(counts, a, 8, 20))
    }
  })
})

describe('computeSta gives the same float32 STA through every accumulator', () => {
  it('wasm summer, typed-array loop and float64 path agree with the gathered mean on a production-shaped movie', () => {
    const rand = lcg(7)
    const frames = 700
    const p = 15 * 15
    const movie = Uint8Array.from({ length: frames * p }, () => (rand(2) ? 255 : rand(256)))
    const spikeFrames = Array.from({ length: 3000 }, () => rand(frames + 20) - 10)
    const shape = { frames, height: 15, width: 15 }
    const viaWasm = computeSta(spikeFrames, movie, shape, [-60, 0], { byteSummer: createByteWindowSummer(movie) })
    const viaLoop = computeSta(spikeFrames, movie, shape, [-60, 0], { byteSummer: null })
    const viaFloat = computeSta(spikeFrames, Array.from(movie), shape, [-60, 0])
    // gathered windows, averaged in float64 then cast
    const valid = spikeFrames.filter((f) => f - 60 >= 0 && f <= frames)
    const expected = new Float64Array(60 * p)
    for (const f of valid) for (let j = 0; j < 60 * p; j++) expected[j] += movie[(f - 60) * p + j]
    const sta = Float32Array.from(expected, (v) => v / valid.length)
    expect(viaWasm.nUsed).toBe(valid.length)
    expect(viaWasm.sta).toEqual(sta)
    expect(viaLoop.sta).toEqual(sta)
    expect(viaFloat.sta).toEqual(sta)
  })
})
