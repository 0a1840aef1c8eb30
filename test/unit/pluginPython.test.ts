// Python step plugins: the session goes to a temporary archive, the script edits it in place, and what
// it added or changed under units/, metadata/ and stimulus/ comes back; failure and cancel leave the
// session exactly as it was, and no temporary file survives any of it.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { loadPythonStep } from '../../src-main/plugins/pythonStep'
import { runStep } from '../../src-main/steps/framework'
import { CancelledError, PluginError } from '../../src-shared/errors'
import { type TreeNode, asNumber, getNode } from '../../src-shared/tree'
import { PYTHON, noPool, sessionWith, writePythonPlugin } from './pluginFixtures'

const root = mkdtempSync(join(tmpdir(), 'plugin-python-'))
const temp = join(root, 'tmp')
const plugins = join(root, 'plugins')
const runtime = { python: () => PYTHON, tempDir: () => temp }
afterAll(() => rmSync(root, { recursive: true, force: true }))
// Every case ends with an empty temporary folder, whatever happened.
afterEach(() => expect(readdirSync(temp)).toEqual([]))
mkdirSync(temp, { recursive: true })

const manifest = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  title: id,
  command: ['{python}', 'step.py'],
  prerequisites: ['load_recording'],
  ...extra,
})

const ARGS = `import argparse, json, sys, time
import h5py, numpy as np
ap = argparse.ArgumentParser()
ap.add_argument("--archive", required=True)
ap.add_argument("--params", required=True)
a = ap.parse_args()
params = json.load(open(a.params))
`

/** Everything the session holds, as text: equal texts mean an unchanged session. */
async function fingerprint(s: ReturnType<typeof sessionWith>): Promise<string> {
  const dump = (n: TreeNode): unknown =>
    n.kind === 'group'
      ? { c: [...n.children].map(([k, v]) => [k, dump(v)]), a: [...n.attrs].map(([k, v]) => [k, dump(v)]) }
      : { k: n.kind, d: n.kind === 'numeric' ? n.dtype : '', s: n.shape, v: Array.from(n.data as ArrayLike<unknown>), a: [...(n.attrs ?? [])].map(([k, v]) => [k, dump(v)]) }
  return JSON.stringify({
    units: dump(s.units),
    metadata: dump(s.metadata),
    stimulus: dump(s.stimulus),
    steps: [...s.completedSteps].sort(),
    warnings: s.warnings,
  })
}

describe('Python step plugins', () => {
  it('edits units/, metadata/ and stimulus/ in place; additions and changes are merged, the rest kept', async () => {
    const folder = writePythonPlugin(
      plugins,
      'edit_all',
      manifest('edit_all', { params: [{ name: 'gain', type: 'number', default: 2.5 }] }),
      `${ARGS}
with h5py.File(a.archive, "r+") as f:
    rate = float(f["metadata/acquisition_rate"][()])
    for uid, unit in f["units"].items():
        n = unit["spike_times"].shape[0]
        g = unit.require_group("features").create_group("spike_count")
        g.create_group("data").create_dataset("n", data=np.int64(n))
        g.create_group("metadata").create_dataset("gain", data=params["gain"])
    f["metadata"].create_dataset("plugin_note", data="written by edit_all")
    del f["metadata/acquisition_rate"]
    f["metadata"].create_dataset("acquisition_rate", data=np.float64(rate * 2))
    f["metadata/sys_meta"].attrs["checked"] = np.int32(1)
    st = f.require_group("stimulus").create_group("section_time")
    st.create_dataset("flash", data=np.array([[100, 200], [300, 400]], dtype=np.uint64))
    del f["units/unit_002/spike_times"]  # deletions are not carried over
    print("PROGRESS 0.5 half way", flush=True)
    print("WARNING two units only")
`,
    )
    const step = await loadPythonStep(folder, runtime)
    const s = sessionWith({ unit_001: [1, 2, 3], unit_002: [10, 20] })
    const progress: Array<[number, string | undefined]> = []
    const report = await runStep(step, s, { gain: 4 }, { pool: noPool, onProgress: (p) => progress.push([p.fraction, p.message]) })
    expect(asNumber(getNode(s.units, 'unit_001/features/spike_count/data/n'))).toBe(3)
    expect(asNumber(getNode(s.units, 'unit_002/features/spike_count/data/n'))).toBe(2)
    expect(asNumber(getNode(s.units, 'unit_001/features/spike_count/metadata/gain'))).toBe(4)
    expect(getNode(s.units, 'unit_002/spike_times')).toBeDefined()
    expect(asNumber(getNode(s.units, 'unit_001/row'))).toBeUndefined() // row is an attribute, still there:
    expect(s.unit('unit_001').attrs.get('row')?.data[0]).toBe(3)
    expect(getNode(s.metadata, 'plugin_note')).toMatchObject({ kind: 'string', data: ['written by edit_all'] })
    expect(asNumber(getNode(s.metadata, 'acquisition_rate'))).toBe(40_000)
    expect(asNumber(getNode(s.metadata, 'sys_meta/recording_duration_s'))).toBe(10)
    const sys = getNode(s.metadata, 'sys_meta')
    expect(sys?.kind === 'group' && sys.attrs.get('checked')).toMatchObject({ dtype: 'int32', data: Int32Array.of(1) })
    const flash = getNode(s.stimulus, 'section_time/flash')
    expect(flash).toMatchObject({ kind: 'numeric', dtype: 'uint64', shape: [2, 2] })
    expect(Array.from((flash as { data: Float64Array }).data)).toEqual([100, 200, 300, 400])
    expect(s.completedSteps.has('edit_all')).toBe(true)
    expect(report.warnings).toEqual(['two units only'])
    expect(s.warnings).toContainEqual({ step: 'edit_all', message: 'two units only' })
    expect(report.summary).toBe('new or changed: 2 under units/, 3 under metadata/, 1 under stimulus/')
    // PROGRESS 0.5 is the middle of the script's share of the bar.
    const half = progress.find(([, m]) => m === 'half way')!
    expect(half[0]).toBeCloseTo(0.5, 12)
  })

  it('a failing script is an error naming the step, the exit code and the last stderr lines; the session is unchanged', async () => {
    const folder = writePythonPlugin(
      plugins,
      'fails',
      manifest('fails'),
      `${ARGS}
with h5py.File(a.archive, "r+") as f:
    f["metadata"].create_dataset("half_done", data=1.0)
for i in range(30):
    print(f"log line {i}", file=sys.stderr)
print("ValueError: the gain is too high", file=sys.stderr)
sys.exit(3)
`,
    )
    const step = await loadPythonStep(folder, runtime)
    const s = sessionWith({ unit_001: [1, 2, 3] })
    const before = await fingerprint(s)
    const err = await runStep(step, s, {}, { pool: noPool }).catch((e) => e)
    expect(err).toBeInstanceOf(PluginError)
    expect(err.message).toMatch(/^fails: \/usr\/bin\/python3 exited with code 3; last lines of stderr:\n/)
    expect(err.message).toContain('log line 29\nValueError: the gain is too high')
    expect(err.message).not.toContain('log line 5\n') // only the last lines
    expect(await fingerprint(s)).toBe(before)
    expect(s.completedSteps.has('fails')).toBe(false)
  })

  it('a script that fails silently on stderr is explained by its last stdout lines', async () => {
    const folder = writePythonPlugin(plugins, 'quiet_fail', manifest('quiet_fail'), `import sys\nprint("PROGRESS 0.2 reading")\nprint("no spike_times in unit_004")\nsys.exit(2)\n`)
    const step = await loadPythonStep(folder, runtime)
    await expect(runStep(step, sessionWith({ unit_001: [1] }), {}, { pool: noPool })).rejects.toThrow(
      'quiet_fail: /usr/bin/python3 exited with code 2 (nothing on stderr); last lines of stdout:\nno spike_times in unit_004',
    )
  })

  it('Cancel ends the process tree (a child process of the script too); the session is unchanged', async () => {
    const pidFile = join(root, 'grandchild.pid')
    const folder = writePythonPlugin(
      plugins,
      'slow',
      manifest('slow'),
      `${ARGS}
import subprocess
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
open(${JSON.stringify(pidFile)}, "w").write(str(child.pid))
with h5py.File(a.archive, "r+") as f:
    f["metadata"].create_dataset("started", data=1.0)
    print("PROGRESS 0.1 waiting", flush=True)
    time.sleep(600)
`,
    )
    const step = await loadPythonStep(folder, runtime)
    const s = sessionWith({ unit_001: [1, 2, 3] })
    const before = await fingerprint(s)
    const controller = new AbortController()
    const err = await runStep(step, s, {}, {
      pool: noPool,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.message === 'waiting') controller.abort()
      },
    }).catch((e) => e)
    expect(err).toBeInstanceOf(CancelledError)
    expect(err.message).toBe('slow cancelled; the session is unchanged')
    expect(await fingerprint(s)).toBe(before)
    const grandchild = Number(readFileSync(pidFile, 'utf8'))
    // The helper the script started is gone too (signal 0 only probes).
    await expect.poll(() => alive(grandchild), { timeout: 10_000 }).toBe(false)
  })

  it('an interpreter that cannot be started is a clear error pointing at the setting', async () => {
    const folder = writePythonPlugin(plugins, 'no_python', manifest('no_python'), 'print(1)\n')
    const step = await loadPythonStep(folder, { python: () => join(root, 'no-such-python'), tempDir: () => temp })
    const s = sessionWith({ unit_001: [1] })
    await expect(runStep(step, s, {}, { pool: noPool })).rejects.toThrow(
      `no_python: cannot start '${join(root, 'no-such-python')}' in ${folder}: program not found (set the Python interpreter in Settings, or pass --python on the command line)`,
    )
  })

  it('parameters arrive validated, with defaults, in params.json; the prerequisite is checked first', async () => {
    const folder = writePythonPlugin(
      plugins,
      'echo_params',
      manifest('echo_params', {
        params: [
          { name: 'refractory_ms', type: 'number', default: 1.5, min: 0 },
          { name: 'label', type: 'string', default: 'x' },
        ],
      }),
      `${ARGS}
with h5py.File(a.archive, "r+") as f:
    f["metadata"].create_dataset("echo", data=json.dumps(params, sort_keys=True))
    f["metadata"].create_dataset("cwd", data=__import__("os").getcwd())
`,
    )
    const step = await loadPythonStep(folder, runtime)
    const s = sessionWith({ unit_001: [1] })
    await expect(runStep(step, s, { refractory_ms: -1 }, { pool: noPool })).rejects.toThrow("echo_params: parameter 'refractory_ms' must be >= 0 (got -1)")
    s.completedSteps.clear()
    s.completedSteps.add('load_recording_with_eimage_sta') // either loader satisfies load_recording
    await runStep(step, s, { label: 'y' }, { pool: noPool })
    expect(getNode(s.metadata, 'echo')).toMatchObject({ data: ['{"label": "y", "refractory_ms": 1.5}'] })
    expect(getNode(s.metadata, 'cwd')).toMatchObject({ data: [folder] })
    s.completedSteps.clear()
    await expect(runStep(step, s, {}, { pool: noPool })).rejects.toThrow('echo_params needs load_recording or load_recording_with_eimage_sta to have run first')
  })
})

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
