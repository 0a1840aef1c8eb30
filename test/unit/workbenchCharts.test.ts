// Chart data taken out of a session, checked against closed-form inputs.
import { describe, expect, it } from 'vitest'
import { PipelineSession } from '../../src-main/session/session'
import { f32, f64, f64Scalar, group, i64, numeric, u64 } from '../../src-shared/tree'
import { chipMapData, cubeFromNode, eimageData, firingRateData, footprintData, lightReferenceData, rasterData, staData, unitTable } from '../../src-main/workbench/charts'
import { lowerBound, minMaxDecimate } from '../../src-main/workbench/decimate'

describe('minMaxDecimate', () => {
  it('keeps everything that fits', () => {
    expect(minMaxDecimate([3, 1, 2], 0, 3, 10)).toEqual({ index: [0, 1, 2], value: [3, 1, 2] })
  })

  it('keeps the min and max of each bucket in sample order, so single-sample spikes survive', () => {
    const n = 1_000_000
    const v = new Float32Array(n)
    for (let i = 0; i < n; i++) v[i] = Math.sin(i / 5000)
    v[123_457] = 50 // one-sample flash
    v[876_543] = -50
    const d = minMaxDecimate(v, 0, n, 1000)
    expect(d.index.length).toBeLessThanOrEqual(1000)
    expect(d.index.length).toBeGreaterThan(900)
    for (let i = 1; i < d.index.length; i++) expect(d.index[i]).toBeGreaterThan(d.index[i - 1])
    expect(d.index).toContain(123_457)
    expect(d.index).toContain(876_543)
    expect(Math.max(...d.value)).toBe(50)
    expect(Math.min(...d.value)).toBe(-50)
    // Bucket 0 covers samples 0..1999 of a rising sine: min at 0, max at 1999.
    expect(d.index.slice(0, 2)).toEqual([0, 1999])
  })

  it('respects a window', () => {
    const v = Float64Array.from({ length: 100 }, (_, i) => i)
    expect(minMaxDecimate(v, 10, 20, 4)).toEqual({ index: [10, 14, 15, 19], value: [10, 14, 15, 19] })
  })

  it('lowerBound finds the first index at or above x', () => {
    const s = [1, 3, 3, 7]
    expect([0, 1, 2, 3, 4, 8].map((x) => lowerBound(s, x))).toEqual([0, 0, 1, 1, 3, 4])
  })
})

function demoSession(): PipelineSession {
  const s = new PipelineSession({ datasetId: 'chart_test' })
  const rate = 1000
  s.addMetadata({ acquisition_rate: f64Scalar(rate), frame_timestamps: u64([100, 200, 300, 400, 500]) })
  const raw = new Float32Array(2000) // 2 s at 1 kHz
  for (let i = 0; i < raw.length; i++) raw[i] = i >= 500 && i < 1500 ? 1 : 0
  s.addStimulus({
    light_reference: group({ raw_ch1: f32(raw), '10hz_ch1': f32(new Float32Array(20)) }),
    section_time: group({ movie_a: i64([100, 300, 1100, 1300], [2, 2]) }),
  })
  // Unit 1: 3 trials of movie_a starting at samples 100 and 1100 (trial 2 is empty), 4 spikes.
  s.addUnits({
    unit_1: group(
      {
        spike_times: u64([150, 160, 1250, 1900]),
        firing_rate_10hz: f32([0, 10, 20, 10]),
        spike_times_sectioned: group({
          movie_a: group({
            trials_spike_times: group({ '0': i64([150, 160]), '1': i64([1250]) }),
            trials_start_end: i64([100, 300, 1100, 1300], [2, 2]),
          }),
        }),
        features: group({
          sta_noise: group({ data: f32([0, 0, 0, 0, 1, -3, 0, 0], [2, 2, 2]), metadata: group({ cover_range: i64([-2, 0]) }) }),
          eimage_sta: group({ data: f64(new Float64Array(3 * 4 * 5).fill(0).map((_, i) => (i === 47 ? -9 : 0)), [3, 4, 5]) }),
        }),
        unit_meta: group({ snr: f64([12.5]) }),
      },
      { row: numeric('int64', [7], []), col: numeric('int64', [9], []) },
    ),
    unit_2: group({ spike_times: u64([10]) }),
  })
  return s
}

describe('chart data from a session', () => {
  it('light reference: decimated samples, frames and section bounds in seconds', () => {
    const d = lightReferenceData(demoSession(), { maxPoints: 100 })
    expect(d.channel).toBe('raw_ch1')
    expect(d.channels).toEqual(['raw_ch1', '10hz_ch1'])
    expect(d.rateHz).toBe(1000)
    expect(d.durationS).toBe(2)
    expect(d.pointsInWindow).toBe(2000)
    expect(d.t.length).toBeLessThanOrEqual(100)
    expect(Math.max(...d.y)).toBe(1)
    expect(Math.min(...d.y)).toBe(0)
    expect(d.frames).toEqual([0.1, 0.2, 0.3, 0.4, 0.5])
    expect(d.frameCount).toBe(5)
    expect(d.movies).toEqual(['movie_a'])
    expect(d.sections).toEqual([
      { movie: 'movie_a', trial: 0, startS: 0.1, endS: 0.3 },
      { movie: 'movie_a', trial: 1, startS: 1.1, endS: 1.3 },
    ])
    const w = lightReferenceData(demoSession(), { startS: 0.25, endS: 0.45 })
    expect(w.frames).toEqual([0.3, 0.4])
    expect(w.movies).toEqual(['movie_a'])
    expect(w.t[0]).toBe(0.25)
    expect(w.sections.map((s) => s.trial)).toEqual([0])
    expect(lightReferenceData(demoSession(), { channel: '10hz_ch1' }).rateHz).toBe(10)
  })

  it('light reference: an empty answer when the session has none yet', () => {
    const d = lightReferenceData(new PipelineSession({ datasetId: 'empty' }), {})
    expect(d.channels).toEqual([])
    expect(d.t).toEqual([])
  })

  it('unit table: position from attributes, rate = spikes / recording duration, SNR from unit_meta, STA peak', () => {
    const t = unitTable(demoSession())
    expect(t.durationS).toBe(2)
    // STA [0,0,0,0,1,-3,0,0]: mean -0.25, largest departure |-3 + 0.25| = 2.75.
    expect(t.units).toEqual([
      { id: 'unit_1', row: 7, col: 9, spikeCount: 4, rateHz: 2, snr: 12.5, staPeak: 2.75 },
      { id: 'unit_2', row: null, col: null, spikeCount: 1, rateHz: 0.5, snr: null, staPeak: null },
    ])
  })

  it('chip map: units at their electrode with a dot size by spikes; units without a position listed apart', () => {
    const m = chipMapData(demoSession())
    expect([m.rows, m.cols]).toEqual([65, 65])
    expect(m.placed.map((u) => [u.id, u.row, u.col])).toEqual([['unit_1', 7, 9]])
    expect(m.sizes).toEqual([20]) // the only placed unit has the most spikes
    expect(m.unplaced).toEqual([{ id: 'unit_2', reason: 'no row/column in Unit Info' }])
  })

  it('footprint and eimage cube: 1-based electrodes, the unit electrode, per-frame and robust ranges', () => {
    // eimage (3, 4, 5) with -9 at flat index 47 = frame 2, row 1, col 2 (0-based).
    const fp = footprintData(demoSession(), { unitId: 'unit_1' })
    expect(fp).toEqual({ unitId: 'unit_1', rows: 4, cols: 5, threshold: 0.1, cells: [{ row: 2, col: 3, rel: 1 }], peakRow: 2, peakCol: 3 })
    expect(footprintData(demoSession(), { unitId: 'unit_2' }).cells).toEqual([])
    expect(() => footprintData(demoSession(), { unitId: 'unit_1', threshold: 0 })).toThrow('threshold must be in (0, 1]')
    const e = eimageData(demoSession(), { unitId: 'unit_1' })
    expect([e.unitRow, e.unitCol]).toEqual([7, 9])
    expect(e.frameMin).toEqual([0, 0, -9])
    expect(e.frameMax).toEqual([0, 0, 0])
    // 60 values, one -9: the 99.9th percentile of |v| lies 0.941 of the way from 0 to 9 (numpy linear:
    // virtual index 0.999 x 59 = 58.941 between the 59th value, 0, and the 60th, 9).
    expect(e.robustAbs).toBeCloseTo(9 * 0.941, 4)
    expect(e.robustHi).toBe(0)
  })

  it('raster: spike times from each trial start, and a PSTH in spikes/s per trial', () => {
    const r = rasterData(demoSession(), { unitId: 'unit_1', binS: 0.1 })
    expect(r.movies).toEqual(['movie_a'])
    expect(r.movie).toBe('movie_a')
    expect(r.trialDurationS).toBe(0.2)
    expect(r.trials).toEqual([[0.05, 0.06], [0.15]])
    expect(r.psthEdgesS).toEqual([0, 0.1, 0.2])
    // bin [0, 0.1): 2 spikes, bin [0.1, 0.2): 1 spike; over 2 trials of 0.1 s.
    expect(r.psthRateHz).toEqual([10, 5])
    expect(rasterData(demoSession(), { unitId: 'unit_2' }).movie).toBeNull()
  })

  it('raster: by default the movie with the most trials', () => {
    const s = demoSession()
    const u = s.unit('unit_1')
    const sectioned = u.children.get('spike_times_sectioned')! as ReturnType<typeof group>
    sectioned.children.set(
      'movie_b',
      group({
        trials_spike_times: group({ '0': i64([1110]), '1': i64([]), '2': i64([1190]) }),
        trials_start_end: i64([1100, 1200, 1200, 1300, 1300, 1400], [3, 2]),
      }),
    )
    const r = rasterData(s, { unitId: 'unit_1', binS: 0.05 })
    expect(r.movies).toEqual(['movie_a', 'movie_b'])
    expect(r.movie).toBe('movie_b')
    expect(r.trials).toEqual([[0.01], [], [-0.11]])
    expect(rasterData(s, { unitId: 'unit_1', movie: 'movie_a' }).movie).toBe('movie_a')
  })

  it('firing rate at 0.1 s steps', () => {
    expect(firingRateData(demoSession(), { unitId: 'unit_1' })).toEqual({ unitId: 'unit_1', t: [0, 0.1, 0.2, 0.3], rateHz: [0, 10, 20, 10] })
  })

  it('STA cubes: frames of row-major values, range, and the frame that deviates most', () => {
    const sta = staData(demoSession(), { unitId: 'unit_1' })
    expect(sta).toMatchObject({ feature: 'sta_noise', features: ['sta_noise'], frames: 2, rows: 2, cols: 2, min: -3, max: 1, peakFrame: 1, firstOffset: -2 })
    expect(sta.data).toEqual([
      [0, 0, 0, 0],
      [1, -3, 0, 0],
    ])
    const node = numeric('float64', Float64Array.from({ length: 3 * 4 * 5 }, (_, i) => (i === 47 ? -9 : 0)), [3, 4, 5])
    const e = cubeFromNode(node, 'unit_1', 'eimage_sta', ['eimage_sta'])
    // index 47 = frame 2, offset 7 = row 1, col 2
    expect(e.peakFrame).toBe(2)
    expect(e.data[2][1 * 5 + 2]).toBe(-9)
    expect(e.min).toBe(-9)
    expect(staData(demoSession(), { unitId: 'unit_2' }).frames).toBe(0)
  })

  it('an unknown unit is an error naming it', () => {
    expect(() => rasterData(demoSession(), { unitId: 'unit_99' })).toThrow('Unit unit_99 not found in session chart_test')
  })
})
