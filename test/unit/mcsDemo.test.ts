import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEMO_ANALOG_DURATION_S, DEMO_ANALOG_STEPS, DEMO_MOVIES, DEMO_NOISE_MOVIE, DEMO_PLAYLIST } from '../../src-main/demoSet'
import { resourcePath } from '../../src-main/resources'

// The demo recording is generated from DEMO_MOVIES; the steps read resources/demo. They must agree.
describe('demo set consistency', () => {
  const csv = (name: string) =>
    readFileSync(resourcePath('demo', name), 'utf8')
      .trim()
      .split('\n')
      .slice(1)

  it('playlist.csv lists the demo movies in order', () => {
    const row = csv('playlist.csv').find((l) => l.startsWith(`${DEMO_PLAYLIST},`))!
    const cell = row.slice(DEMO_PLAYLIST.length + 1).replace(/^"|"$/g, '')
    const movies = JSON.parse(cell.replace(/'/g, '"')) as string[]
    expect(movies.map((m) => m.split('.')[0])).toEqual(DEMO_MOVIES.map((m) => m.name))
  })

  it('movie_length.csv gives each movie its generated length', () => {
    const lengths = Object.fromEntries(csv('movie_length.csv').map((l) => l.split(',')).map(([n, v]) => [n, Number(v)]))
    for (const m of DEMO_MOVIES) expect(lengths[m.name]).toBe(m.frames)
  })

  it('each movie has a stimulus config whose trials fit in the movie', () => {
    for (const m of DEMO_MOVIES) {
      const cfg = JSON.parse(readFileSync(join(resourcePath('demo', 'stimuli'), `${m.name}.json`), 'utf8'))
      const k = cfg.section_kwargs
      expect(k.start_frame + k.trial_length_frame * k.repeat).toBeLessThanOrEqual(m.frames)
      if (m.step) expect([k.start_frame, k.trial_length_frame, k.repeat]).toEqual([m.step.startFrame, m.step.trialFrames, m.step.repeat])
    }
    expect(DEMO_MOVIES.find((m) => m.name === DEMO_NOISE_MOVIE)?.kind).toBe('noise')
  })

  it('the README recommends a plot duration below the analog step spacing', () => {
    const readme = readFileSync(resourcePath('demo', 'README.md'), 'utf8')
    expect(readme).toContain(DEMO_PLAYLIST)
    const plot = Number(/`plot_duration` (\d+)/.exec(readme)![1])
    expect(0.8 * plot).toBeLessThan(DEMO_ANALOG_STEPS.intervalS)
    expect(plot).toBeGreaterThan(DEMO_ANALOG_STEPS.durationS)
    // the last analog window ends inside the recording: video frames at 60.5 Hz after a 0.25-s lead-in
    const frames = 4 + DEMO_MOVIES.reduce((a, m) => a + 361 + m.frames, 0)
    const videoEndS = 0.25 + frames / 60.5
    const lastOnsetS = videoEndS + DEMO_ANALOG_STEPS.firstDelayS + (DEMO_ANALOG_STEPS.count - 1) * DEMO_ANALOG_STEPS.intervalS
    expect(lastOnsetS + plot).toBeLessThan(DEMO_ANALOG_DURATION_S)
  })
})
