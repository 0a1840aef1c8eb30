// Packaging: the rules pack:check applies to app.asar (they must catch what they are for), the
// electron-builder.yml settings the issue requires, the path mapping into app.asar.unpacked, where the
// resources folder is found, and the generated icon files.
import { readFileSync } from 'node:fs'
import { inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { APP_ID } from '../../src-main/desktop/identity'
import { unpackedPath } from '../../src-worker/builtEntry'
import { ancestorCandidates } from '../../src-main/resources'
import { checkAsarContent, checkPackagedManifest, importSpecifiers, packageOf, productionClosure } from '../../scripts/pack-rules.mjs'
import { drawIcon, encodeIco, encodePng } from '../../scripts/make-icon.mjs'

const rootPackage = {
  main: './out/main/index.js',
  dependencies: { piscina: '1', h5wasm: '1' },
  devDependencies: { vue: '3', vitest: '4' },
}
const installed: Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }> = {
  piscina: { optionalDependencies: { nice: '1' } },
  h5wasm: {},
  nice: {},
}
const production = productionClosure(rootPackage, (n: string) => installed[n] ?? null)
const goodFiles = [
  'package.json',
  'out',
  'out/main',
  'out/main/index.js',
  'out/main/task.js',
  'out/main/chunks/a.js',
  'node_modules/piscina',
  'node_modules/piscina/package.json',
  'node_modules/piscina/dist/main.js',
  'node_modules/h5wasm',
  'node_modules/h5wasm/package.json',
  'node_modules/h5wasm/dist/node/hdf5_hl.js',
]
const goodUnpacked = ['out/main/task.js', 'out/main/chunks/a.js', 'node_modules/piscina/package.json', 'node_modules/piscina/dist/main.js']
const check = (files: string[], unpacked: string[] = goodUnpacked) =>
  checkAsarContent({
    files,
    unpacked,
    builtFiles: ['out/main/index.js', 'out/main/task.js', 'out/main/chunks/a.js'],
    rootPackage,
    productionPackages: production,
    workerFiles: ['out/main/task.js', 'out/main/chunks/a.js'],
    workerPackages: ['piscina'],
  })

describe('pack:check rules', () => {
  it('finds the package of bare imports, not of node builtins, electron or relative paths', () => {
    expect(packageOf('h5wasm/node')).toBe('h5wasm')
    expect(packageOf('@napi-rs/nice/x')).toBe('@napi-rs/nice')
    expect(packageOf('node:fs')).toBeNull()
    expect(packageOf('worker_threads')).toBeNull()
    expect(packageOf('electron')).toBeNull()
    expect(packageOf('./chunks/a.js')).toBeNull()
    const src = `import { a } from "./chunks/a.js";\nimport "piscina";\nexport { b } from './b.js'\nconst m = await import("./chunks/demo.js"); require('ws')`
    expect(importSpecifiers(src).sort()).toEqual(['./b.js', './chunks/a.js', './chunks/demo.js', 'piscina', 'ws'])
  })

  it('the production closure follows dependencies, optional ones only on request', () => {
    expect([...production].sort()).toEqual(['h5wasm', 'piscina'])
    expect([...productionClosure(rootPackage, (n: string) => installed[n] ?? null, { withOptional: true })].sort()).toEqual(['h5wasm', 'nice', 'piscina'])
    expect(() => productionClosure({ dependencies: { gone: '1' } }, () => null)).toThrow(/gone is a production dependency but is not installed/)
  })

  it('a complete archive passes', () => {
    expect(check(goodFiles)).toEqual([])
  })

  it('a scope folder is not a package: an allowed scoped package passes, a stray one is named', () => {
    const allowed = new Set([...production, '@napi-rs/nice'])
    const withScope = [...goodFiles, 'node_modules/@napi-rs', 'node_modules/@napi-rs/nice', 'node_modules/@napi-rs/nice/package.json']
    const run = (files: string[]) =>
      checkAsarContent({
        files,
        unpacked: goodUnpacked,
        builtFiles: ['out/main/index.js', 'out/main/task.js', 'out/main/chunks/a.js'],
        rootPackage,
        productionPackages: production,
        allowedPackages: allowed,
        workerFiles: ['out/main/task.js', 'out/main/chunks/a.js'],
        workerPackages: ['piscina'],
      })
    expect(run(withScope)).toEqual([])
    expect(run([...withScope, 'node_modules/@napi-rs/stray', 'node_modules/@napi-rs/stray/package.json'])).toEqual([
      'package @napi-rs/stray is not a production dependency',
    ])
  })

  it('catches a missing built file, a devDependency, test and benchmark files, sources and maps', () => {
    const bad = [
      ...goodFiles.filter((f) => f !== 'out/main/chunks/a.js'),
      'node_modules/vitest/package.json',
      'node_modules/piscina/test/simple.js',
      'node_modules/piscina/benchmark/index.js',
      'out/main/index.js.map',
      'test/unit/x.test.ts',
      'src-main/app/main.ts',
    ]
    const problems = check(bad, goodUnpacked.filter((f) => f !== 'out/main/chunks/a.js')).join('\n')
    expect(problems).toContain('missing built file out/main/chunks/a.js')
    expect(problems).toContain('devDependency in the package: node_modules/vitest/package.json')
    expect(problems).toContain('test or benchmark file: node_modules/piscina/test/simple.js')
    expect(problems).toContain('test or benchmark file: node_modules/piscina/benchmark/index.js')
    expect(problems).toContain('source or map file in out/: out/main/index.js.map')
    expect(problems).toContain('unexpected file outside out/ and node_modules/: test/unit/x.test.ts')
    expect(problems).toContain('unexpected file outside out/ and node_modules/: src-main/app/main.ts')
    expect(problems).toContain('worker file out/main/chunks/a.js is not in app.asar.unpacked')
  })

  it('catches worker files and worker packages left inside the archive, and a missing production package', () => {
    const problems = check(goodFiles.filter((f) => !f.startsWith('node_modules/h5wasm')), ['out/main/chunks/a.js', 'node_modules/piscina/package.json']).join('\n')
    expect(problems).toContain('worker file out/main/task.js is not in app.asar.unpacked')
    expect(problems).toContain('worker package file node_modules/piscina/dist/main.js is not unpacked')
    expect(problems).toContain('missing production package h5wasm')
  })

  it('the packaged package.json must not keep scripts or devDependencies', () => {
    expect(checkPackagedManifest({ name: 'x', dependencies: { a: '1' } })).toEqual([])
    expect(checkPackagedManifest({ scripts: { test: 'x' }, devDependencies: { v: '1' } })).toEqual([
      'packaged package.json still has devDependencies',
      'packaged package.json still has scripts',
    ])
  })
})

describe('electron-builder.yml', () => {
  const yml = readFileSync(new URL('../../electron-builder.yml', import.meta.url), 'utf8')
  const value = (key: string) => new RegExp(`^\\s*${key}:\\s*([^#\\n]+?)\\s*(#.*)?$`, 'm').exec(yml)?.[1]

  it('app id equals the AppUserModelId the app sets', () => {
    expect(value('appId')).toBe(APP_ID)
  })

  it('per-user NSIS installer, never elevated', () => {
    expect(value('requestedExecutionLevel')).toBe('asInvoker')
    expect(value('perMachine')).toBe('false')
    expect(value('oneClick')).toBe('false')
    expect(value('allowElevation')).toBe('false')
    expect(yml).toMatch(/target: nsis/)
  })

  it('associates .cmcr, .cmtr and .h5', () => {
    const exts = [...yml.matchAll(/^\s*- ext:\s*(\S+)/gm)].map((m) => m[1])
    expect(exts).toEqual(['cmcr', 'cmtr', 'h5'])
  })

  it('unpacks the worker bundle and the packages the worker imports', () => {
    for (const p of ['out/main/**', 'node_modules/piscina/**', 'node_modules/h5wasm/**']) expect(yml).toContain(`  - ${p}`)
  })
})

describe('packaged paths', () => {
  it('maps a path inside app.asar to app.asar.unpacked (POSIX and Windows), and leaves others alone', () => {
    expect(unpackedPath('/opt/HD/resources/app.asar/out/main/task.js')).toBe('/opt/HD/resources/app.asar.unpacked/out/main/task.js')
    expect(unpackedPath('C:\\Users\\lab\\AppData\\Local\\Programs\\HD\\resources\\app.asar\\out\\main\\task.js')).toBe(
      'C:\\Users\\lab\\AppData\\Local\\Programs\\HD\\resources\\app.asar.unpacked\\out\\main\\task.js',
    )
    expect(unpackedPath('/repo/out/main/task.js')).toBe('/repo/out/main/task.js')
    expect(unpackedPath('/x/app.asar.unpacked/out/main/task.js')).toBe('/x/app.asar.unpacked/out/main/task.js')
  })

  it('looks for resources in the ancestors of the code, reaching <resourcesPath>/resources from app.asar/out/main/chunks', () => {
    const c = ancestorCandidates('/opt/HD/resources/app.asar/out/main/chunks')
    expect(c.slice(0, 5)).toEqual([
      '/opt/HD/resources/app.asar/out/main/chunks/resources',
      '/opt/HD/resources/app.asar/out/main/resources',
      '/opt/HD/resources/app.asar/out/resources',
      '/opt/HD/resources/app.asar/resources',
      '/opt/HD/resources/resources',
    ])
  })
})

describe('icon', () => {
  it('PNG: signature, IHDR size, valid chunk CRCs, and pixels that decode to the drawn image', () => {
    const size = 64
    const rgba = drawIcon(size)
    const png: Buffer = encodePng(size, rgba)
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
    expect(png.toString('ascii', 12, 16)).toBe('IHDR')
    expect(png.readUInt32BE(16)).toBe(size)
    expect(png.readUInt32BE(20)).toBe(size)
    const idatLen = png.readUInt32BE(33)
    expect(png.toString('ascii', 37, 41)).toBe('IDAT')
    const raw = inflateSync(png.subarray(41, 41 + idatLen))
    expect(raw.length).toBe(size * (size * 4 + 1))
    const row = 20
    expect([...raw.subarray(row * (size * 4 + 1) + 1, row * (size * 4 + 1) + 1 + size * 4)]).toEqual([...rgba.subarray(row * size * 4, (row + 1) * size * 4)])
    // corners are transparent (rounded die), the centre is opaque
    expect(rgba[3]).toBe(0)
    expect(rgba[((size / 2) * size + size / 2) * 4 + 3]).toBe(255)
  })

  it('ICO directory points at each embedded PNG with its size (256 written as 0)', () => {
    const a = Buffer.from('PNGDATA-16')
    const b = Buffer.from('PNGDATA-256-longer')
    const ico: Buffer = encodeIco([
      { size: 16, png: a },
      { size: 256, png: b },
    ])
    expect(ico.readUInt16LE(2)).toBe(1)
    expect(ico.readUInt16LE(4)).toBe(2)
    expect(ico[6]).toBe(16)
    expect(ico[22]).toBe(0)
    const offA = ico.readUInt32LE(6 + 12)
    const offB = ico.readUInt32LE(22 + 12)
    expect(ico.subarray(offA, offA + ico.readUInt32LE(6 + 8)).toString()).toBe('PNGDATA-16')
    expect(ico.subarray(offB, offB + ico.readUInt32LE(22 + 8)).toString()).toBe('PNGDATA-256-longer')
  })
})
