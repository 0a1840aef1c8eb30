// Section time and spike sectioning on a generated recording, through the real steps: load_recording
// (worker pool, built task file), add_section_time, add_section_time_analog, section_spike_times.
// Every expected value comes from the generator's ground truth and the demo set's documented configs.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_ANALOG_STEPS, DEMO_MOVIES, DEMO_PLAYLIST } from '../../src-main/demoSet'
import { createTaskPool, type TaskPool } from '../../src-main/pool/taskPool'
import { resourcePath } from '../../src-main/resources'
import { PipelineSession } from '../../src-main/session/session'
import { type NumericNode, asFloat64, getNode } from '../../src-shared/tree'
import { runStep } from '../../src-main/steps/framework'
import { getStep } from '../../src-main/steps/index'
import { generateRecording, type RecordingTruth } from '../../src-worker/synthetic/generator'

const dir = mkdtempSync(join(tmpdir(), 'sectioning-it-'))
let pool: TaskPool
let truth: RecordingTruth
let session: PipelineSession

const rows = (movie: string) => Array.from((getNode(session.stimulus, `section_time/${movie}`) as NumericNode).data)
const unitNode = (path: string) => getNode(session.units, path) as NumericNode
const analogEnd = (onset: number) => Math.min(onset + 10 * truth.samplingRate, truth.nSamples - 1)
/** The spikes of a sorted train in [a, b), by a plain scan (independent of the binary-search code). */
const inWindow = (spikes: Float64Array, a: number, b: number) => Array.from(spikes).filter((s) => s >= a && s < b)

beforeAll(async () => {
  const rec = await generateRecording({
    dir,
    stem: 'sectioning',
    seed: 7,
    analogDurationS: 140,
    sensorDurationS: 0,
    nUnits: 4,
    rfUnits: 0,
    playlist: DEMO_MOVIES,
    analogSteps: DEMO_ANALOG_STEPS,
  })
  truth = rec.truth
  pool = createTaskPool({ threads: 2 })
  session = new PipelineSession({ datasetId: 'sectioning' })
  await runStep(getStep('load_recording'), session, { cmcr_path: rec.cmcrPath, cmtr_path: rec.cmtrPath }, { pool })
  await runStep(
    getStep('add_section_time'),
    session,
    {
      playlist_name: DEMO_PLAYLIST,
      playlist_file: resourcePath('demo', 'playlist.csv'),
      movie_length_file: resourcePath('demo', 'movie_length.csv'),
    },
    { pool },
  )
  await runStep(getStep('add_section_time_analog'), session, { threshold_value: 1e5, plot_duration: 10 }, { pool })
  await runStep(getStep('section_spike_times'), session, { stimulus_config_dir: [resourcePath('demo', 'stimuli')] }, { pool })
}, 300_000)

afterAll(async () => {
  await pool?.destroy()
  rmSync(dir, { recursive: true, force: true })
})

describe('sectioning a generated recording', () => {
  it('the frame timestamps are the generator truth', () => {
    expect(Array.from(asFloat64(getNode(session.metadata, 'frame_timestamps'))!)).toEqual(truth.frameTimestamps)
  })

  it('playlist section times equal the truth sections exactly', () => {
    const ts = truth.frameTimestamps
    expect(truth.sections.map((s) => s.movie)).toEqual(DEMO_MOVIES.map((m) => m.name))
    for (const s of truth.sections) {
      expect(rows(s.movie)).toEqual([ts[Math.min(s.startFrame, ts.length - 1)], ts[Math.min(s.endFrame, ts.length - 1)]])
      const template = getNode(session.stimulus, `light_template/${s.movie}`) as NumericNode
      expect(template.dtype).toBe('float32')
      expect(template.data.length).toBe(ts[Math.min(s.endFrame, ts.length - 1)] - ts[s.startFrame])
    }
  })

  it('analog section times are the truth onsets, 10 s long, clipped to the recording', () => {
    expect(truth.analogOnsets.length).toBe(DEMO_ANALOG_STEPS.count)
    expect(rows('iprgc_test')).toEqual(truth.analogOnsets.flatMap((o) => [o, analogEnd(o)]))
    // The second step starts 2 + 12 s after the video; its 10-s window passes the 140-s recording end.
    expect(analogEnd(truth.analogOnsets[1])).toBe(truth.nSamples - 1)
    expect(session.warnings.map((w) => w.message)).toContain(
      "1 of 2 'iprgc_test' trials end after the recording; their end was clipped to the last sample",
    )
  })

  it('step_up trials follow the demo config (start 240, 600 frames, 3 trials) from the content start', () => {
    const ts = truth.frameTimestamps
    const content = truth.sections.find((s) => s.movie === 'step_up_5s_5i_b0_3x')!.contentStartFrame
    const expected = [0, 1, 2].flatMap((k) => [ts[content + 240 + 600 * k], ts[content + 240 + 600 * (k + 1)]])
    let total = 0
    for (const unit of truth.units) {
      total += unitNode(`${unit.id}/spike_times_sectioned/step_up_5s_5i_b0_3x/full_spike_times`).data.length
      const base = `${unit.id}/spike_times_sectioned/step_up_5s_5i_b0_3x`
      expect(Array.from(unitNode(`${base}/trials_start_end`).data)).toEqual(expected)
      const spikes = asFloat64(getNode(session.units, `${unit.id}/spike_times`))!
      for (let k = 0; k < 3; k++) {
        expect(Array.from(unitNode(`${base}/trials_spike_times/${k}`).data)).toEqual(inWindow(spikes, expected[2 * k], expected[2 * k + 1]))
      }
    }
    expect(total).toBeGreaterThan(100)
  })

  it('analog trials take the 2-s pre margin; every unit is sectioned into every movie', () => {
    const pre = 2 * truth.samplingRate
    for (const unit of truth.units) {
      const spikes = asFloat64(getNode(session.units, `${unit.id}/spike_times`))!
      truth.analogOnsets.forEach((o, k) => {
        expect(Array.from(unitNode(`${unit.id}/spike_times_sectioned/iprgc_test/trials_spike_times/${k}`).data)).toEqual(
          inWindow(spikes, o - pre, analogEnd(o)),
        )
      })
      const movies = [...(getNode(session.units, `${unit.id}/spike_times_sectioned`) as { children: Map<string, unknown> }).children.keys()]
      expect(movies.sort()).toEqual([...DEMO_MOVIES.map((m) => m.name), 'iprgc_test'].sort())
    }
    expect(session.completedSteps.has('section_spike_times')).toBe(true)
  })
})
