// The layer rules of eslint.config.js (scripts/lint/layers.js), run through ESLint with the project's
// own config on small made-up files placed in each folder.
import { resolve } from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const eslint = new ESLint({ cwd: ROOT })

/** The layer problems ESLint reports for `code` as if it were the file `file` (repository path). */
async function layerProblems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(ROOT, file) })
  return result.messages.filter((m) => m.ruleId?.startsWith('layers/')).map((m) => m.message)
}

describe('layers/imports', () => {
  it('keeps src-worker and the renderer away from src-main', async () => {
    expect(await layerProblems('src-worker/algo/x.ts', "import { STEPS } from '../../src-main/steps/index'\n")).toEqual([
      'src-worker never imports from src-main: src-main/steps/index.ts',
    ])
    expect(await layerProblems('src-renderer/components/x.ts', "export { X } from '../../src-main/workbench/service'\n")).toHaveLength(1)
    expect(await layerProblems('src-renderer/x.ts', "const m = await import('../src-main/web')\nexport default m\n")).toHaveLength(1)
    expect(await layerProblems('src-worker/mcs/x.ts', "import { WorkbenchError } from '../../src-shared/errors'\nexport { WorkbenchError }\n")).toEqual([])
  })

  it('lets the renderer import src-shared type-only, or the listed pure modules', async () => {
    expect(await layerProblems('src-renderer/x.ts', "import type { StepInfo } from '../src-shared/contract'\nexport type { StepInfo }\n")).toEqual([])
    expect(await layerProblems('src-renderer/x.ts', "import { type StepInfo } from '../src-shared/contract'\nexport type { StepInfo }\n")).toEqual([])
    expect(await layerProblems('src-renderer/x.ts', "import { RemoteError } from '../src-shared/wire'\nexport { RemoteError }\n")).toEqual([])
    const [problem] = await layerProblems('src-renderer/x.ts', "import { REQUEST_NAMES } from '../src-shared/contract'\nexport { REQUEST_NAMES }\n")
    expect(problem).toContain("src-shared/contract.ts only with 'import type'")
  })

  it('keeps Node modules out of the renderer and src-shared', async () => {
    expect(await layerProblems('src-renderer/stores/x.ts', "import { readFile } from 'node:fs/promises'\nexport { readFile }\n")).toHaveLength(1)
    expect(await layerProblems('src-renderer/x.ts', "import path from 'path'\nexport { path }\n")).toHaveLength(1)
    expect(await layerProblems('src-shared/x.ts', "import { join } from 'node:path'\nexport { join }\n")).toHaveLength(1)
    expect(await layerProblems('src-shared/x.ts', "import { STEPS } from '../src-main/steps/index'\nexport { STEPS }\n")).toHaveLength(1)
    expect(await layerProblems('src-main/batch/x.ts', "import { join } from 'node:path'\nexport { join }\n")).toEqual([])
  })

  it('lets src-main reach src-worker only through the listed modules, and electron only from app/', async () => {
    expect(await layerProblems('src-main/steps/x.ts', "import { x } from '../../src-worker/eimage/streamingRange'\nexport { x }\n")).toHaveLength(1)
    expect(await layerProblems('src-main/steps/x.ts', "import type { X } from '../../src-worker/eimage/streamingRange'\nexport type { X }\n")).toEqual([])
    expect(await layerProblems('src-main/steps/x.ts', "import { x } from '../../src-worker/algo/frif'\nexport { x }\n")).toEqual([])
    expect(await layerProblems('src-main/workbench/x.ts', "import { app } from 'electron'\nexport { app }\n")).toHaveLength(1)
    expect(await layerProblems('src-main/app/x.ts', "import { app } from 'electron'\nexport { app }\n")).toEqual([])
  })
})

describe('layers/no-sync-fs', () => {
  it('flags synchronous fs calls in the main process folders used while the user works', async () => {
    const code = "import { existsSync, readFileSync } from 'node:fs'\nimport * as fs from 'fs'\nexport const a = existsSync('x') && readFileSync('x') && fs.statSync('x')\n"
    expect(await layerProblems('src-main/workbench/x.ts', code)).toHaveLength(3)
    expect(await layerProblems('src-main/stimulus/x.ts', code)).toHaveLength(3)
    // The CLI's start-up and the worker may read synchronously.
    expect(await layerProblems('src-main/cli/x.ts', code)).toEqual([])
    expect(await layerProblems('src-worker/mcs/x.ts', code)).toEqual([])
    expect(await layerProblems('src-main/archive/x.ts', "import { readFile } from 'node:fs/promises'\nexport const a = readFile('x')\n")).toEqual([])
  })
})

describe('layers/no-hdf5-on-main', () => {
  const hdf5 = async (file: string, code: string) => (await layerProblems(file, code)).filter((m) => m.includes('HDF5 runs in worker threads'))

  it('refuses h5wasm and the HDF5 readers in src-main, also through another src-worker module', async () => {
    expect(await hdf5('src-main/workbench/x.ts', "import h5wasm from 'h5wasm/node'\nexport { h5wasm }\n")).toHaveLength(1)
    expect(await hdf5('src-main/steps/x.ts', "const m = await import('h5wasm')\nexport { m }\n")).toHaveLength(1)
    const [direct] = await hdf5('src-main/steps/x.ts', "import { openCmcr } from '../../src-worker/mcs/cmcrReader'\nexport { openCmcr }\n")
    expect(direct).toContain('src-worker/mcs/cmcrReader.ts loads HDF5 on the main thread')
    expect(await hdf5('src-main/x.ts', "import { generateRecording } from '../src-worker/synthetic/generator'\nexport { generateRecording }\n")).toHaveLength(1)
    expect(await hdf5('src-main/steps/x.ts', "import { openSensorSlabs } from '../../src-worker/eimage/sensorSlabs'\nexport { openSensorSlabs }\n")).toHaveLength(1)
    // A task module is listed for its names and types; loading it would bring the readers in with it.
    const [through] = await hdf5('src-main/steps/x.ts', "import { mcsLoadUnits } from '../../src-worker/tasks/mcsTasks'\nexport { mcsLoadUnits }\n")
    expect(through).toMatch(/^src-worker\/tasks\/mcsTasks\.ts -> src-worker\/mcs\/\w+\.ts loads HDF5 on the main thread/)
  })

  it('refuses the archive codec outside the archive thread, and h5wasm elsewhere in src-main/archive', async () => {
    const [codec] = await hdf5('src-main/session/x.ts', "import { readArchive } from '../archive/reader'\nexport { readArchive }\n")
    expect(codec).toContain('src-main/archive/reader.ts is the archive codec')
    expect(await hdf5('src-main/archive/x.ts', "import h5wasm from 'h5wasm/node'\nexport { h5wasm }\n")).toHaveLength(1)
    expect(await hdf5('src-main/session/x.ts', "import { readArchive } from '../archive'\nexport { readArchive }\n")).toEqual([])
  })

  it('lets src-main import their types, the eimage engine (its reader is a thread), and the archive codec use h5wasm', async () => {
    expect(await hdf5('src-main/steps/x.ts', "import type { CmcrFile } from '../../src-worker/mcs/cmcrReader'\nexport type { CmcrFile }\n")).toEqual([])
    expect(await hdf5('src-main/steps/x.ts', "import { type CmcrSummary } from '../../src-worker/mcs/recordingLoad'\nexport type { CmcrSummary }\n")).toEqual([])
    expect(await hdf5('src-main/steps/x.ts', "import { computeEimageSta } from '../../src-worker/eimage/engine'\nexport { computeEimageSta }\n")).toEqual([])
    expect(await hdf5('src-main/archive/h5.ts', "import h5wasm from 'h5wasm/node'\nimport { h5wasmReady } from '../../src-worker/hdf5/h5wasmModule'\nexport { h5wasm, h5wasmReady }\n")).toEqual([])
    expect(await hdf5('src-main/archive/thread/threadEntry.ts', "import { readArchive } from '../reader'\nexport { readArchive }\n")).toEqual([])
    // Worker code itself may use HDF5.
    expect(await hdf5('src-worker/mcs/x.ts', "import h5wasm from 'h5wasm/node'\nexport { h5wasm }\n")).toEqual([])
  })
})
