import { describe, expect, it } from 'vitest'
import { analogSectionsFromOnsets, detectAnalogOnsets } from '../../src-worker/algo/analogSections'
import { runStep } from '../../src-main/steps/framework'
import { addSectionTimeAnalogStep } from '../../src-main/steps/addSectionTimeAnalog'
import { sectionSpikeTimesStep } from '../../src-main/steps/sectionSpikeTimes'
import { PipelineSession } from '../../src-main/session/session'
import { ConfigurationError } from '../../src-shared/errors'
import { f32, f64Scalar, getNode, group, i64, u64, type NumericNode, type StringNode } from '../../src-shared/tree'
import type { TaskPool } from '../../src-main/pool/taskPool'

const noPool: TaskPool = {
  threads: 1,
  run: async () => {
    throw new Error('no pool in this test')
  },
  destroy: async () => {},
}

/** A signal of `n` zeros that rises by `size` at each step sample (raw[i] jumps at i = step). */
function steps(n: number, at: Array<[number, number]>): Float32Array {
  const raw = new Float32Array(n)
  for (const [step, size] of at) for (let i = step; i < n; i++) raw[i] += size
  return raw
}

const pairs = (flat: ArrayLike<number>) => Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]])

describe('analog onset detection (docs/algorithms.md §1.5, §9.1)', () => {
  it('an onset is the sample before the step', () => {
    expect(detectAnalogOnsets(steps(1000, [[500, 1e7]]), { threshold: 1e6 })).toEqual([499])
  })

  it('finds every step above the threshold only', () => {
    expect(detectAnalogOnsets(steps(1000, [[200, 1e7], [400, 1e7], [600, 1e7]]), { threshold: 1e6 })).toEqual([199, 399, 599])
    expect(detectAnalogOnsets(steps(1000, [[200, 1e7], [400, 1e4], [600, 1e7]]), { threshold: 1e6 })).toEqual([199, 599])
    expect(detectAnalogOnsets(new Float32Array(1000), { threshold: 1e6 })).toEqual([])
    expect(detectAnalogOnsets(steps(1000, [[500, 1e6]]), { threshold: 1e9 })).toEqual([])
  })

  it('searches from searchStart on only', () => {
    const raw = steps(1000, [[200, 1e7], [600, 1e7]])
    expect(detectAnalogOnsets(raw, { threshold: 1e6, searchStart: 300 })).toEqual([599])
  })

  it('a minimum distance keeps the highest of close onsets', () => {
    const raw = steps(2000, [[500, 2e6], [700, 5e6], [1500, 2e6]])
    expect(detectAnalogOnsets(raw, { threshold: 1e6 })).toEqual([499, 699, 1499])
    expect(detectAnalogOnsets(raw, { threshold: 1e6, minDistance: 300 })).toEqual([699, 1499])
  })
})

describe('analog sections from onsets (docs/algorithms.md §9.1)', () => {
  const rate = 20000
  const raw = steps(1_000_000, [[200_000, 1e7], [400_000, 1e7], [600_000, 1e7]])

  it('end to end: 3 trials of 5 s', () => {
    const onsets = detectAnalogOnsets(raw, { threshold: 1e6, minDistance: Math.trunc(0.8 * 5 * rate) })
    const r = analogSectionsFromOnsets(raw, onsets, 5 * rate)
    expect(pairs(r.rows)).toEqual([
      [199999, 299999],
      [399999, 499999],
      [599999, 699999],
    ])
    expect(r.template).toBeInstanceOf(Float32Array)
    expect(r.template.length).toBe(100_000)
    // Sample 0 of each trace is before its step (0, 1e7, 2e7), the rest after (1e7, 2e7, 3e7).
    expect(r.template[0]).toBe(1e7)
    expect(r.template[1]).toBe(2e7)
    expect(r.template[99_999]).toBe(2e7)
    expect(r.truncated).toBe(0)
  })

  it('repeat keeps the first trials; the template still uses all onsets', () => {
    const r = analogSectionsFromOnsets(raw, [199999, 399999, 599999], 5 * rate, 2)
    expect(pairs(r.rows)).toEqual([
      [199999, 299999],
      [399999, 499999],
    ])
    expect(r.template[0]).toBe(1e7)
  })

  it('trial spans follow plot_duration', () => {
    const span = (seconds: number) => {
      const r = analogSectionsFromOnsets(raw, [199999], seconds * rate)
      return r.rows[1] - r.rows[0]
    }
    expect(span(1)).toBe(20_000)
    expect(span(10)).toBe(200_000)
  })

  it('clips ends to the last sample and counts them', () => {
    const short = steps(50_000, [[20_000, 1e7]])
    const onsets = detectAnalogOnsets(short, { threshold: 1e6 })
    const r = analogSectionsFromOnsets(short, onsets, 5 * rate)
    expect(pairs(r.rows)).toEqual([[19999, 49999]])
    expect(r.template.length).toBe(30_000)
    expect(r.truncated).toBe(1)
  })
})

describe('add_section_time_analog step', () => {
  function session(raw: Float32Array, lastFrameSample?: number): PipelineSession {
    const s = new PipelineSession({ datasetId: 'rec' })
    s.addMetadata({ acquisition_rate: f64Scalar(20000) })
    if (lastFrameSample !== undefined) s.addMetadata({ frame_timestamps: u64([1000, 2000, lastFrameSample]) })
    s.addStimulus({ light_reference: group({ raw_ch1: f32(raw) }) })
    s.markStepComplete('load_recording')
    return s
  }

  it('stores rows, template and the marker; searches after the last video frame', async () => {
    // The step at 100 000 lies inside the video (before the last frame) and is not an onset.
    const raw = steps(1_000_000, [[100_000, 1e7], [200_000, 1e7], [400_000, 1e7], [600_000, 1e7]])
    const s = session(raw, 150_000)
    const report = await runStep(addSectionTimeAnalogStep, s, { threshold_value: 1e6, plot_duration: 5 }, { pool: noPool })
    const rows = getNode(s.stimulus, 'section_time/iprgc_test') as NumericNode
    expect([rows.dtype, rows.shape]).toEqual(['int64', [3, 2]])
    expect(pairs(rows.data)).toEqual([
      [199999, 299999],
      [399999, 499999],
      [599999, 699999],
    ])
    const template = getNode(s.stimulus, 'light_template/iprgc_test') as NumericNode
    expect([template.dtype, template.data.length, template.data[1]]).toEqual(['float32', 100_000, 3e7])
    const marker = JSON.parse((getNode(s.metadata, 'section_time_analog_iprgc_test') as StringNode).data[0])
    expect(marker).toMatchObject({ threshold_value: 1e6, plot_duration: 5, n_trials: 3, search_start: 150_000, min_distance_samples: 80_000 })
    expect(report.warnings).toEqual([])
    expect(s.completedSteps.has('add_section_time_analog')).toBe(true)
  })

  it('keeps other movies, honours repeat, and feeds section_spike_times without a config', async () => {
    const raw = steps(1_000_000, [[200_000, 1e7], [400_000, 1e7], [600_000, 1e7]])
    const s = session(raw)
    s.addStimulus({ section_time: group({ movie_a: i64([10, 20], [1, 2]) }) })
    await runStep(addSectionTimeAnalogStep, s, { threshold_value: 1e6, plot_duration: 5, repeat: 2 }, { pool: noPool })
    expect(pairs((getNode(s.stimulus, 'section_time/iprgc_test') as NumericNode).data)).toEqual([
      [199999, 299999],
      [399999, 499999],
    ])
    expect(getNode(s.stimulus, 'section_time/movie_a')).toBeDefined()
    s.addUnits({ unit_1: group({ spike_times: u64([150_000, 170_000, 200_000, 299_999, 300_000, 450_000]) }) })
    await runStep(sectionSpikeTimesStep, s, { movie_names: ['iprgc_test'] }, { pool: noPool })
    const t0 = getNode(s.units, 'unit_1/spike_times_sectioned/iprgc_test/trials_spike_times/0') as NumericNode
    // Window [199999 - 40000, 299999): 170000, 200000 (150000 is before the 2-s pad, 299999 is the open end).
    expect(Array.from(t0.data)).toEqual([170_000, 200_000])
  })

  it('no onset is a clear error; a playlist movie name is refused; parameters are checked', async () => {
    const flat = session(new Float32Array(100_000))
    const err = await runStep(addSectionTimeAnalogStep, flat, {}, { pool: noPool }).catch((e) => e)
    expect(err).toBeInstanceOf(ConfigurationError)
    expect(err.message).toMatch(/no onset in stimulus\/light_reference\/raw_ch1 after sample 0 rises by >= 100000 per sample/)
    expect(flat.stimulus.children.has('section_time')).toBe(false)

    const s = session(steps(100_000, [[50_000, 1e7]]))
    s.addStimulus({ section_time: group({ movie_a: i64([10, 20], [1, 2]) }) })
    await expect(runStep(addSectionTimeAnalogStep, s, { movie_name: 'movie_a' }, { pool: noPool })).rejects.toThrow(
      /'movie_a' is a playlist movie in section_time/,
    )
    await expect(runStep(addSectionTimeAnalogStep, s, { plot_duration: 0 }, { pool: noPool })).rejects.toThrow(/'plot_duration' must be > 0/)
    await expect(runStep(addSectionTimeAnalogStep, s, { movie_name: 'a/b' }, { pool: noPool })).rejects.toThrow(/'movie_name' must not contain/)
    const noLight = new PipelineSession({ datasetId: 'rec' })
    noLight.markStepComplete('load_recording')
    await expect(runStep(addSectionTimeAnalogStep, noLight, {}, { pool: noPool })).rejects.toThrow(
      /no light reference \(stimulus\/light_reference\/raw_ch1\)/,
    )
  })
})
