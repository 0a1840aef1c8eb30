// End to end: the built CLI runs the demo as a child process; the archive it writes is checked against
// the generator's ground truth (truth JSON) and the bundled stimulus configs.

import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readArchive, type ArchiveContent } from '../../src-main/archive'
import { type GroupNode, type NumericNode, getNode, numericChildren } from '../../src-shared/tree'
import { resourcePath } from '../../src-main/resources'

const CLI = resolve(import.meta.dirname, '../../out/main/cli.js')
const ID = 'synthetic_demo'
const NOISE = 'dense_noise_15x15_demo'
const out = mkdtempSync(join(tmpdir(), 'demo-e2e-'))

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI; `onStderr` may send a signal when it sees a line. */
function runCli(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d) => (stdout += d))
    child.stderr!.on('data', (d) => {
      stderr += d
      onStderr?.(stderr, child)
    })
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }))
  })
}

interface Truth {
  samplingRate: number
  tickUs: number
  frameTimestamps: number[]
  sections: Array<{ movie: string; startFrame: number; endFrame: number; contentStartFrame: number; frames: number }>
  units: Array<{
    id: string
    unitNum: number
    rfCentre: { x: number; y: number } | null
    spikeTimesUs: number[]
    include: number[]
    ratesPerMovie: Record<string, number>
  }>
}

let run: Run
let archive: ArchiveContent
let truth: Truth

const num = (root: GroupNode, path: string): NumericNode => {
  const n = getNode(root, path)
  if (!n || n.kind !== 'numeric') throw new Error(`${path} is missing or not numeric`)
  return n
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} not found: run \`npx electron-vite build\` before this suite`)
  run = await runCli(['demo', '--out', out])
  if (run.code !== 0) throw new Error(`demo exited with ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`)
  archive = await readArchive(join(out, `${ID}.h5`))
  truth = JSON.parse(readFileSync(join(out, 'recording', `${ID}.truth.json`), 'utf8'))
}, 300_000)

afterAll(() => rmSync(out, { recursive: true, force: true }))

describe('npm run demo (built CLI)', () => {
  it('prints a summary on stdout and progress on stderr', () => {
    expect(run.stdout).toMatch(/units:\s+12\b/)
    expect(run.stdout).toMatch(/completed steps:.*add_section_time.*section_spike_times.*compute_sta.*extract_features/)
    expect(run.stdout).toMatch(/memory estimate:\s+[\d.]+ (kB|MB|GB)/)
    expect(run.stdout).toContain(join(out, `${ID}.h5`))
    expect(run.stdout).toMatch(/compute_sta\s+\d+\.\d\d/)
    expect(run.stdout).toMatch(/warnings/)
    expect(run.stderr).toMatch(/\[compute_sta\]\s+\d+%/)
    expect(existsSync(join(out, 'checkpoints', `${ID}.after_load.h5`))).toBe(true)
  })

  it('records every Quick Start step, and the checkpoint holds the state after the load only', async () => {
    for (const s of ['add_section_time', 'section_spike_times', 'compute_sta', 'extract_features']) {
      expect(archive.completedSteps).toContain(s)
    }
    expect(archive.completedSteps.some((s) => s === 'load_recording' || s === 'load_recording_with_eimage_sta')).toBe(true)
    const cp = await readArchive(join(out, 'checkpoints', `${ID}.after_load.h5`))
    expect(cp.completedSteps.some((s) => s.startsWith('load_recording'))).toBe(true)
    expect(cp.completedSteps).not.toContain('add_section_time')
    expect(cp.units.children.size).toBe(truth.units.length)
  })

  it('has the exact frame timestamps and section times of the truth', () => {
    expect([...num(archive.metadata, 'frame_timestamps').data]).toEqual(truth.frameTimestamps)
    const ts = truth.frameTimestamps
    for (const s of truth.sections) {
      const st = num(archive.stimulus, `section_time/${s.movie}`)
      expect(st.shape).toEqual([1, 2])
      expect([...st.data]).toEqual([ts[s.startFrame], ts[s.endFrame]])
    }
  })

  it('sections every unit into the trials of the bundled configs, with the truth spikes in each', () => {
    const ts = truth.frameTimestamps
    for (const s of truth.sections) {
      const cfg = JSON.parse(readFileSync(resourcePath('demo', 'stimuli', `${s.movie}.json`), 'utf8')).section_kwargs
      for (const u of truth.units) {
        const g = getNode(archive.units, `${u.id}/spike_times_sectioned/${s.movie}`) as GroupNode
        const trials = numericChildren(getNode(g, 'trials_spike_times') as GroupNode)
        expect(trials.map(([k]) => k)).toEqual(Array.from({ length: cfg.repeat }, (_, k) => k))
        const bounds = num(g, 'trials_start_end')
        const pre = Number(num(g, '_attrs/pre_samples').data[0])
        const post = Number(num(g, '_attrs/post_samples').data[0])
        const spikes = u.spikeTimesUs.filter((_, i) => u.include[i]).map((us) => us / truth.tickUs)
        for (const [k, node] of trials) {
          const f0 = s.contentStartFrame + cfg.start_frame + k * cfg.trial_length_frame
          const [a, b] = [ts[f0], ts[f0 + cfg.trial_length_frame]]
          expect([bounds.data[2 * k], bounds.data[2 * k + 1]]).toEqual([a, b])
          expect([...(node as NumericNode).data]).toEqual(spikes.filter((x) => x >= Math.max(0, a - pre) && x < b + post))
        }
      }
    }
  })

  it('gives every receptive-field unit an STA peaking at its known centre, 10 frames before the spike', () => {
    const boxPeaks: Array<{ rf: boolean; value: number }> = []
    for (const u of truth.units) {
      const sta = num(archive.units, `${u.id}/features/sta_${NOISE}/data`)
      expect(sta.dtype).toBe('float32')
      expect(sta.shape).toEqual([60, 15, 15])
      const [L, H, W] = sta.shape
      // strongest single pixel
      let best = -1
      let at = [0, 0, 0]
      for (let k = 0; k < L; k++)
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++) {
            const v = Math.abs(sta.data[(k * H + y) * W + x] - 127.5)
            if (v > best) [best, at] = [v, [k, y, x]]
          }
      // strongest 3x3 patch (the generator's RF is a 3x3 patch around the centre)
      let boxBest = -Infinity
      let boxAt = [0, 0, 0]
      for (let k = 0; k < L; k++)
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++) {
            let sum = 0
            for (let dy = -1; dy <= 1; dy++)
              for (let dx = -1; dx <= 1; dx++) {
                const yy = y + dy
                const xx = x + dx
                if (yy >= 0 && yy < H && xx >= 0 && xx < W) sum += sta.data[(k * H + yy) * W + xx] - 127.5
              }
            if (sum > boxBest) [boxBest, boxAt] = [sum, [k, y, x]]
          }
      boxPeaks.push({ rf: u.rfCentre !== null, value: boxBest })
      if (!u.rfCentre) continue
      const { x, y } = u.rfCentre
      // window (-60, 0): index 50 is the frame shown 10 frames before the spike frame
      expect(at[0]).toBe(50)
      expect(Math.max(Math.abs(at[1] - y), Math.abs(at[2] - x))).toBeLessThanOrEqual(1)
      expect(boxAt).toEqual([50, y, x])
      const md = getNode(archive.units, `${u.id}/features/sta_${NOISE}/metadata`) as GroupNode
      expect([...num(md, 'cover_range').data]).toEqual([-60, 0])
      expect(num(md, 'cover_range').dtype).toBe('int64')
      expect(Number(num(md, 'n_spikes_used').data[0])).toBeGreaterThan(100)
    }
    const rfMin = Math.min(...boxPeaks.filter((p) => p.rf).map((p) => p.value))
    const otherMax = Math.max(...boxPeaks.filter((p) => !p.rf).map((p) => p.value))
    expect(boxPeaks.filter((p) => p.rf).length).toBeGreaterThan(0)
    expect(rfMin).toBeGreaterThan(otherMax)
  })

  it('stores FRIF whose time-weighted mean over each movie equals the true rate', () => {
    const ts = truth.frameTimestamps
    for (const u of truth.units) {
      const frif = num(archive.units, `${u.id}/features/frif/data/FRIF`)
      const xAxis = num(archive.units, `${u.id}/features/frif/data/FRIF_x_axis`)
      expect(frif.dtype).toBe('float32')
      expect(xAxis.dtype).toBe('float64')
      expect(frif.data.length).toBe(ts.length - 1)
      expect(xAxis.data[1]).toBe(ts[1] / truth.samplingRate)
      for (const s of truth.sections) {
        let weighted = 0
        let total = 0
        for (let i = s.contentStartFrame; i < s.contentStartFrame + s.frames; i++) {
          weighted += frif.data[i] * (ts[i + 1] - ts[i])
          total += ts[i + 1] - ts[i]
        }
        expect(Math.abs(weighted / total / u.ratesPerMovie[s.movie] - 1)).toBeLessThan(1e-6)
      }
      const md = getNode(archive.units, `${u.id}/features/frif/metadata`) as GroupNode
      expect(getNode(md, 'extractor_version')?.kind).toBe('string')
    }
  })

  it('writes what h5py reads with the Python dtypes', () => {
    const py = '/usr/bin/python3'
    if (!existsSync(py)) return
    const script = `
import h5py, sys
f = h5py.File(sys.argv[1], 'r')
d = f['units/unit_001/features/sta_${NOISE}']
print(d['data'].dtype, d['data'].shape, d['metadata/cover_range'].dtype, d['metadata/n_spikes_used'].dtype, f['units/unit_001/features/frif/data/FRIF'].dtype)
`
    const text = execFileSync(py, ['-c', script, join(out, `${ID}.h5`)]).toString().trim()
    expect(text).toBe('float32 (60, 15, 15) int64 int64 float32')
  })

  it('cancels cleanly on Ctrl+C and leaves the saved archive untouched', async () => {
    const archivePath = join(out, `${ID}.h5`)
    const before = createHash('sha256').update(readFileSync(archivePath)).digest('hex')
    let sent = false
    const r = await runCli(['demo', '--out', out], (text, child) => {
      if (!sent && /demo: running load_recording/.test(text)) {
        sent = true
        child.kill('SIGINT')
      }
    })
    expect(sent).toBe(true)
    expect(r.code).toBe(130)
    expect(r.stderr).toMatch(/cancelled during load_recording/)
    expect(createHash('sha256').update(readFileSync(archivePath)).digest('hex')).toBe(before)
  })

  it('answers --help and rejects unknown arguments', async () => {
    const help = await runCli(['demo', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/--out DIR/)
    const bad = await runCli(['demo', '--outt', 'x'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/unknown argument '--outt'/)
  })
})
