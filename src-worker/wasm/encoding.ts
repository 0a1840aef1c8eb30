// Byte encoding of WebAssembly modules, for the small SIMD kernels we assemble in code (no toolchain
// at build time, no binaries in the repository). Only what the kernels use.

export const I32 = 0x7f
export const F64 = 0x7c
export const V128 = 0x7b

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = []
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n !== 0) b |= 0x80
    out.push(b)
  } while (n !== 0)
  return out
}

/** Signed LEB128 (i32.const immediates). */
export function sleb(n: number): number[] {
  const out: number[] = []
  for (;;) {
    const b = n & 0x7f
    n >>= 7
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b)
      return out
    }
    out.push(b | 0x80)
  }
}

/** A name (import/export) as length-prefixed UTF-8. */
export const name = (s: string) => {
  const bytes = Array.from(new TextEncoder().encode(s))
  return [...uleb(bytes.length), ...bytes]
}
export const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()]
export const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body]

// Instructions.
export const get = (i: number) => [0x20, ...uleb(i)]
export const set = (i: number) => [0x21, ...uleb(i)]
export const tee = (i: number) => [0x22, ...uleb(i)]
export const i32c = (v: number) => [0x41, ...sleb(v)]
export const I32_ADD = [0x6a]
export const I32_SUB = [0x6b]
export const LOOP = [0x03, 0x40]
export const END = [0x0b]
export const brIf = (depth: number) => [0x0d, ...uleb(depth)]
export const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm]
