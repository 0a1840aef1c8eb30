// Worker task that writes a synthetic recording (the demo set), so its HDF5 writing never runs on the
// main thread. Only the paths come back; the ground truth is in the written .truth.json.

import { type GeneratorOptions, generateRecording } from '../synthetic/generator'
import { type TaskResult, asTaskError } from './taskError'

export interface SyntheticWritten {
  cmcrPath: string
  cmtrPath: string
  truthPath: string
}

export async function syntheticRecording(args: GeneratorOptions): Promise<TaskResult<SyntheticWritten>> {
  try {
    const rec = await generateRecording(args)
    return { cmcrPath: rec.cmcrPath, cmtrPath: rec.cmtrPath, truthPath: rec.truthPath }
  } catch (err) {
    return asTaskError(err)
  }
}
