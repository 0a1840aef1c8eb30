// The wizard's stages: the registered steps in pipeline order, where steps that are alternatives of each
// other (load with or without electrical images; section time from the playlist or from the analog
// signal) are one stage with a choice, so the sidebar shows only the chosen path. Pure functions over
// the step list and the session snapshot; the components only draw what these return.

import type { SessionSnapshot, StepInfo, StepStatus } from '../src-shared/contract'

export interface StageOption {
  stepId: string
  /** How the choice reads in the stage's switch or selector. */
  label: string
}

export interface WizardStage {
  /** 'load', 'section', or the id of a step that has no alternative. */
  id: string
  title: string
  /** The alternatives, the default first; one entry for a step without alternatives. */
  options: StageOption[]
  /** How the choice is offered: a switch (two options, on = the first) or a selector. */
  choice?: { kind: 'switch'; label: string } | { kind: 'select'; label: string }
}

interface Group {
  id: string
  title: string
  options: StageOption[]
  choice: NonNullable<WizardStage['choice']>
}

/** The alternatives the pipeline has; a group shows only the members this build registers. */
const GROUPS: Group[] = [
  {
    id: 'load',
    title: 'Load recording',
    options: [
      { stepId: 'load_recording_with_eimage_sta', label: 'with electrical images' },
      { stepId: 'load_recording', label: 'without electrical images' },
    ],
    choice: { kind: 'switch', label: 'Electrical images (STA of the sensor movie around each spike)' },
  },
  {
    id: 'section',
    title: 'Section time',
    options: [
      { stepId: 'add_section_time', label: 'Playlist (frame times of the light reference)' },
      { stepId: 'add_section_time_analog', label: 'Analog (threshold crossings of the light signal)' },
    ],
    choice: { kind: 'select', label: 'Sections from' },
  },
]

/** Steps whose success means units were loaded: a load finding none is a warning, not a success. */
export const LOAD_STEPS = new Set(['load_recording', 'load_recording_with_eimage_sta'])

export function buildStages(steps: StepInfo[]): WizardStage[] {
  const registered = new Set(steps.map((s) => s.id))
  const stages: WizardStage[] = []
  const placed = new Set<string>()
  for (const step of steps) {
    if (placed.has(step.id)) continue
    const group = GROUPS.find((g) => g.options.some((o) => o.stepId === step.id))
    const options = group?.options.filter((o) => registered.has(o.stepId)) ?? []
    if (group && options.length > 1) {
      stages.push({ id: group.id, title: group.title, options, choice: group.choice })
      for (const o of options) placed.add(o.stepId)
    } else {
      stages.push({ id: step.id, title: step.title, options: [{ stepId: step.id, label: step.title }] })
      placed.add(step.id)
    }
  }
  return stages
}

/** The step a stage runs: the user's choice, else the alternative the session already completed, else the default. */
export function chosenStep(stage: WizardStage, choices: Record<string, string>, completed: readonly string[] = []): string {
  const picked = choices[stage.id]
  if (picked && stage.options.some((o) => o.stepId === picked)) return picked
  return stage.options.find((o) => completed.includes(o.stepId))?.stepId ?? stage.options[0].stepId
}

export type DisplayState = 'done' | 'warning' | 'ready' | 'blocked' | 'running' | 'failed' | 'skipped'

/** Words for each state: the sidebar and the chips show them beside the icon, never colour alone. */
export const STATE_TEXT: Record<DisplayState, string> = {
  done: 'done',
  warning: 'done, with a warning',
  ready: 'ready to run',
  blocked: 'waiting for an earlier step',
  running: 'running',
  failed: 'failed',
  skipped: 'skipped',
}

export const STATE_ICON: Record<DisplayState, string> = {
  done: '✓',
  warning: '!',
  ready: '○',
  blocked: '·',
  running: '⟳',
  failed: '✕',
  skipped: '↷',
}

/**
 * What the wizard shows for one step: a refused run or a failure wins over an earlier success (the old
 * results may still be in the session, but the last thing the user asked for did not happen), and a
 * load that found no units is a warning.
 */
export function displayState(
  stepId: string,
  snap: SessionSnapshot | null,
  opts: { skipped?: readonly string[]; refused?: boolean } = {},
): DisplayState {
  const status: StepStatus | undefined = snap?.steps.find((s) => s.id === stepId)
  if (!status) return 'blocked'
  if (status.state === 'running') return 'running'
  // A refused re-run of a done step must not leave "done" beside its error; a refused run of a step
  // that never ran (its prerequisites are missing) keeps its state, the page shows why.
  if (status.state === 'failed' || (opts.refused && status.state === 'done')) return 'failed'
  if (status.state === 'done') return LOAD_STEPS.has(stepId) && snap!.unitCount === 0 ? 'warning' : 'done'
  if (opts.skipped?.includes(stepId)) return 'skipped'
  return status.state
}

/** The first stage on the chosen path that can run and has not, or null when none is left. */
export function firstRunnableStage(stages: WizardStage[], snap: SessionSnapshot | null, choices: Record<string, string>): WizardStage | null {
  if (!snap) return null
  const completed = snap.completedSteps
  return stages.find((st) => snap.steps.find((s) => s.id === chosenStep(st, choices, completed))?.state === 'ready') ?? null
}

/** Replaces step ids in a backend message with their titles ("add_section_time: …" -> "Section time (playlist): …"). */
export function plainMessage(text: string, steps: StepInfo[]): string {
  // Longest ids first, so load_recording does not eat the start of load_recording_with_eimage_sta.
  const byLength = [...steps].sort((a, b) => b.id.length - a.id.length)
  let out = text
  for (const s of byLength) out = out.replace(new RegExp(`(^|[^\\w])${s.id}(?![\\w])`, 'g'), `$1${s.title}`)
  return out
}
