import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runStep } from '../../src-main/steps/framework'
import { addSectionTimeStep } from '../../src-main/steps/addSectionTime'
import { sectionSpikeTimesStep } from '../../src-main/steps/sectionSpikeTimes'
import { PipelineSession } from '../../src-main/session/session'
import { f64Scalar, getGroup, getNode, group, i64, str, u64, type NumericNode, type StringNode } from '../../src-shared/tree'
import type { TaskPool } from '../../src-main/pool/taskPool'

const noPool: TaskPool = {
  threads: 1,
  run: async () => {
    throw new Error('no pool in this test')
  },
  destroy: async () => {},
}

const tsOf = (k: number) => 1000 + Math.round((k * 20000) / 60)
const SPIKE_STEP = 500
/** Spikes of unit_1 at every multiple of 500 samples: the count in [a, b) is ceil(b/500) - ceil(a/500). */
const countIn = (a: number, b: number) => Math.ceil(b / SPIKE_STEP) - Math.ceil(a / SPIKE_STEP)
const spikesIn = (a: number, b: number) => Array.from({ length: countIn(a, b) }, (_, i) => (Math.ceil(a / SPIKE_STEP) + i) * SPIKE_STEP)

function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'sectioning-'))
  writeFileSync(join(dir, 'playlist.csv'), "playlist_name,movie_names\nthree,\"['movie_a.mov', 'movie_b.mov', 'movie_c.mov']\"\n")
  writeFileSync(join(dir, 'movie_length.csv'), 'movie_name,movie_length\nmovie_a,600\nmovie_b,1200\nmovie_c,900\n')
  const cfgDir = join(dir, 'configs')
  const cfg2 = join(dir, 'configs2')
  for (const d of [cfgDir, cfg2]) mkdirSync(d)
  writeFileSync(join(cfgDir, 'movie_a.json'), JSON.stringify({ name: 'a', section_kwargs: { start_frame: 0, trial_length_frame: 100, repeat: 3 } }))
  writeFileSync(
    join(cfg2, 'movie_b.json'),
    JSON.stringify({ section_kwargs: { start_frame: 60, trial_length_frame: 200, repeat: 2, group_count: 2, group_gap: 30 } }),
  )
  const s = new PipelineSession({ datasetId: 'rec' })
  s.addMetadata({
    acquisition_rate: f64Scalar(20000),
    frame_timestamps: u64(Array.from({ length: 5000 }, (_, k) => tsOf(k))),
  })
  const spikes = Array.from({ length: 1_700_000 / SPIKE_STEP }, (_, i) => i * SPIKE_STEP)
  s.addUnits({
    unit_1: group({ spike_times: u64(spikes) }),
    unit_2: group({ spike_times: u64([]) }),
    unit_3: group({}),
  })
  s.markStepComplete('load_recording')
  return {
    session: s,
    csv: { playlist_file: join(dir, 'playlist.csv'), movie_length_file: join(dir, 'movie_length.csv'), playlist_name: 'three' },
    configDirs: [cfgDir, cfg2],
  }
}

const node = (s: PipelineSession, path: string) => getNode(s.units, path) as NumericNode
const values = (s: PipelineSession, path: string) => Array.from(node(s, path).data)

async function sectioned(extra: Record<string, unknown> = {}) {
  const f = fixture()
  await runStep(addSectionTimeStep, f.session, f.csv, { pool: noPool })
  const report = await runStep(sectionSpikeTimesStep, f.session, { stimulus_config_dir: f.configDirs, ...extra }, { pool: noPool })
  return { ...f, report }
}

describe('section_spike_times step', () => {
  it('sections playlist movies from their configs; a movie without config is warned about, the others are done', async () => {
    const { session: s, report } = await sectioned()
    expect(report.warnings.join('\n')).toMatch(/movie 'movie_c' was not sectioned: no stimulus config movie_c\.json/)
    // movie_a: section frame 120, content 180, trials of 100 frames.
    const aBounds = [0, 1, 2].flatMap((k) => [tsOf(180 + 100 * k), tsOf(280 + 100 * k)])
    expect(values(s, 'unit_1/spike_times_sectioned/movie_a/trials_start_end')).toEqual(aBounds)
    expect(node(s, 'unit_1/spike_times_sectioned/movie_a/trials_start_end').shape).toEqual([3, 2])
    for (let k = 0; k < 3; k++) {
      const t = node(s, `unit_1/spike_times_sectioned/movie_a/trials_spike_times/${k}`)
      expect(t.dtype).toBe('int64')
      expect(Array.from(t.data)).toEqual(spikesIn(aBounds[2 * k], aBounds[2 * k + 1]))
    }
    expect(values(s, 'unit_1/spike_times_sectioned/movie_a/full_spike_times')).toEqual(spikesIn(aBounds[0], aBounds[5]))
    // movie_b: section frame 1081, content 1141, start 1201, a 30-frame gap after the first group of 2.
    const bFrames = [1201, 1401, 1631, 1831]
    expect(values(s, 'unit_1/spike_times_sectioned/movie_b/trials_start_end')).toEqual(bFrames.flatMap((f) => [tsOf(f), tsOf(f + 200)]))
    expect(getNode(s.units, 'unit_1/spike_times_sectioned/movie_c')).toBeUndefined()
    const attrs = getGroup(s.units, 'unit_1/spike_times_sectioned/movie_a/_attrs')!
    expect([...attrs.children.keys()].sort()).toEqual(['created_at', 'n_trials', 'pad_margin', 'post_samples', 'pre_samples'])
    expect(Array.from((attrs.children.get('n_trials') as NumericNode).data)).toEqual([3])
    expect(Array.from((attrs.children.get('pad_margin') as NumericNode).data)).toEqual([0, 0])
    expect(s.completedSteps.has('section_spike_times')).toBe(true)
  })

  it('empty spike trains get empty arrays; units without spike_times are reported', async () => {
    const { session: s, report } = await sectioned()
    expect(values(s, 'unit_2/spike_times_sectioned/movie_a/full_spike_times')).toEqual([])
    expect(values(s, 'unit_2/spike_times_sectioned/movie_a/trials_spike_times/2')).toEqual([])
    expect(getNode(s.units, 'unit_3/spike_times_sectioned')).toBeUndefined()
    expect(report.warnings.join('\n')).toMatch(/1 units have no spike_times dataset and were not sectioned \(unit_3\)/)
  })

  it('pad_margin seconds widen every window (half-open)', async () => {
    const { session: s } = await sectioned({ pad_margin: [0.5, 0.25], movie_names: ['movie_a'] })
    const [a, b] = [tsOf(180), tsOf(280)]
    expect(values(s, 'unit_1/spike_times_sectioned/movie_a/trials_spike_times/0')).toEqual(spikesIn(a - 10000, b + 5000))
    expect(values(s, 'unit_1/spike_times_sectioned/movie_a/trials_start_end').slice(0, 2)).toEqual([a, b])
    expect(values(s, 'unit_1/spike_times_sectioned/movie_a/_attrs/pre_samples')).toEqual([10000])
    expect(getNode(s.units, 'unit_1/spike_times_sectioned/movie_b')).toBeUndefined()
  })

  it('explicit movies must exist and have a config', async () => {
    const f = fixture()
    await runStep(addSectionTimeStep, f.session, f.csv, { pool: noPool })
    await expect(
      runStep(sectionSpikeTimesStep, f.session, { stimulus_config_dir: f.configDirs, movie_names: ['nope'] }, { pool: noPool }),
    ).rejects.toThrow(/nope not in stimulus\/section_time \(movies: movie_a, movie_b, movie_c\)/)
    await expect(
      runStep(sectionSpikeTimesStep, f.session, { stimulus_config_dir: f.configDirs, movie_names: 'movie_a, movie_c' }, { pool: noPool }),
    ).rejects.toThrow(/no stimulus config movie_c\.json/)
    await expect(runStep(sectionSpikeTimesStep, f.session, { pad_margin: [-1, 0] }, { pool: noPool })).rejects.toThrow(
      /'pad_margin' must not be negative/,
    )
    expect(getNode(f.session.units, 'unit_1/spike_times_sectioned')).toBeUndefined()
  })

  it('needs a section time step first', async () => {
    const f = fixture()
    await expect(runStep(sectionSpikeTimesStep, f.session, {}, { pool: noPool })).rejects.toThrow(
      'section_spike_times needs add_section_time or add_section_time_analog to have run first',
    )
  })

  it('analog movies use their rows directly with the analog pad margin, no config needed', async () => {
    const f = fixture()
    await runStep(addSectionTimeStep, f.session, f.csv, { pool: noPool })
    const s = f.session
    getGroup(s.stimulus, 'section_time')!.children.set('iprgc_test', i64([1_400_000, 1_500_000, 1_600_000, 1_650_000], [2, 2]))
    s.addMetadata({ section_time_analog_iprgc_test: str('{"threshold_value":100000,"plot_duration":5,"n_trials":2}') })
    s.markStepComplete('add_section_time_analog')
    const report = await runStep(sectionSpikeTimesStep, s, { stimulus_config_dir: f.configDirs, movie_names: ['iprgc_test'] }, { pool: noPool })
    expect(report.warnings).toEqual(['1 units have no spike_times dataset and were not sectioned (unit_3)'])
    expect(values(s, 'unit_1/spike_times_sectioned/iprgc_test/trials_start_end')).toEqual([1_400_000, 1_500_000, 1_600_000, 1_650_000])
    expect(values(s, 'unit_1/spike_times_sectioned/iprgc_test/trials_spike_times/0')).toEqual(spikesIn(1_360_000, 1_500_000))
    expect(values(s, 'unit_1/spike_times_sectioned/iprgc_test/trials_spike_times/1')).toEqual(spikesIn(1_560_000, 1_650_000))
    expect(values(s, 'unit_1/spike_times_sectioned/iprgc_test/_attrs/pad_margin')).toEqual([2, 0])
    expect(values(s, 'unit_1/spike_times_sectioned/iprgc_test/full_spike_times')).toEqual([
      ...spikesIn(1_360_000, 1_500_000),
      ...spikesIn(1_560_000, 1_650_000),
    ])
  })

  it('a resumed session: the rerun replaces the movie group whole, trial keys come out "0".."n-1"', async () => {
    const f = fixture()
    await runStep(addSectionTimeStep, f.session, f.csv, { pool: noPool })
    const s = f.session
    // As an archive of the Python pipeline loads: string keys in byte order, a stale derived subgroup,
    // and another movie's sectioning that this run does not touch.
    const stale = group({
      trials_spike_times: group({ '0': i64([1]), '1': i64([2]), '10': i64([3]), '2': i64([4]) }),
      direction_section: group({ x: i64([1]) }),
    })
    const other = group({ full_spike_times: i64([7]) })
    s.unit('unit_1').children.set('spike_times_sectioned', group({ movie_a: stale, old_movie: other }))
    await runStep(sectionSpikeTimesStep, s, { stimulus_config_dir: f.configDirs, movie_names: ['movie_a'] }, { pool: noPool })
    const trials = getGroup(s.units, 'unit_1/spike_times_sectioned/movie_a/trials_spike_times')!
    expect([...trials.children.keys()]).toEqual(['0', '1', '2'])
    expect(getNode(s.units, 'unit_1/spike_times_sectioned/movie_a/direction_section')).toBeUndefined()
    expect(getNode(s.units, 'unit_1/spike_times_sectioned/old_movie')).toBe(other)
    expect(values(s, 'unit_1/spike_times_sectioned/movie_a/trials_spike_times/1')).toEqual(spikesIn(tsOf(280), tsOf(380)))
    const created = getNode(s.units, 'unit_1/spike_times_sectioned/movie_a/_attrs/created_at') as StringNode
    expect(created.data[0]).toMatch(/^\d{4}-\d\d-\d\dT/)
  })
})

describe('section_spike_times across save and load', () => {
  it('a saved and reloaded session keeps its trials and the analog marker, and a rerun gives the same result', async () => {
    const f = fixture()
    await runStep(addSectionTimeStep, f.session, f.csv, { pool: noPool })
    const s = f.session
    // 12 trials so that archive keys "10", "11" sort before "2" byte-wise.
    getGroup(s.stimulus, 'section_time')!.children.set(
      'iprgc_test',
      i64(Array.from({ length: 12 }, (_, k) => [1_400_000 + 20_000 * k, 1_410_000 + 20_000 * k]).flat(), [12, 2]),
    )
    s.addMetadata({ section_time_analog_iprgc_test: str('{"threshold_value":100000,"plot_duration":0.5,"n_trials":12}') })
    await runStep(sectionSpikeTimesStep, s, { stimulus_config_dir: f.configDirs }, { pool: noPool })
    const dir = mkdtempSync(join(tmpdir(), 'sectioning-archive-'))
    const path = await s.save(join(dir, 'rec.h5'))
    const loaded = await PipelineSession.load(path)
    const trials = getGroup(loaded.units, 'unit_1/spike_times_sectioned/iprgc_test/trials_spike_times')!
    expect([...trials.children.keys()].map(Number).sort((a, b) => a - b)).toEqual([...Array(12).keys()])
    expect(values(loaded, 'unit_1/spike_times_sectioned/iprgc_test/trials_spike_times/11')).toEqual(
      spikesIn(1_400_000 + 20_000 * 11 - 40_000, 1_410_000 + 20_000 * 11),
    )
    expect(loaded.completedSteps.has('section_spike_times')).toBe(true)
    // The rerun on the loaded session recognises iprgc_test as analog (no config needed) and matches.
    const report = await runStep(sectionSpikeTimesStep, loaded, { stimulus_config_dir: f.configDirs }, { pool: noPool })
    expect(report.warnings.filter((w) => w.includes('iprgc_test'))).toEqual([])
    for (const movie of ['movie_a', 'movie_b', 'iprgc_test']) {
      expect(values(loaded, `unit_1/spike_times_sectioned/${movie}/full_spike_times`)).toEqual(
        values(s, `unit_1/spike_times_sectioned/${movie}/full_spike_times`),
      )
    }
    expect([...getGroup(loaded.units, 'unit_1/spike_times_sectioned/iprgc_test/trials_spike_times')!.children.keys()]).toEqual(
      Array.from({ length: 12 }, (_, k) => String(k)),
    )
  })
})

describe('analog movies in archives written by the Python pipeline', () => {
  it('are recognised by the root attribute or the analog sectioning step name', async () => {
    for (const mark of ['root-attr', 'step'] as const) {
      const f = fixture()
      await runStep(addSectionTimeStep, f.session, f.csv, { pool: noPool })
      const s = f.session
      getGroup(s.stimulus, 'section_time')!.children.set('iprgc_test', i64([1_400_000, 1_500_000], [1, 2]))
      if (mark === 'root-attr') s.extraRootAttrs.set('section_time_analog_iprgc_test', str('{"threshold_value": 100000.0}'))
      else s.markStepComplete('section_spike_times_analog:iprgc_test')
      const report = await runStep(sectionSpikeTimesStep, s, { stimulus_config_dir: f.configDirs }, { pool: noPool })
      expect(report.warnings.some((w) => w.includes('iprgc_test'))).toBe(false)
      expect(values(s, 'unit_1/spike_times_sectioned/iprgc_test/trials_spike_times/0')).toEqual(spikesIn(1_360_000, 1_500_000))
      // A playlist rerun keeps the entry.
      await runStep(addSectionTimeStep, s, f.csv, { pool: noPool })
      expect(getNode(s.stimulus, 'section_time/iprgc_test')).toBeDefined()
    }
  })
})
