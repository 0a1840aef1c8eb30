// Deterministic pseudo-random numbers for the synthetic recording generator (mulberry32), so a seed
// always gives byte-identical files.

/** mulberry32: a small, well-known 32-bit PRNG giving uniform numbers in [0, 1); the seed fixes the sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export class Rng {
  private readonly uniform: () => number
  private spare: number | null = null

  constructor(seed: number) {
    this.uniform = mulberry32(Math.floor(seed) ^ 0x9e3779b9)
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uniform()
  }

  /** Integer in [lo, hi). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo))
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare
      this.spare = null
      return s
    }
    let u = 0
    while (u === 0) u = this.next()
    const v = this.next()
    const r = Math.sqrt(-2 * Math.log(u))
    this.spare = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }

  /** Exponential with the given rate (events per unit). */
  exponential(rate: number): number {
    let u = 0
    while (u === 0) u = this.next()
    return -Math.log(u) / rate
  }

  /** A GUID-shaped string (8-4-4-4-12 hex), deterministic for the stream. */
  guid(): string {
    const hex = (n: number) =>
      Array.from({ length: n }, () => Math.floor(this.next() * 16).toString(16)).join('')
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(this.next() * 4)]}${hex(3)}-${hex(12)}`
  }
}
