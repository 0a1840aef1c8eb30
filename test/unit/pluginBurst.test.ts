// The bundled compute_burst_statistics plugins (JavaScript and Python) against spike trains whose burst
// statistics are known in closed form (definition: docs/plugins.md, "The burst statistics").

import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { discoverPlugins } from '../../src-main/plugins/discovery'
import type { PipelineSession } from '../../src-main/session/session'
import { type StepDefinition, runStep } from '../../src-main/steps/framework'
import { STEPS } from '../../src-main/steps/index'
import { getNode } from '../../src-shared/tree'
import { PYTHON, noPool, sessionWith } from './pluginFixtures'

const temp = mkdtempSync(join(tmpdir(), 'plugin-burst-'))
let js: StepDefinition
let py: StepDefinition

beforeAll(async () => {
  const { steps } = await discoverPlugins([join(import.meta.dirname, '../../resources/plugins')], STEPS, {
    python: () => PYTHON,
    tempDir: () => temp,
  })
  js = steps.find((s) => s.id === 'compute_burst_statistics')!
  py = steps.find((s) => s.id === 'compute_burst_statistics_py')!
})
afterAll(() => rmSync(temp, { recursive: true, force: true }))

interface Stats {
  burst_count: number
  spikes_in_bursts: number
  burst_rate: number
  burst_threshold_ms: number
}

function stats(s: PipelineSession, unit: string): Stats {
  const out: Record<string, number> = {}
  for (const key of ['burst_count', 'spikes_in_bursts', 'burst_rate', 'burst_threshold_ms']) {
    const n = getNode(s.units, `${unit}/features/burst_statistics/data/${key}`)
    if (n?.kind !== 'numeric') throw new Error(`${unit}: no ${key}`)
    expect(n.dtype).toBe(key === 'burst_count' || key === 'spikes_in_bursts' ? 'int64' : 'float64')
    expect(n.shape).toEqual([])
    out[key] = Number(n.data[0])
  }
  return out as unknown as Stats
}

// At 20 kHz a 10 ms threshold is 200 samples; an ISI of exactly 200 samples is not short.
const HAND = [
  0, 100, 200, // a burst of 3 at the very start
  10_000, 10_150, // 2 spikes: below the minimum of 3
  20_000, // alone
  30_000, 30_200, 30_400, // ISIs exactly at the threshold: no burst
  40_000, 40_199, 40_398, 40_597, 40_796, // a burst of 5
  50_000, 50_050, 50_100, 50_150, // a burst of 4 that ends the train
]

/** n bursts of k spikes, ISI d inside a burst, bursts `gap` samples apart (gap >> threshold). */
function regular(n: number, k: number, d: number, gap: number): number[] {
  const t: number[] = []
  for (let b = 0; b < n; b++) for (let j = 0; j < k; j++) t.push(b * gap + j * d)
  return t
}

for (const kind of ['javascript', 'python'] as const) {
  describe(`compute_burst_statistics (${kind})`, () => {
    const step = () => (kind === 'javascript' ? js : py)

    it('counts bursts, spikes in bursts and the rate on a hand-made train', async () => {
      const s = sessionWith({ unit_001: HAND, unit_002: [], unit_003: [5] }, { rate: 20_000, durationS: 10 })
      const report = await runStep(step(), s, {}, { pool: noPool })
      expect(report.warnings).toEqual([])
      expect(stats(s, 'unit_001')).toEqual({ burst_count: 3, spikes_in_bursts: 12, burst_rate: 3 / 10, burst_threshold_ms: 10 })
      expect(stats(s, 'unit_002')).toEqual({ burst_count: 0, spikes_in_bursts: 0, burst_rate: 0, burst_threshold_ms: 10 })
      expect(stats(s, 'unit_003')).toEqual({ burst_count: 0, spikes_in_bursts: 0, burst_rate: 0, burst_threshold_ms: 10 })
      expect(s.completedSteps.has(step().id)).toBe(true)
    })

    it('follows its parameters: a lower minimum admits the pair, a wider threshold joins the ISIs at 200 samples', async () => {
      const s = sessionWith({ unit_001: HAND }, { rate: 20_000, durationS: 10 })
      await runStep(step(), s, { min_spikes_per_burst: 2 }, { pool: noPool })
      expect(stats(s, 'unit_001')).toMatchObject({ burst_count: 4, spikes_in_bursts: 14 })
      // 10.01 ms = 200.2 samples: the three spikes 200 apart now form a burst too.
      await runStep(step(), s, { burst_threshold_ms: 10.01 }, { pool: noPool })
      expect(stats(s, 'unit_001')).toEqual({ burst_count: 4, spikes_in_bursts: 15, burst_rate: 4 / 10, burst_threshold_ms: 10.01 })
    })

    it('regular trains: n bursts of k spikes give n, n*k and n / duration', async () => {
      const rate = 25_000
      const s = sessionWith(
        { unit_001: regular(7, 4, 100, 50_000), unit_002: regular(5, 2, 100, 50_000), unit_003: regular(9, 3, 249, 40_000) },
        { rate, durationS: 12.5 },
      )
      await runStep(step(), s, {}, { pool: noPool })
      expect(stats(s, 'unit_001')).toMatchObject({ burst_count: 7, spikes_in_bursts: 28, burst_rate: 7 / 12.5 })
      expect(stats(s, 'unit_002')).toMatchObject({ burst_count: 0, spikes_in_bursts: 0, burst_rate: 0 })
      // 249 samples at 25 kHz = 9.96 ms < 10 ms.
      expect(stats(s, 'unit_003')).toMatchObject({ burst_count: 9, spikes_in_bursts: 27, burst_rate: 9 / 12.5 })
    })

    it('without a duration in the metadata, the rate uses the span of all spikes and says so', async () => {
      const s = sessionWith({ unit_001: regular(4, 3, 10, 20_000).map((t) => t + 1000), unit_002: [500, 90_000] }, { rate: 20_000, durationS: null })
      const report = await runStep(step(), s, {}, { pool: noPool })
      // The span is 500 .. 90000 samples = 4.475 s.
      expect(stats(s, 'unit_001')).toMatchObject({ burst_count: 4, burst_rate: 4 / ((90_000 - 500) / 20_000) })
      expect(report.warnings).toEqual(['the recording duration is not in the metadata; burst_rate uses the span of all spikes (4.475 s)'])
    })
  })
}

describe('temporary files', () => {
  it('the Python runs left nothing in the temp folder', () => {
    expect(readdirSync(temp)).toEqual([])
  })
})
