import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runStep } from '../../src-main/steps/framework'
import { addSectionTimeStep } from '../../src-main/steps/addSectionTime'
import { PipelineSession } from '../../src-main/session/session'
import { CancelledError, ConfigurationError, FileAccessError } from '../../src-shared/errors'
import { f32, f64Scalar, getNode, i64, str, u64, type NumericNode, type StringNode } from '../../src-shared/tree'
import type { TaskPool } from '../../src-main/pool/taskPool'

const noPool: TaskPool = {
  threads: 1,
  run: async () => {
    throw new Error('no pool in this test')
  },
  destroy: async () => {},
}

const N_FRAMES = 5000
/** Closed-form frame timestamps: ts[k] = 1000 + round(k * 20000 / 60). */
const tsOf = (k: number) => 1000 + Math.round((k * 20000) / 60)
const RAW_LENGTH = 1_600_000
const rawOf = (i: number) => i % 997

function files(lengthRows = 'movie_a,600\nmovie_b,1200\nmovie_c,900\n') {
  const dir = mkdtempSync(join(tmpdir(), 'section-time-'))
  const playlist = join(dir, 'playlist.csv')
  const movieLength = join(dir, 'movie_length.csv')
  writeFileSync(
    playlist,
    "playlist_name,movie_names\r\ntest_playlist,\"['movie_a.mov', 'movie_b.mov', 'movie_c.mov']\"\r\nsingle_movie,\"['movie_a.mov']\"\r\n",
  )
  writeFileSync(movieLength, `movie_name,movie_length\n${lengthRows}`)
  return { playlist_file: playlist, movie_length_file: movieLength, playlist_name: 'test_playlist' }
}

function session(options: { frames?: boolean } = {}): PipelineSession {
  const s = new PipelineSession({ datasetId: 'rec' })
  s.addMetadata({ acquisition_rate: f64Scalar(20000) })
  if (options.frames !== false) s.addMetadata({ frame_timestamps: u64(Array.from({ length: N_FRAMES }, (_, k) => tsOf(k))) })
  s.addStimulus({ light_reference: { kind: 'group', children: new Map([['raw_ch1', f32(Float32Array.from({ length: RAW_LENGTH }, (_, i) => rawOf(i)))]]), attrs: new Map() } })
  s.markStepComplete('load_recording')
  return s
}

const rows = (s: PipelineSession, movie: string) => getNode(s.stimulus, `section_time/${movie}`) as NumericNode

describe('add_section_time step', () => {
  it('stores int64 (N, 2) sample rows, float32 templates and the playlist metadata', async () => {
    const s = session()
    const report = await runStep(addSectionTimeStep, s, files(), { pool: noPool })
    expect(report.warnings).toEqual([])
    const a = rows(s, 'movie_a')
    expect(a.dtype).toBe('int64')
    expect(a.shape).toEqual([1, 2])
    expect(Array.from(a.data)).toEqual([tsOf(120), tsOf(901)])
    expect(Array.from(rows(s, 'movie_b').data)).toEqual([tsOf(1081), tsOf(2462)])
    expect(Array.from(rows(s, 'movie_c').data)).toEqual([tsOf(2642), tsOf(3723)])
    const t = getNode(s.stimulus, 'light_template/movie_a') as NumericNode
    expect(t.dtype).toBe('float32')
    expect(t.data.length).toBe(tsOf(901) - tsOf(120))
    expect(t.data[5]).toBe(rawOf(tsOf(120) + 5))
    expect((getNode(s.metadata, 'section_time_playlist') as StringNode).data).toEqual(['test_playlist'])
    const rep = getNode(s.metadata, 'section_time_repeats') as NumericNode
    expect([rep.dtype, rep.shape, rep.data[0]]).toEqual(['int64', [], 1])
    expect(s.completedSteps.has('add_section_time')).toBe(true)
  })

  it('repeats accumulate rows per movie; the template averages the occurrences', async () => {
    const s = session()
    await runStep(addSectionTimeStep, s, { ...files(), repeats: 2 }, { pool: noPool })
    expect(Array.from(rows(s, 'movie_a').data)).toEqual([tsOf(120), tsOf(901), tsOf(3903), tsOf(4684)])
    expect(rows(s, 'movie_a').shape).toEqual([2, 2])
    const t = getNode(s.stimulus, 'light_template/movie_a') as NumericNode
    const i = 10
    expect(t.data[i]).toBeCloseTo((rawOf(tsOf(120) + i) + rawOf(tsOf(3903) + i)) / 2, 4)
  })

  it('warns when sections reach past the recorded frames', async () => {
    const s = session()
    const report = await runStep(addSectionTimeStep, s, { ...files('movie_a,600\nmovie_b,1200\nmovie_c,9000\n') }, { pool: noPool })
    expect(report.warnings.join('\n')).toMatch(/sections of movie_c reach beyond the 5000 recorded frames/)
    expect(rows(s, 'movie_c').data[1]).toBe(tsOf(N_FRAMES - 1))
  })

  it('names the unknown playlist, the missing file and the missing frame timestamps', async () => {
    await expect(runStep(addSectionTimeStep, session(), { ...files(), playlist_name: 'nope' }, { pool: noPool })).rejects.toThrow(
      /Playlist 'nope' is not in .*playlist\.csv \(known playlists: test_playlist, single_movie\)/,
    )
    const missing = join(tmpdir(), 'no-such-dir-xyz', 'movie_length.csv')
    const err = await runStep(addSectionTimeStep, session(), { ...files(), movie_length_file: missing }, { pool: noPool }).catch((e) => e)
    expect(err).toBeInstanceOf(FileAccessError)
    expect(err.message).toBe(`Movie length file not found: ${missing}`)
    await expect(runStep(addSectionTimeStep, session({ frames: false }), files(), { pool: noPool })).rejects.toThrow(
      /add_section_time: the session has no frame timestamps/,
    )
  })

  it('checks prerequisites and parameters', async () => {
    const s = new PipelineSession({ datasetId: 'rec' })
    await expect(runStep(addSectionTimeStep, s, files(), { pool: noPool })).rejects.toThrow(
      'add_section_time needs load_recording or load_recording_with_eimage_sta to have run first',
    )
    await expect(runStep(addSectionTimeStep, session(), { ...files(), repeats: 0 }, { pool: noPool })).rejects.toThrow(
      /'repeats' must be >= 1/,
    )
    await expect(runStep(addSectionTimeStep, session(), { ...files(), pad_frame: 30 }, { pool: noPool })).rejects.toThrow(
      /pre_margin_frame_num \(60\) must not exceed pad_frame \(30\)/,
    )
  })

  it('a movie missing from movie_length.csv is an error naming it and the file; nothing is written', async () => {
    const s = session()
    const f = files('movie_a,600\nmovie_c,900\n')
    const err = await runStep(addSectionTimeStep, s, f, { pool: noPool }).catch((e) => e)
    expect(err).toBeInstanceOf(ConfigurationError)
    expect(err.message).toContain(`movie 'movie_b' of playlist 'test_playlist' is not in ${f.movie_length_file}`)
    // Skipping would shift movie_c: refused even with the option.
    await expect(runStep(addSectionTimeStep, s, { ...f, skip_missing_movies: true }, { pool: noPool })).rejects.toThrow(
      /it cannot be skipped because later movies would shift/,
    )
    expect(s.stimulus.children.has('section_time')).toBe(false)
    expect(s.completedSteps.has('add_section_time')).toBe(false)
  })

  it('skip_missing_movies leaves out a trailing movie with a warning; the others keep their places', async () => {
    const s = session()
    const report = await runStep(addSectionTimeStep, s, { ...files('movie_a,600\nmovie_b,1200\n'), skip_missing_movies: true }, { pool: noPool })
    expect(report.warnings.join('\n')).toMatch(/movie 'movie_c' is not in .*movie_length\.csv; it was left out/)
    expect(Array.from(rows(s, 'movie_b').data)).toEqual([tsOf(1081), tsOf(2462)])
    expect(getNode(s.stimulus, 'section_time/movie_c')).toBeUndefined()
  })

  it('a rerun replaces the playlist entries and keeps analog ones', async () => {
    const s = session()
    await runStep(addSectionTimeStep, s, files(), { pool: noPool })
    // An analog movie as add_section_time_analog leaves it: rows, template and its metadata marker.
    s.addStimulus({
      section_time: { kind: 'group', children: new Map([['iprgc_test', i64([2_000_000, 2_100_000], [1, 2])]]), attrs: new Map() },
      light_template: { kind: 'group', children: new Map([['iprgc_test', f32([1, 2, 3])]]), attrs: new Map() },
    })
    s.addMetadata({ section_time_analog_iprgc_test: str('{"threshold_value":100000,"plot_duration":5,"n_trials":1}') })
    await runStep(addSectionTimeStep, s, { ...files(), playlist_name: 'single_movie' }, { pool: noPool })
    expect([...(getNode(s.stimulus, 'section_time') as { children: Map<string, unknown> }).children.keys()].sort()).toEqual([
      'iprgc_test',
      'movie_a',
    ])
    expect(Array.from(rows(s, 'iprgc_test').data)).toEqual([2_000_000, 2_100_000])
    expect(getNode(s.stimulus, 'light_template/iprgc_test')).toBeDefined()
    expect(getNode(s.stimulus, 'light_template/movie_b')).toBeUndefined()
    expect((getNode(s.metadata, 'section_time_playlist') as StringNode).data).toEqual(['single_movie'])
  })

  it('a cancel during the run leaves the session unchanged', async () => {
    const s = session()
    const controller = new AbortController()
    const err = await runStep(addSectionTimeStep, s, files(), {
      pool: noPool,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    }).catch((e) => e)
    expect(err).toBeInstanceOf(CancelledError)
    expect(s.stimulus.children.has('section_time')).toBe(false)
    expect(s.metadata.children.has('section_time_playlist')).toBe(false)
    expect(s.completedSteps.has('add_section_time')).toBe(false)
  })
})
