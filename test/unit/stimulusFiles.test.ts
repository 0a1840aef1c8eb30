import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  movieLengths,
  movieStem,
  parseCsv,
  parsePythonStringList,
  playlistMovies,
  readConfigText,
} from '../../src-main/stimulus/playlistCsv'
import {
  NonIntegerLiteral,
  defaultStimulusConfigDirs,
  findStimulusConfig,
  loadStimulusConfigs,
  parseStimulusConfig,
  parseStrictJson,
} from '../../src-main/stimulus/stimulusConfig'
import { resourcePath } from '../../src-main/resources'
import { ConfigurationError, FileAccessError } from '../../src-shared/errors'

describe('CSV parsing', () => {
  it('handles quotes, commas and line breaks inside quotes, "" escapes, BOM, CRLF and blank lines', () => {
    const text = '\ufeffa,b\r\n"x, y","say ""hi"""\r\n\r\n,\r\n"multi\nline",2\n'
    expect(parseCsv(text, 'f.csv')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x, y', 'say "hi"'] },
      { line: 5, cells: ['multi\nline', '2'] },
    ])
  })

  it('names the file when a quote is never closed', () => {
    expect(() => parseCsv('a,b\n"open,1\n', 'p.csv')).toThrow(/p\.csv: a quoted cell starting on line 2 is never closed/)
  })
})

describe('Python list cells (never evaluated)', () => {
  it('parses single and double quotes, escapes, spaces and a trailing comma', () => {
    expect(parsePythonStringList("['movie_a.mov', 'movie_b.mov', 'movie_c.mov']")).toEqual([
      'movie_a.mov',
      'movie_b.mov',
      'movie_c.mov',
    ])
    expect(parsePythonStringList(` [ "it's.mov" , 'a\\'b.mov', ] `)).toEqual(["it's.mov", "a'b.mov"])
    expect(parsePythonStringList('[]')).toEqual([])
    expect(parsePythonStringList("['a,b.mov']")).toEqual(['a,b.mov'])
  })

  it('refuses code and malformed lists', () => {
    expect(() => parsePythonStringList("__import__('os').system('x')")).toThrow(/expected a list/)
    expect(() => parsePythonStringList("['a' + 'b']")).toThrow(/expected ',' or '\]'/)
    expect(() => parsePythonStringList("['a', b]")).toThrow(/expected a quoted movie name/)
    expect(() => parsePythonStringList("['a'")).toThrow(/expected ',' or '\]'/)
    expect(() => parsePythonStringList("['a] ")).toThrow(/unclosed quote/)
    expect(() => parsePythonStringList("['a'] x")).toThrow(/unexpected text/)
  })

  it('strips the extension at the first dot', () => {
    expect(movieStem('movie.v2.mov')).toBe('movie')
    expect(movieStem(' movie_a.mov ')).toBe('movie_a')
    expect(movieStem('plain')).toBe('plain')
  })
})

describe('playlist.csv and movie_length.csv', () => {
  const playlistCsv =
    "playlist_name,movie_names\ntest_playlist,\"['movie_a.mov', 'movie_b.mov', 'movie_c.mov']\"\nsingle_movie,\"['movie_a.mov']\"\nbroken,\"[oops\"\n"

  it('reads the fixture rows', () => {
    expect(playlistMovies(playlistCsv, 'playlist.csv', 'test_playlist')).toEqual(['movie_a', 'movie_b', 'movie_c'])
    expect(playlistMovies(playlistCsv, 'playlist.csv', 'single_movie')).toEqual(['movie_a'])
  })

  it('an unknown playlist lists the known ones and names the file', () => {
    expect(() => playlistMovies(playlistCsv, '/x/playlist.csv', 'nope')).toThrow(
      "Playlist 'nope' is not in /x/playlist.csv (known playlists: test_playlist, single_movie, broken)",
    )
  })

  it('a bad list cell names the file, line and playlist', () => {
    expect(() => playlistMovies(playlistCsv, 'playlist.csv', 'broken')).toThrow(
      /playlist\.csv line 4: movie_names of 'broken' is not a list of names/,
    )
  })

  it('missing columns and duplicate playlists are errors', () => {
    expect(() => playlistMovies('name,movies\n', 'p.csv', 'x')).toThrow(/p\.csv has no 'playlist_name' column/)
    expect(() => playlistMovies("playlist_name,movie_names\nx,\"['a']\"\nx,\"['b']\"\n", 'p.csv', 'x')).toThrow(
      /appears 2 times in p\.csv \(lines 2, 3\)/,
    )
  })

  it('movie lengths are whole frame counts', () => {
    const lengths = movieLengths('\ufeffmovie_name,movie_length\r\nmovie_a,600\r\nmovie_b,1200.0\r\nmovie_c, 900 \r\n', 'm.csv')
    expect([...lengths]).toEqual([
      ['movie_a', 600],
      ['movie_b', 1200],
      ['movie_c', 900],
    ])
    expect(() => movieLengths('movie_name,movie_length\nmovie_a,6.5\n', 'm.csv')).toThrow(
      "m.csv line 2: movie_length of 'movie_a' must be a whole number of frames (got '6.5')",
    )
    expect(() => movieLengths('movie_name,movie_length\nmovie_a,\n', 'm.csv')).toThrow(/got ''/)
    expect(() => movieLengths('movie_name,movie_length\na,1\na,2\n', 'm.csv')).toThrow(/listed twice with different lengths \(1 and 2\)/)
  })

  it('a missing file is a FileAccessError naming it', async () => {
    const p = join(tmpdir(), 'definitely-missing-playlist.csv')
    await expect(readConfigText(p, 'Playlist file')).rejects.toThrow(`Playlist file not found: ${p}`)
    await expect(readConfigText(p, 'Playlist file')).rejects.toBeInstanceOf(FileAccessError)
  })
})

describe('stimulus JSON configs', () => {
  it('strict JSON keeps integer literals apart from 240.0', () => {
    const v = parseStrictJson('{"a": 240, "b": 240.0, "c": [1e2, -0, "x\\"y"], "d": null, "e": true}') as Record<string, unknown>
    expect(v.a).toBe(240)
    expect(v.b).toBeInstanceOf(NonIntegerLiteral)
    expect((v.c as unknown[])[0]).toBeInstanceOf(NonIntegerLiteral)
    expect((v.c as unknown[])[2]).toBe('x"y')
    expect(() => parseStrictJson('{"a": 1,}')).toThrow(/expected a quoted key at line 1/)
  })

  it('reads section_kwargs with defaults for the group fields', () => {
    expect(parseStimulusConfig('{"name": "x", "section_kwargs": {"start_frame": 240, "trial_length_frame": 600, "repeat": 3}}', 'x.json')).toEqual({
      startFrame: 240,
      trialLengthFrame: 600,
      repeat: 3,
      groupCount: 1,
      groupGap: 0,
    })
  })

  it('names the file and field of every problem', () => {
    const kw = (s: string) => `{"section_kwargs": {${s}}}`
    expect(() => parseStimulusConfig(kw('"start_frame": 240.0, "trial_length_frame": 600, "repeat": 3'), 'a.json')).toThrow(
      'a.json: section_kwargs.start_frame must be a JSON integer >= 0 (got 240.0)',
    )
    expect(() => parseStimulusConfig(kw('"start_frame": 0, "trial_length_frame": 0, "repeat": 3'), 'a.json')).toThrow(
      /section_kwargs\.trial_length_frame must be a JSON integer >= 1 \(got 0\)/,
    )
    expect(() => parseStimulusConfig(kw('"start_frame": 0, "trial_length_frame": 5, "repeat": true'), 'a.json')).toThrow(
      /section_kwargs\.repeat must be a JSON integer >= 1 \(got true\)/,
    )
    expect(() => parseStimulusConfig(kw('"start_frame": 0, "trial_length_frame": 5'), 'a.json')).toThrow(
      'a.json: section_kwargs.repeat is missing',
    )
    expect(() => parseStimulusConfig(kw('"start_frame": 0, "trial_length_frame": 5, "repeat": 1, "group_gap": -1'), 'a.json')).toThrow(
      /group_gap must be a JSON integer >= 0/,
    )
    expect(() => parseStimulusConfig('{"name": 1}', 'a.json')).toThrow("a.json: required object 'section_kwargs' is missing")
    expect(() => parseStimulusConfig('{"section_kwargs": [1]}', 'a.json')).toThrow("'section_kwargs' must be an object")
    expect(() => parseStimulusConfig('{"section_kwargs": ', 'a.json')).toThrow(/a\.json is not valid JSON/)
  })

  it('the bundled lab configs hold the numbers of docs/algorithms.md §2.1', async () => {
    const table: Array<[string, number, number, number, number, number]> = [
      ['baseline_127', 0, 180, 1, 1, 0],
      ['step_up_5s_5i_b0_3x', 240, 600, 3, 1, 0],
      ['step_up_5s_5i_b0_30x', 240, 600, 30, 1, 0],
      ['green_blue_3s_3i_3x', 120, 720, 3, 1, 0],
      ['green_blue_3s_3i_3x_64_128_255', 120, 720, 3, 3, 180],
      ['freq_step_5st_3x', 30, 1500, 3, 1, 0],
      ['moving_h_bar_s5_d8_3x', 60, 4520, 3, 1, 0],
      ['perfect_dense_noise_15x15_15hz_r42_3min', 0, 10800, 1, 1, 0],
    ]
    const { configs, missing } = await loadStimulusConfigs(
      table.map((r) => r[0]),
      [resourcePath('stimuli')],
    )
    expect(missing.size).toBe(0)
    for (const [movie, startFrame, trialLengthFrame, repeat, groupCount, groupGap] of table) {
      expect(configs.get(movie)?.config).toEqual({ startFrame, trialLengthFrame, repeat, groupCount, groupGap })
    }
    expect((await defaultStimulusConfigDirs())[0]).toBe(resourcePath('stimuli'))
  })

  it('searches folders in order; missing files are reported, invalid ones thrown', async () => {
    const root = mkdtempSync(join(tmpdir(), 'stimcfg-'))
    const a = join(root, 'a')
    const b = join(root, 'b')
    mkdirSync(a)
    mkdirSync(b)
    const good = (n: number) => JSON.stringify({ section_kwargs: { start_frame: n, trial_length_frame: 10, repeat: 1 } })
    writeFileSync(join(a, 'm1.json'), good(1))
    writeFileSync(join(b, 'm1.json'), good(2))
    writeFileSync(join(b, 'm2.json'), good(3))
    writeFileSync(join(b, 'bad.json'), '{"section_kwargs": {"start_frame": 1.5}}')
    expect(await findStimulusConfig('m1', [a, b])).toBe(join(a, 'm1.json'))
    const { configs, missing } = await loadStimulusConfigs(['m1', 'm2', 'm3'], [a, b])
    expect(configs.get('m1')?.config.startFrame).toBe(1)
    expect(configs.get('m2')?.config.startFrame).toBe(3)
    expect([...missing.keys()]).toEqual(['m3'])
    expect(missing.get('m3')).toContain('m3.json')
    const err = await loadStimulusConfigs(['bad'], [a, b]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigurationError)
    expect((err as ConfigurationError).message).toBe(
      `${join(b, 'bad.json')}: section_kwargs.start_frame must be a JSON integer >= 0 (got 1.5)`,
    )
    expect((err as ConfigurationError).path).toBe(join(b, 'bad.json'))
  })
})
