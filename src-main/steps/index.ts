// The step registry: every pipeline step the wizard, the CLI and the batch queue can run, in pipeline order.

import type { StepDefinition } from './framework'
import { loadRecordingStep } from './loadRecording'
import { loadRecordingWithEimageStaStep } from './loadRecordingWithEimageSta'
import { addSectionTimeStep } from './addSectionTime'
import { addSectionTimeAnalogStep } from './addSectionTimeAnalog'
import { sectionSpikeTimesStep } from './sectionSpikeTimes'
import { computeStaStep } from './computeSta'
import { extractFeaturesStep } from './extractFeatures'

export const STEPS: StepDefinition<any>[] = [
  loadRecordingStep,
  loadRecordingWithEimageStaStep,
  addSectionTimeStep,
  addSectionTimeAnalogStep,
  sectionSpikeTimesStep,
  computeStaStep,
  extractFeaturesStep,
]

export function getStep(id: string): StepDefinition<any> {
  const step = STEPS.find((s) => s.id === id)
  if (!step) throw new Error(`Unknown step '${id}'. Available steps: ${STEPS.map((s) => s.id).join(', ') || '(none)'}`)
  return step
}
