import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { encodeNpyUint8, parseNpyUint8, readNpyUint8 } from '../../src-worker/npy'

const PY = '/usr/bin/python3'
const dir = mkdtempSync(join(tmpdir(), 'npy-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Writes files with numpy itself, so the reader is checked against the real format. */
function numpyWrite(script: string): void {
  execFileSync(PY, ['-c', `import numpy as np\nfrom numpy.lib import format as F\nimport os\nos.chdir(${JSON.stringify(dir)})\n${script}`])
}

const hasNumpy = existsSync(PY) && (() => {
  try {
    execFileSync(PY, ['-c', 'import numpy'])
    return true
  } catch {
    return false
  }
})()

describe.runIf(hasNumpy)('npy files written by numpy', () => {
  numpyWrite(`
a = (np.arange(4*3*5) * 7 % 256).astype(np.uint8).reshape(4, 3, 5)
np.save('v1.npy', a)
for v in (2, 3):
    with open(f'v{v}.npy', 'wb') as f:
        F.write_array(f, a, version=(v, 0))
np.save('f64.npy', a.astype(np.float64))
np.save('fortran.npy', np.asfortranarray(a))
np.save('i16.npy', a.astype(np.int16))
`)
  const expected = Uint8Array.from({ length: 60 }, (_, i) => (i * 7) % 256)

  it.each(['v1', 'v2', 'v3'])('reads a uint8 (4, 3, 5) array from a %s file', async (v) => {
    const arr = await readNpyUint8(join(dir, `${v}.npy`))
    expect(arr.shape).toEqual([4, 3, 5])
    expect(arr.data).toEqual(expected)
  })

  it('names the file and the dtype for non-uint8 data', async () => {
    await expect(readNpyUint8(join(dir, 'f64.npy'))).rejects.toThrow(/f64\.npy.*uint8.*'<f8'/)
    await expect(readNpyUint8(join(dir, 'i16.npy'))).rejects.toThrow(/i16\.npy.*'<i2'/)
  })

  it('refuses Fortran order', async () => {
    // numpy stores a 3-d Fortran array with fortran_order True
    await expect(readNpyUint8(join(dir, 'fortran.npy'))).rejects.toThrow(/fortran\.npy.*Fortran order/)
  })

  it('refuses a truncated file, naming it', () => {
    const bytes = readFileSync(join(dir, 'v1.npy'))
    const cut = join(dir, 'cut.npy')
    writeFileSync(cut, bytes.subarray(0, bytes.length - 7))
    return expect(readNpyUint8(cut)).rejects.toThrow(/cut\.npy: truncated.*needs 60 bytes.*has 53/)
  })

  it('our encoder writes files numpy reads back', () => {
    const path = join(dir, 'ours.npy')
    writeFileSync(path, encodeNpyUint8([2, 3, 4], Uint8Array.from({ length: 24 }, (_, i) => i * 10)))
    const out = execFileSync(PY, ['-c', `import numpy as np; a = np.load(${JSON.stringify(path)}); print(a.dtype, a.shape, int(a[1, 2, 3]), a.flags['C_CONTIGUOUS'])`])
    expect(out.toString().trim()).toBe('uint8 (2, 3, 4) 230 True')
  })
})

describe('npy error cases without numpy', () => {
  it('names a missing file', async () => {
    await expect(readNpyUint8(join(dir, 'nope.npy'))).rejects.toThrow(/nope\.npy: file not found/)
  })
  it('rejects a file without the magic', () => {
    expect(() => parseNpyUint8(new TextEncoder().encode('hello world, not npy'), 'x.npy')).toThrow(/x\.npy: not a NumPy/)
  })
  it('round-trips its own encoding', () => {
    const data = Uint8Array.from({ length: 30 }, (_, i) => 255 - i)
    const arr = parseNpyUint8(encodeNpyUint8([5, 6], data), 'own.npy')
    expect(arr.shape).toEqual([5, 6])
    expect(arr.data).toEqual(data)
  })
})
