import { describe, expect, it } from 'vitest'
import {
  padMarginSamples,
  sectionUnitSpikes,
  trialBoundaries,
  trialFrameBounds,
  type TrialConfig,
} from '../../src-worker/algo/spikeSectioning'

// ts[k] = 1000 + round(k * 20000 / 60) (docs/algorithms.md §9.3).
function tsTable(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, k) => 1000 + Math.round((k * 20000) / 60))
}

const cfg = (startFrame: number, trialLengthFrame: number, repeat: number, groupCount = 1, groupGap = 0): TrialConfig => ({
  startFrame,
  trialLengthFrame,
  repeat,
  groupCount,
  groupGap,
})

const pairs = (flat: ArrayLike<number>) => Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]])

describe('trial boundaries (docs/algorithms.md §2.2, §9.3)', () => {
  const ts = tsTable(40_000)
  const start = ts[120]

  it('section start 41000 is frame 120', () => {
    expect(start).toBe(41000)
  })

  it('step_up_5s_5i_b0_3x', () => {
    expect(trialFrameBounds(120, cfg(240, 600, 3), ts.length)).toEqual([
      [420, 1020],
      [1020, 1620],
      [1620, 2220],
    ])
    expect(pairs(trialBoundaries(start, ts, cfg(240, 600, 3)))[0]).toEqual([141000, 341000])
  })

  it('green_blue_3s_3i_3x_64_128_255: the gap follows each group of 3', () => {
    const frames = trialFrameBounds(120, cfg(120, 720, 3, 3, 180), ts.length)
    expect(frames.length).toBe(9)
    expect(frames.slice(0, 4)).toEqual([
      [300, 1020],
      [1020, 1740],
      [1740, 2460],
      [2640, 3360],
    ])
    expect(frames[6]).toEqual([300 + 6 * 720 + 2 * 180, 300 + 7 * 720 + 2 * 180])
  })

  it('moving bar, dense noise, baseline, freq step', () => {
    expect(trialFrameBounds(120, cfg(60, 4520, 3), ts.length)).toEqual([
      [240, 4760],
      [4760, 9280],
      [9280, 13800],
    ])
    expect(pairs(trialBoundaries(start, ts, cfg(60, 4520, 3)))[0]).toEqual([81000, 1587667])
    expect(pairs(trialBoundaries(start, ts, cfg(0, 10800, 1)))).toEqual([[61000, 3661000]])
    expect(trialFrameBounds(120, cfg(0, 180, 1), ts.length)).toEqual([[180, 360]])
    expect(pairs(trialBoundaries(start, ts, cfg(0, 180, 1)))).toEqual([[61000, 121000]])
    expect(trialFrameBounds(120, cfg(30, 1500, 3), ts.length)[0]).toEqual([210, 1710])
    expect(pairs(trialBoundaries(start, ts, cfg(30, 1500, 3)))[0]).toEqual([71000, 571000])
  })

  it('clips trial ends past the last frame', () => {
    const b = pairs(trialBoundaries(ts[37000], ts, cfg(0, 1000, 3)))
    expect(b[2][1]).toBe(13334000)
    expect(b[2][1]).toBe(ts[39999])
    expect(b[0]).toEqual([ts[37060], ts[38060]])
  })

  it('a section start between frames floors to the earlier frame', () => {
    expect(pairs(trialBoundaries(start + 100, ts, cfg(0, 180, 1)))).toEqual([[61000, 121000]])
  })
})

describe('per-unit sectioning (docs/algorithms.md §2.3, §9.3)', () => {
  it('the spec-006 case: start clamped at 0, absolute samples, unique union', () => {
    const r = sectionUnitSpikes([500, 1500, 2000, 4500, 7500, 9000], [1000, 2000, 4000, 5000, 7000, 8000], 40_000, 0)
    expect(r.trials.map((t) => Array.from(t))).toEqual([
      [500, 1500],
      [500, 1500, 2000, 4500],
      [500, 1500, 2000, 4500, 7500],
    ])
    expect(Array.from(r.full)).toEqual([500, 1500, 2000, 4500, 7500])
  })

  it('windows are half-open', () => {
    const spikes = [999, 1000, 1999, 2000, 2001]
    expect(Array.from(sectionUnitSpikes(spikes, [1000, 2000], 0, 0).trials[0])).toEqual([1000, 1999])
    expect(Array.from(sectionUnitSpikes(spikes, [1000, 2000], 1, 1).trials[0])).toEqual([999, 1000, 1999, 2000])
  })

  it('empty spike trains give empty arrays for full and every trial', () => {
    const r = sectionUnitSpikes(new Float64Array(0), [0, 10, 20, 30], 0, 0)
    expect(r.full).toBeInstanceOf(Float64Array)
    expect(r.full.length).toBe(0)
    expect(r.trials.map((t) => t.length)).toEqual([0, 0])
  })

  it('analog windows are not clamped at 0', () => {
    const r = sectionUnitSpikes([-5, 3], [10, 20], 20, 0, { clampStartAtZero: false })
    expect(Array.from(r.trials[0])).toEqual([-5, 3])
    expect(Array.from(sectionUnitSpikes([-5, 3], [10, 20], 20, 0).trials[0])).toEqual([3])
  })

  it('sorts unsorted input and removes duplicate spikes from the union only', () => {
    const r = sectionUnitSpikes([30, 10, 10, 20], [0, 25, 15, 40], 0, 0)
    expect(r.trials.map((t) => Array.from(t))).toEqual([
      [10, 10, 20],
      [20, 30],
    ])
    expect(Array.from(r.full)).toEqual([10, 20, 30])
  })

  it('trials given out of order still give a sorted union', () => {
    const r = sectionUnitSpikes([1, 5, 12, 25, 31], [20, 30, 0, 10, 4, 13], 0, 0)
    expect(r.trials.map((t) => Array.from(t))).toEqual([[25], [1, 5], [5, 12]])
    expect(Array.from(r.full)).toEqual([1, 5, 12, 25])
  })

  it('pad margins truncate toward zero', () => {
    expect(padMarginSamples([2, 0], 20000)).toEqual({ pre: 40000, post: 0 })
    expect(padMarginSamples([0.00004, 1.99999], 20000)).toEqual({ pre: 0, post: 39999 })
  })
})
