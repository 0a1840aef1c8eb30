// Interop with the Python side: h5py (Debian python3-h5py, /usr/bin/python3) reads our archives, and
// archives written the way the Python pipeline writes them load and resume here.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { PipelineSession } from '../../src-main/session/session'
import { type GroupNode, type LeafNode, type TreeNode, f32, f64, getNode, group, i64, numeric, str, u64 } from '../../src-shared/tree'
import { readArchive, writeArchive } from '../../src-main/archive'
import { assertPrerequisites, type StepDefinition } from '../../src-main/steps/framework'
import { archiveContent } from '../fixtures/archive/content'

const PYTHON = '/usr/bin/python3'
const SCRIPTS = resolve(__dirname, '../python')

function runPython(script: string, ...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(PYTHON, [join(SCRIPTS, script), ...args], { encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` }
}

let dir: string
beforeAll(() => {
  const probe = spawnSync(PYTHON, ['-c', 'import h5py, numpy'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `The archive interop tests need h5py for ${PYTHON} (Debian packages python3-h5py and python3-numpy; ` +
        `install with: apt-get install -y python3-h5py). Probe failed: ${probe.error ?? probe.stderr}`,
    )
  }
  dir = mkdtempSync(join(tmpdir(), 'archive-py-'))
})
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const computeSta: StepDefinition = {
  id: 'compute_sta',
  title: 'Compute STA',
  description: 'test double with the real prerequisite of step 4',
  params: [],
  prerequisites: [['section_spike_times']],
  async run() {
    throw new Error('not run here')
  },
}

function leaf(root: GroupNode, path: string): LeafNode {
  const n = getNode(root, path)
  if (!n || n.kind === 'group') throw new Error(`${path} is not a leaf`)
  return n
}

function values(n: TreeNode): unknown[] {
  if (n.kind === 'group') throw new Error('group has no values')
  return Array.from(n.data as ArrayLike<unknown>)
}

describe('h5py reads archives written by the workbench', () => {
  it('has the Python session layout, dtypes and values', async () => {
    const s = new PipelineSession({ datasetId: '2025.04.10-11.12.57-Rec', outputDir: dir, createdAt: '2025-04-10T11:12:57.123456+00:00' })
    s.setSourceFiles('O:\\20250410\\set6\\rec.cmcr', 'O:\\20250410\\set6\\rec-.cmtr')
    const trials = group()
    for (let i = 0; i < 12; i++) trials.children.set(String(i), i === 3 ? i64([]) : i64(i === 10 ? [10, 11] : [i]))
    const sta = new Float32Array(24).map((_, i) => i)
    sta[23] = 23.5
    s.addUnits({
      unit_001: group(
        {
          spike_times: u64([10, 20, 30, 4_000_000_000_000]),
          waveform: f32([0.5, -0.5, 0]),
          features: group({
            eimage_sta: group({ data: f32(sta, [2, 3, 4]), metadata: group({ skip_highpass: { kind: 'bool', shape: [], data: Uint8Array.of(1) } }) }),
          }),
          spike_times_sectioned: group({ movie: group({ trials_spike_times: trials }) }),
        },
        { row: numeric('int64', [12], []), original_name: str('Unit_1') },
      ),
      unit_002: group({ spike_times: u64([]) }),
    })
    s.addMetadata({
      acquisition_rate: f64([20000], []),
      dataset_id: str('2025.04.10-11.12.57-Rec'),
      section_time_repeats: numeric('int64', [3], []),
      label: str('Zürich 😀'),
      row_one: numeric('int64', [5], [1]),
      frame_timestamps: u64([100, 2 ** 53 - 1]),
    })
    s.addStimulus({
      light_reference: group({ raw_ch1: f32([1, 2, 3, 4, 5]) }),
      section_time: group({ movie: i64([100, 200, 300, 400], [2, 2]) }),
    })
    for (const step of ['load_recording_with_eimage_sta', 'section_spike_times', 'add_section_time']) s.markStepComplete(step)
    s.addWarning('add_section_time', 'movie "x" has no template')
    const path = await s.save()
    const r = runPython('archive_check.py', path)
    expect(r.out).toContain('archive_check: OK')
    expect(r.status).toBe(0)
  })
})

describe('h5py reads slab-written (chunked) large arrays', () => {
  it('has the same values, dtype and shape as a contiguous dataset', async () => {
    const path = join(dir, 'slabs.h5')
    const big = new Float64Array(37 * 11).map((_, i) => i * 0.5 - 7)
    const spikes = new Float64Array(1001).map((_, i) => 2 ** 52 + i * 3)
    await writeArchive(
      path,
      archiveContent({ datasetId: 'slabs', createdAt: '', savedAt: '', metadata: group({ big: f64(big, [37, 11]), spikes: u64(spikes) }) }),
      { slabBytes: 200 },
    )
    const py = spawnSync(
      PYTHON,
      [
        '-c',
        'import sys, h5py, numpy as np\n' +
          'f = h5py.File(sys.argv[1], "r")\n' +
          'b = f["metadata/big"]; s = f["metadata/spikes"]\n' +
          'assert b.dtype == np.float64 and b.shape == (37, 11) and b.chunks is not None\n' +
          'assert np.array_equal(b[:], (np.arange(37 * 11) * 0.5 - 7).reshape(37, 11))\n' +
          'assert s.dtype == np.uint64 and s.shape == (1001,)\n' +
          'assert np.array_equal(s[:], np.uint64(2**52) + np.arange(1001, dtype=np.uint64) * np.uint64(3))\n' +
          'print("slabs: OK")',
        path,
      ],
      { encoding: 'utf8' },
    )
    expect(`${py.stdout}${py.stderr}`).toContain('slabs: OK')
  })
})

describe('empty attributes', () => {
  it('an empty string-array attribute exists with its dtype and shape for h5py and reads back empty', async () => {
    const path = join(dir, 'empty-attrs.h5')
    const emptyStrs = { kind: 'string' as const, shape: [0], data: [] as string[] }
    const units = group({ unit_001: group({ spike_times: u64([1]) }, { names: emptyStrs, ids: numeric('int64', [], [0]) }) })
    await writeArchive(path, archiveContent({ datasetId: 'empty-attrs', units }))
    const py = spawnSync(
      PYTHON,
      [
        '-c',
        'import sys, h5py, numpy as np\n' +
          'a = h5py.File(sys.argv[1], "r")["units/unit_001"].attrs\n' +
          'n = a.get_id("names")\n' +
          'info = h5py.check_string_dtype(n.dtype)\n' +
          'assert info is not None and info.length is None and info.encoding == "utf-8", n.dtype\n' +
          'assert n.shape == (0,) and len(a["names"]) == 0\n' +
          'assert a.get_id("ids").dtype == np.int64 and a.get_id("ids").shape == (0,)\n' +
          'print("empty attrs: OK")',
        path,
      ],
      { encoding: 'utf8' },
    )
    expect(`${py.stdout}${py.stderr}`).toContain('empty attrs: OK')
    const unit = (await readArchive(path)).units.children.get('unit_001') as GroupNode
    expect(unit.attrs.get('names')).toMatchObject({ kind: 'string', shape: [0], data: [] })
    expect(unit.attrs.get('ids')).toMatchObject({ kind: 'numeric', dtype: 'int64', shape: [0] })
  })
})

describe('archives written by the Python pipeline load and resume', () => {
  let made = ''
  beforeAll(() => {
    made = join(dir, 'made')
    const r = runPython('archive_make.py', made)
    if (r.status !== 0) throw new Error(`archive_make.py failed: ${r.out}`)
  })

  it('session flavour: bool enums, scalars, _attrs subgroup, int keys, completed steps as text', async () => {
    const s = await PipelineSession.load(join(made, 'session.h5'), { outputDir: dir })
    expect(s.datasetId).toBe('2025.04.10-11.12.57-Rec')
    expect(s.loadInfo?.flavour).toBe('session')
    expect(s.loadInfo?.derivedSteps).toBe(false)
    expect([...s.completedSteps].sort()).toEqual(['add_cmtr_unit_info', 'add_section_time', 'load_recording_with_eimage_sta', 'section_spike_times'])
    expect(() => assertPrerequisites(computeSta, s)).not.toThrow()
    expect(s.warnings).toEqual([{ step: 'add_section_time', message: 'no template for movie' }])
    expect(s.savedAt).toBe('2025-04-10T12:00:00.000000+00:00')

    const u = s.unit('unit_007')
    expect(u.attrs.get('row')).toMatchObject({ kind: 'numeric', dtype: 'int64', shape: [] })
    expect(u.attrs.get('original_name')).toMatchObject({ kind: 'string', data: ['Unit_7'] })
    expect(leaf(u, 'spike_times')).toMatchObject({ dtype: 'uint64', shape: [4] })
    expect(values(leaf(u, 'spike_times'))).toEqual([5, 15, 25, 35])
    expect(leaf(u, 'features/eimage_sta/data')).toMatchObject({ dtype: 'float64', shape: [2, 3, 4] })
    expect(leaf(u, 'features/eimage_sta/metadata/skip_highpass')).toEqual({ kind: 'bool', shape: [], data: Uint8Array.of(0) })
    expect(leaf(u, 'features/eimage_sta/metadata/n_spikes_used')).toMatchObject({ dtype: 'int64', shape: [] })
    expect(values(leaf(u, 'features/eimage_sta/metadata/window_range'))).toEqual([-10, 40])
    const trials = getNode(u, 'spike_times_sectioned/movie/trials_spike_times') as GroupNode
    expect([...trials.children.keys()]).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11'])
    expect(values(trials.children.get('11')!)).toEqual([1101])
    expect(leaf(u, 'spike_times_sectioned/movie/_attrs/n_trials')).toMatchObject({ dtype: 'int64', shape: [] })
    expect(leaf(u, 'auto_label/axon_type')).toMatchObject({ kind: 'string', shape: [], data: ['rgc'] })
    expect(leaf(s.unit('unit_010'), 'spike_times')).toMatchObject({ shape: [0] })
    expect(leaf(s.metadata, 'flags')).toEqual({ kind: 'bool', shape: [3], data: Uint8Array.of(1, 0, 1) })
    expect(values(leaf(s.metadata, 'big_uint'))).toEqual([2 ** 53 - 1])
    expect(leaf(s.metadata, 'acquisition_rate')).toMatchObject({ dtype: 'float64', shape: [] })

    // Resave (as after the next step) and compare the layout the first load saw.
    const resaved = await s.save(join(dir, 'session-resaved.h5'))
    const again = await readArchive(resaved)
    expect(again.checkpointName).toBeUndefined()
    expect(leaf(again.units, 'unit_007/features/eimage_sta/metadata/skip_highpass')).toEqual({
      kind: 'numeric',
      dtype: 'int8',
      shape: [],
      data: Int8Array.of(0),
    })
    expect(leaf(again.units, 'unit_007/spike_times')).toMatchObject({ dtype: 'uint64', shape: [4] })
    expect([...(getNode(again.units, 'unit_007/spike_times_sectioned/movie/trials_spike_times') as GroupNode).children.keys()]).toHaveLength(12)
    expect([...again.completedSteps]).toEqual(['add_cmtr_unit_info', 'add_section_time', 'load_recording_with_eimage_sta', 'section_spike_times'])
  })

  it('immediate flavour: root JSON attributes, (1,) scalars, frame_time/default, attribute features, odd strings', async () => {
    const s = await PipelineSession.load(join(made, 'immediate.h5'), { outputDir: dir })
    expect(s.datasetId).toBe('2025.05.23-17.19.25-Rec- (2)')
    expect(s.loadInfo).toEqual({ flavour: 'immediate', derivedSteps: true, skipped: [] })
    expect([...s.sourceFiles]).toEqual([['cmcr_path', '/data/rec.cmcr']])
    // Inferred from the data each step leaves behind (no completed_steps in immediate archives).
    expect([...s.completedSteps].sort()).toEqual([
      'add_section_time',
      'add_sys_meta_info',
      'compute_sta',
      'extract_features',
      'load_recording_with_eimage_sta',
      'section_spike_times',
    ])
    expect(() => assertPrerequisites(computeSta, s)).not.toThrow()
    expect(leaf(s.metadata, 'acquisition_rate')).toMatchObject({ dtype: 'float64', shape: [1] })
    expect(leaf(s.metadata, 'dataset_id')).toMatchObject({ kind: 'string', shape: [1], data: ['2025.05.23-17.19.25-Rec- (2)'] })
    expect(leaf(s.metadata, 'skip_highpass')).toEqual({ kind: 'bool', shape: [1], data: Uint8Array.of(1) })
    expect(leaf(s.metadata, 'recording_name')).toMatchObject({ kind: 'string', shape: [], data: ['rec A'], encoding: 'fixed', itemSize: 5 })
    expect(leaf(s.metadata, 'channel_names')).toMatchObject({ data: ['ch1', 'ch22'], encoding: 'fixed' })
    expect(leaf(s.metadata, 'ascii_note')).toMatchObject({ data: ['plain'], encoding: 'vlen-ascii' })
    const cm = getNode(s.metadata, 'cmcr_meta') as GroupNode
    expect(cm.attrs.get('sampling_rate')).toMatchObject({ dtype: 'int32', shape: [], data: Int32Array.of(20000) })
    expect(values(leaf(s.stimulus, 'frame_time/default'))).toEqual([100, 200])
    const u = s.unit('unit_003')
    expect(leaf(u, 'spike_times')).toMatchObject({ dtype: 'uint64', shape: [1] })
    expect(leaf(u, 'spike_times').attrs?.get('unit')).toMatchObject({ kind: 'string', data: ['sample_index'] })
    expect(u.attrs.get('row')).toMatchObject({ dtype: 'int32', shape: [] })
    const frif = getNode(u, 'features/frif') as GroupNode
    expect(frif.attrs.get('peak_rate')).toMatchObject({ dtype: 'float64', data: Float64Array.of(12.5) })
    const sectioned = getNode(u, 'spike_times_sectioned/movie') as GroupNode
    expect(sectioned.attrs.get('n_trials')).toMatchObject({ dtype: 'int64', data: Float64Array.of(11) })
    expect([...(sectioned.children.get('trials_spike_times') as GroupNode).children.keys()].map(Number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(s.unit('unit_004').children.size).toBe(0)

    // Saved as a session archive: same dtypes and shapes, immediate root attributes kept, h5py reads it.
    const out = await s.save(join(dir, 'immediate-resaved.h5'))
    const again = await readArchive(out)
    expect(again.flavour).toBe('session')
    expect(leaf(again.metadata, 'acquisition_rate')).toMatchObject({ dtype: 'float64', shape: [1] })
    expect(leaf(again.metadata, 'recording_name')).toMatchObject({ encoding: 'fixed', itemSize: 5, data: ['rec A'] })
    expect(leaf(again.metadata, 'ascii_note')).toMatchObject({ encoding: 'vlen-ascii' })
    expect((getNode(again.metadata, 'cmcr_meta') as GroupNode).attrs.get('sampling_rate')).toMatchObject({ dtype: 'int32' })
    expect([...again.extraRootAttrs.keys()].sort()).toEqual(['features_extracted', 'hdmea_pipeline_version', 'stage1_completed', 'stage1_params_hash', 'updated_at'])
    const py = spawnSync(
      PYTHON,
      [
        '-c',
        'import sys, h5py\n' +
          'f = h5py.File(sys.argv[1], "r")\n' +
          'assert f.attrs["hdmea_pipeline_version"] == "0.1.0"\n' +
          'assert f["metadata/acquisition_rate"].shape == (1,)\n' +
          'assert f["metadata/recording_name"].dtype == "S5"\n' +
          'assert list(f["pipeline/session_info/completed_steps"].asstr()[:])[0] == "add_section_time"\n' +
          'assert f["units/unit_003/features/frif"].attrs["peak_rate"] == 12.5\n' +
          'assert f["units/unit_003/spike_times"].attrs["unit"] == "sample_index"\n' +
          'print("resaved immediate: OK")',
        out,
      ],
      { encoding: 'utf8' },
    )
    expect(`${py.stdout}${py.stderr}`).toContain('resaved immediate: OK')
  })
})
