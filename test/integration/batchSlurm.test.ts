// The SLURM engine on a real (one-node) SLURM: `.ci/run` starts it with scripts/slurm-local.sh. The demo
// pair, a copy of it and a truncated copy go through `batch --engine slurm --wait`, and the archives are
// compared with those of the local engine by their data trees (h5py, test/python/archive_same.py). In
// CI (CI=true) a SLURM that cannot be started fails the test; elsewhere without SLURM it is skipped.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, link, mkdir, mkdtemp, readFile, rm, stat, truncate } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { QueueFile } from '../../src-shared/batchModel'
import { DEMO_NOISE_MOVIE, DEMO_STEM, ensureDemoRecording } from '../../src-main/demoSet'
import { logPath, queuePath } from '../../src-main/batch/store'
import { itemStatePath } from '../../src-main/batch/slurm/itemStateFile'

// Several CLI runs of real recordings: on a shared, loaded machine this takes minutes, never a fixed time.
vi.setConfig({ testTimeout: 900_000, hookTimeout: 900_000 })

const CLI = resolve('out/main/cli.js')
const SAME = resolve('test/python/archive_same.py')
const CI = process.env.CI === 'true'

function slurmUp(): boolean {
  const r = spawnSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8' })
  return r.status === 0 && /^(idle|mix|alloc)/m.test(r.stdout)
}

/** Up already, or started here when we may (root, the script present). */
function ensureSlurm(): { up: boolean; why: string } {
  if (slurmUp()) return { up: true, why: '' }
  if (process.getuid?.() === 0 && spawnSync('which', ['slurmctld']).status === 0) {
    const r = spawnSync('bash', ['scripts/slurm-local.sh'], { encoding: 'utf8', timeout: 180_000 })
    if (slurmUp()) return { up: true, why: '' }
    return { up: false, why: `scripts/slurm-local.sh could not start SLURM: ${r.stderr || r.stdout}` }
  }
  return { up: false, why: 'SLURM is not running here and cannot be started (needs root and slurm-wlm + munge; see docs/cluster.md)' }
}

const slurm = ensureSlurm()
if (!slurm.up && !CI) console.warn(`batchSlurm: skipped: ${slurm.why}`)

let root = ''
const cli = (args: string[], timeout = 600_000): SpawnSyncReturns<string> => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout })
const readQueue = async (out: string) => JSON.parse(await readFile(queuePath(out), 'utf8')) as QueueFile
const itemState = (out: string, id: string) =>
  readFile(itemStatePath(out, id), 'utf8').then(
    (t) => JSON.parse(t) as { state: string; progress: { stepId: string | null } | null },
    () => null,
  )

function sameArchive(a: string, b: string): void {
  const r = spawnSync('/usr/bin/python3', [SAME, a, b], { encoding: 'utf8' })
  expect(r.status, `${a} vs ${b}:\n${r.stdout}${r.stderr}`).toBe(0)
}

describe.skipIf(!slurm.up && !CI)('batch on SLURM (--engine slurm)', () => {
  const recordings = () => join(root, 'recordings')
  const localOut = () => join(root, 'out-local')

  beforeAll(async () => {
    if (!slurm.up) throw new Error(`CI needs SLURM for this test: ${slurm.why}`)
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx electron-vite build\` before these tests`)
    root = await mkdtemp(join(tmpdir(), 'batch-slurm-'))
    // The demo pair, a copy under another name (the raw file hard-linked: same bytes, no extra 360 MB)
    // and a copy whose .cmtr is cut to a third.
    const demo = await ensureDemoRecording(join(recordings(), 'demo'))
    for (const [dir, stem] of [
      ['copy', 'demo_copy'],
      ['cut', 'demo_cut'],
    ]) {
      await mkdir(join(recordings(), dir, 'stimuli'), { recursive: true })
      await link(demo.cmcrPath, join(recordings(), dir, `${stem}.cmcr`))
      await copyFile(demo.cmtrPath, join(recordings(), dir, `${stem}-.cmtr`))
      await link(join(demo.stimulusDir, `${DEMO_NOISE_MOVIE}.npy`), join(recordings(), dir, 'stimuli', `${DEMO_NOISE_MOVIE}.npy`))
    }
    const cut = join(recordings(), 'cut', 'demo_cut-.cmtr')
    await truncate(cut, Math.floor((await stat(cut)).size / 3))
    // The local engine's archives, to compare with.
    const local = cli(['batch', recordings(), '--out', localOut(), '--workers', '2'])
    expect(local.status, local.stdout + local.stderr).toBe(1)
  })

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true })
  })

  it('runs the batch as a job array: same archives as the local engine, one clear failure, a resubmission redoes nothing done', async () => {
    const out = join(root, 'out-slurm')
    const first = cli(['batch', recordings(), '--out', out, '--workers', '2', '--engine', 'slurm', '--wait'])
    expect(first.status, first.stdout + first.stderr).toBe(1)
    expect(first.stdout).toMatch(/submitted 3 of 3 recording\(s\) .* as SLURM job \d+ \(2 CPU, \d+ MB, 120 min per task/)
    const q = await readQueue(out)
    expect(q.engine?.kind).toBe('slurm')
    const table = first.stdout.slice(first.stdout.indexOf('recording '))
    expect(table).toMatch(new RegExp(`${DEMO_STEM} +done `))
    expect(table).toMatch(/demo_copy +done /)
    expect(table).toMatch(/demo_cut +failed .*load_recording_with_eimage_sta: CMTR file cannot be opened by HDF5 \(truncated or corrupt\): .*demo_cut-\.cmtr/)
    expect(table).toMatch(/2 done, 0 skipped, 1 failed, 0 cancelled, 0 queued, 0 running/)
    sameArchive(join(localOut(), `${DEMO_STEM}.h5`), join(out, `${DEMO_STEM}.h5`))
    sameArchive(join(localOut(), 'demo_copy.h5'), join(out, 'demo_copy.h5'))
    expect(existsSync(join(out, 'demo_cut.h5'))).toBe(false)

    // Submitting again runs only what is not done (the failed one); the archives stay as they are.
    const mtimes = [DEMO_STEM, 'demo_copy'].map((id) => existsSync(join(out, `${id}.h5`)) && stat(join(out, `${id}.h5`)).then((s) => s.mtimeMs))
    const before = await Promise.all(mtimes)
    const again = cli(['batch', '--out', out, '--engine', 'slurm', '--wait'])
    expect(again.stdout).toMatch(/submitted 1 of 3 recording\(s\)/)
    expect(again.status).toBe(1)
    const after = await Promise.all([DEMO_STEM, 'demo_copy'].map((id) => stat(join(out, `${id}.h5`)).then((s) => s.mtimeMs)))
    expect(after).toEqual(before)
    for (const id of [DEMO_STEM, 'demo_copy']) expect((await readFile(logPath(out, id), 'utf8')).match(/attempt \d+:/g)).toHaveLength(1)

    // --status prints the same table and exits non-zero for the failure.
    const status = cli(['batch', '--status', out])
    expect(status.status).toBe(1)
    expect(status.stdout).toMatch(/demo_cut +failed +[\d.]+ s +\d+_\d+ FAILED +load_recording_with_eimage_sta: /)

    // A task asked to run an item that is done exits at once, touching nothing.
    const doneIndex = q.items.findIndex((i) => i.id === DEMO_STEM)
    const task = cli(['batch-item', '--queue', out, '--index', String(doneIndex)])
    expect(task.status).toBe(0)
    expect(task.stdout).toContain(`${DEMO_STEM} is done already; nothing to do`)
  })

  it('an array task scancelled mid-run is recorded as cancelled, and the resubmission finishes it', async () => {
    const out = join(root, 'out-cancel')
    const submit = cli(['batch', join(recordings(), 'demo'), '--out', out, '--workers', '2', '--engine', 'slurm'])
    expect(submit.status, submit.stdout + submit.stderr).toBe(0)
    // Cancel once the task is inside its first step.
    const deadline = Date.now() + 300_000
    let state = await itemState(out, DEMO_STEM)
    while (Date.now() < deadline && !(state?.state === 'running' && state.progress?.stepId)) {
      await new Promise((r) => setTimeout(r, 100))
      state = await itemState(out, DEMO_STEM)
    }
    expect(state?.state).toBe('running')
    const cancel = cli(['batch', '--cancel', out])
    expect(cancel.stdout).toMatch(/cancelled SLURM job \d+/)
    const waited = cli(['batch', '--status', out, '--wait'])
    expect(waited.status).toBe(1)
    expect(waited.stdout).toMatch(new RegExp(`${DEMO_STEM} +cancelled .*(stopped by SLURM|cancelled in SLURM)`))
    expect(existsSync(join(out, `${DEMO_STEM}.h5`))).toBe(false)

    const resubmit = cli(['batch', '--out', out, '--engine', 'slurm', '--wait'])
    expect(resubmit.status, resubmit.stdout + resubmit.stderr).toBe(0)
    expect(resubmit.stdout).toMatch(/submitted 1 of 1/)
    expect(resubmit.stdout).toMatch(new RegExp(`${DEMO_STEM} +done `))
    sameArchive(join(localOut(), `${DEMO_STEM}.h5`), join(out, `${DEMO_STEM}.h5`))
    expect((await readFile(logPath(out, DEMO_STEM), 'utf8')).match(/attempt \d+:/g)).toHaveLength(2)
  })
})

