// Small generated recordings for the batch tests: the demo playlist (so the default recipe's stimulus
// files apply), a short sensor movie, each recording in its own folder with its noise movie in stimuli/.

import { join } from 'node:path'
import { DEMO_ANALOG_STEPS, DEMO_MOVIES } from '../../src-main/demoSet'
import { generateRecording, type GeneratedRecording } from '../../src-worker/synthetic/generator'

export const BATCH_UNITS = 6

export async function generateBatchRecordings(root: string, names: string[]): Promise<GeneratedRecording[]> {
  const out: GeneratedRecording[] = []
  for (const [i, name] of names.entries()) {
    const dir = join(root, name)
    out.push(
      await generateRecording({
        dir,
        stem: name,
        seed: 700 + i,
        samplingRate: 5000,
        analogDurationS: 140,
        sensorDurationS: 0.05,
        nUnits: BATCH_UNITS,
        rfUnits: 3,
        playlist: DEMO_MOVIES,
        analogSteps: DEMO_ANALOG_STEPS,
        stimulusDir: join(dir, 'stimuli'),
        truthSpikes: false,
      }),
    )
  }
  return out
}
