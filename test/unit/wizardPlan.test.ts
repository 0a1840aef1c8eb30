// The wizard's stages (issue 13 items 4, 6, 7): alternatives are one stage with a choice, the chosen
// path decides the sidebar, a failure after a success shows as failed, a load without units is a
// warning, and the landing page is the first stage that can run.
import { describe, expect, it } from 'vitest'
import type { SessionSnapshot, StepInfo, StepState } from '../../src-shared/contract'
import { buildStages, chosenStep, displayState, firstRunnableStage, plainMessage } from '../../src-renderer/wizardPlan'

const step = (id: string, title: string): StepInfo => ({ id, title, description: '', optional: false, params: [], prerequisites: [] })
// The registry's order (src-main/steps/index.ts).
const STEPS = [
  step('load_recording', 'Load recording'),
  step('load_recording_with_eimage_sta', 'Load recording with electrical images'),
  step('add_section_time', 'Section time (playlist)'),
  step('add_section_time_analog', 'Section time (analog)'),
  step('section_spike_times', 'Section spike times'),
  step('compute_sta', 'Visual STA'),
  step('extract_features', 'Extract features'),
]

function snapshot(states: Record<string, StepState>, completed: string[], unitCount = 5): SessionSnapshot {
  return {
    datasetId: 'd',
    saveState: 'deferred',
    modifiedSinceSave: true,
    hdf5Path: null,
    openedFrom: null,
    outputDir: '/out',
    sourceFiles: {},
    unitCount,
    memoryBytes: 0,
    memoryWarningBytes: 1,
    memoryWarning: false,
    completedSteps: completed,
    warnings: [],
    steps: Object.entries(states).map(([id, state]) => ({ id, state, missing: [] })),
    suggestedParams: {},
    runningJob: null,
    createdAt: 't',
    savedAt: null,
  }
}

describe('wizard stages', () => {
  it('makes one Load stage (electrical images first) and one Section-time stage (playlist first)', () => {
    const stages = buildStages(STEPS)
    expect(stages.map((s) => s.id)).toEqual(['load', 'section', 'section_spike_times', 'compute_sta', 'extract_features'])
    expect(stages[0].options.map((o) => o.stepId)).toEqual(['load_recording_with_eimage_sta', 'load_recording'])
    expect(stages[0].choice?.kind).toBe('switch')
    expect(stages[1].options.map((o) => o.stepId)).toEqual(['add_section_time', 'add_section_time_analog'])
    expect(stages[1].choice?.kind).toBe('select')
  })

  it('keeps a lone member of a group as a plain stage when its alternative is not registered', () => {
    const stages = buildStages(STEPS.filter((s) => s.id !== 'load_recording_with_eimage_sta'))
    expect(stages[0]).toMatchObject({ id: 'load_recording', options: [{ stepId: 'load_recording' }] })
    expect(stages[0].choice).toBeUndefined()
  })

  it('runs the chosen alternative, else the one the session completed, else the default', () => {
    const [load] = buildStages(STEPS)
    expect(chosenStep(load, {})).toBe('load_recording_with_eimage_sta')
    expect(chosenStep(load, {}, ['load_recording'])).toBe('load_recording')
    expect(chosenStep(load, { load: 'load_recording_with_eimage_sta' }, ['load_recording'])).toBe('load_recording_with_eimage_sta')
    expect(chosenStep(load, { load: 'not_a_step' })).toBe('load_recording_with_eimage_sta')
  })
})

describe('what the wizard shows for a step', () => {
  it('shows a failure after an earlier success as failed, and a refused run as failed too', () => {
    // The backend reports failed (its lastError) although the step is still in completed_steps.
    const snap = snapshot({ compute_sta: 'failed' }, ['compute_sta'])
    expect(displayState('compute_sta', snap)).toBe('failed')
    const done = snapshot({ compute_sta: 'done' }, ['compute_sta'])
    expect(displayState('compute_sta', done)).toBe('done')
    expect(displayState('compute_sta', done, { refused: true })).toBe('failed')
  })

  it('shows a load that found no units as a warning, other steps as done', () => {
    const snap = snapshot({ load_recording: 'done', extract_features: 'done' }, ['load_recording', 'extract_features'], 0)
    expect(displayState('load_recording', snap)).toBe('warning')
    expect(displayState('extract_features', snap)).toBe('done')
    expect(displayState('load_recording', { ...snap, unitCount: 12 })).toBe('done')
  })

  it('lands on the first stage of the chosen path that can run, or none when all ran', () => {
    const stages = buildStages(STEPS)
    const afterLoad = snapshot(
      {
        load_recording: 'ready',
        load_recording_with_eimage_sta: 'done',
        add_section_time: 'ready',
        add_section_time_analog: 'ready',
        section_spike_times: 'blocked',
        compute_sta: 'blocked',
        extract_features: 'ready',
      },
      ['load_recording_with_eimage_sta'],
    )
    expect(firstRunnableStage(stages, afterLoad, {})?.id).toBe('section')
    const fresh = snapshot({ load_recording: 'ready', load_recording_with_eimage_sta: 'ready' }, [])
    expect(firstRunnableStage(stages, fresh, {})?.id).toBe('load')
    const all = snapshot(Object.fromEntries(STEPS.map((s) => [s.id, 'done' as StepState])), STEPS.map((s) => s.id))
    expect(firstRunnableStage(stages, all, {})).toBeNull()
  })

  it('puts step titles in place of the Python ids in messages', () => {
    expect(plainMessage("add_section_time: parameter 'repeats' must be >= 1 (got 0)", STEPS)).toBe("Section time (playlist): parameter 'repeats' must be >= 1 (got 0)")
    expect(plainMessage('needs load_recording_with_eimage_sta or load_recording', STEPS)).toBe(
      'needs Load recording with electrical images or Load recording',
    )
  })
})
