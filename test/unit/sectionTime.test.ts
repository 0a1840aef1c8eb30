import { describe, expect, it } from 'vitest'
import {
  frameToSample,
  framesToSamples,
  sampleToFloorFrame,
  sampleToNearestFrame,
} from '../../src-worker/algo/frameMapping'
import {
  DEFAULT_SECTION_LAYOUT,
  UnknownMovieLengthError,
  frameRowsToSamples,
  movieFrameSections,
  nanMeanTemplate,
  playlistLightTemplate,
} from '../../src-worker/algo/sectionTime'

// The fixture CSVs of the Python tests (docs/algorithms.md §1.2 / §9.1).
const PLAYLIST = ['movie_a', 'movie_b', 'movie_c']
const LENGTHS = new Map([
  ['movie_a', 600],
  ['movie_b', 1200],
  ['movie_c', 900],
])

// numpy linspace(0, 10000*20000/60, 10000).astype(uint64): k*step truncated, the last value = stop.
function linspaceTs(): Float64Array {
  const stop = (10000 * 20000) / 60
  const step = stop / 9999
  const ts = new Float64Array(10000)
  for (let k = 0; k < 10000; k++) ts[k] = Math.trunc(k === 9999 ? stop : k * step)
  return ts
}

describe('frame <-> sample mapping (docs/algorithms.md §1.6, §9.1)', () => {
  const ts = [0, 100, 200, 300, 400]
  it('frame to sample clips to the valid frames', () => {
    expect(Array.from(framesToSamples([0, 2, 4], ts))).toEqual([0, 200, 400])
    expect(Array.from(framesToSamples([-1, 10], [0, 100, 200]))).toEqual([0, 200])
  })

  it('floor frame: searchsorted right - 1, clipped', () => {
    expect(sampleToFloorFrame(200, ts)).toBe(2)
    expect(sampleToFloorFrame(199, ts)).toBe(1)
    expect(sampleToFloorFrame(-5, ts)).toBe(0)
    expect(sampleToFloorFrame(50, [100, 200, 300])).toBe(0)
    expect(sampleToFloorFrame(10_000, ts)).toBe(4)
  })

  it('nearest frame: ties go to the earlier frame', () => {
    expect(sampleToNearestFrame(200, ts)).toBe(2)
    expect(sampleToNearestFrame(149, ts)).toBe(1)
    expect(sampleToNearestFrame(151, ts)).toBe(2)
    expect(sampleToNearestFrame(150, ts)).toBe(1)
    expect([50, 150, 250, 350].map((s) => sampleToNearestFrame(s, ts))).toEqual([0, 1, 2, 3])
    expect(sampleToNearestFrame(50, [100, 200, 300])).toBe(0)
    expect(sampleToNearestFrame(500, [100, 200, 300])).toBe(2)
  })

  it('refuses an empty timestamp list', () => {
    expect(() => frameToSample(0, [])).toThrow(/no frame timestamps/)
  })
})

describe('playlist frame sections (docs/algorithms.md §1.3, §9.1)', () => {
  it('repeats = 1', () => {
    const { sections, skipped } = movieFrameSections(PLAYLIST, LENGTHS)
    expect(skipped).toEqual([])
    expect(sections.get('movie_a')).toEqual([[120, 901]])
    expect(sections.get('movie_b')).toEqual([[1081, 2462]])
    expect(sections.get('movie_c')).toEqual([[2642, 3723]])
  })

  it('repeats = 2 repeats the whole list; rows accumulate per movie', () => {
    const { sections } = movieFrameSections(PLAYLIST, LENGTHS, { ...DEFAULT_SECTION_LAYOUT, repeats: 2 })
    expect(sections.get('movie_a')).toEqual([
      [120, 901],
      [3903, 4684],
    ])
    expect(sections.get('movie_b')).toEqual([
      [1081, 2462],
      [4864, 6245],
    ])
    expect(sections.get('movie_c')).toEqual([
      [2642, 3723],
      [6425, 7506],
    ])
  })

  it('repeats <= 0 is treated as 1', () => {
    const { sections } = movieFrameSections(PLAYLIST, LENGTHS, { ...DEFAULT_SECTION_LAYOUT, repeats: 0 })
    expect(sections.get('movie_a')).toEqual([[120, 901]])
  })

  it('a movie without a length is an error, never a silent shift of later movies', () => {
    const lengths = new Map(LENGTHS)
    lengths.delete('movie_b')
    expect(() => movieFrameSections(PLAYLIST, lengths)).toThrow(UnknownMovieLengthError)
    // Skipping it would misplace movie_c: still refused, naming both.
    expect(() => movieFrameSections(PLAYLIST, lengths, DEFAULT_SECTION_LAYOUT, { skipMissing: true })).toThrow(
      /'movie_b'.*movie_c/,
    )
  })

  it('skipMissing leaves out trailing movies without a length; the others keep their places', () => {
    const lengths = new Map(LENGTHS)
    lengths.delete('movie_c')
    const { sections, skipped } = movieFrameSections(PLAYLIST, lengths, DEFAULT_SECTION_LAYOUT, { skipMissing: true })
    expect(skipped).toEqual(['movie_c'])
    expect(sections.get('movie_a')).toEqual([[120, 901]])
    expect(sections.get('movie_b')).toEqual([[1081, 2462]])
    expect(sections.has('movie_c')).toBe(false)
    // With two repeats the missing movie sits before known ones of the second round: refused.
    expect(() =>
      movieFrameSections(PLAYLIST, lengths, { ...DEFAULT_SECTION_LAYOUT, repeats: 2 }, { skipMissing: true }),
    ).toThrow(UnknownMovieLengthError)
  })
})

describe('sample rows and light templates (docs/algorithms.md §1.4, §9.1)', () => {
  const ts = linspaceTs()

  it('converts the fixture sections with the linspace timestamps', () => {
    const { sections } = movieFrameSections(PLAYLIST, LENGTHS)
    expect(Array.from(frameRowsToSamples(sections.get('movie_a')!, ts))).toEqual([40004, 300363])
    expect(Array.from(frameRowsToSamples(sections.get('movie_b')!, ts))).toEqual([360369, 820748])
    expect(Array.from(frameRowsToSamples(sections.get('movie_c')!, ts))).toEqual([880754, 1241124])
  })

  it('template lengths equal the section spans; values are the raw slice', () => {
    const raw = new Float32Array(1_300_000)
    for (let i = 0; i < raw.length; i++) raw[i] = i % 1000
    const { sections } = movieFrameSections(PLAYLIST, LENGTHS)
    const lengths = PLAYLIST.map((m) => playlistLightTemplate(raw, frameRowsToSamples(sections.get(m)!, ts)).length)
    expect(lengths).toEqual([260359, 460379, 360370])
    const tA = playlistLightTemplate(raw, frameRowsToSamples(sections.get('movie_a')!, ts))
    expect(tA).toBeInstanceOf(Float32Array)
    expect(tA[0]).toBe(40004 % 1000)
    expect(tA[1000]).toBe(40004 % 1000)
  })

  it('clips the slice to the signal and drops empty slices', () => {
    const raw = Float32Array.from({ length: 100 }, (_, i) => i)
    const t = playlistLightTemplate(raw, [90, 150, 200, 300])
    expect(Array.from(t)).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99])
  })

  it('NaN-padded mean: shorter traces stop contributing', () => {
    const t = nanMeanTemplate([
      [1, 2, 3, 4],
      [3, 4],
      [5, Number.NaN, 6],
    ])
    expect(Array.from(t)).toEqual([3, 3, 4.5, 4])
    expect(nanMeanTemplate([]).length).toBe(0)
  })
})
