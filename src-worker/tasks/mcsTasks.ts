// Worker tasks of load_recording: summaries of the .cmcr/.cmtr, the light reference with frame
// detection, and batches of units; and the spike sets of load_recording_with_eimage_sta. Errors travel
// back as plain data ({ error }) because a thrown error loses its code and path when it crosses the
// thread boundary.

import { move, transferableSymbol, valueSymbol } from 'piscina'
import type { CmtrUnitRef } from '../mcs/cmtrReader'
import { type TaskResult, asTaskError } from './taskError'
import { type EimageSpikeSets, type EimageSpikesRequest, readEimageSpikes } from '../mcs/eimageSpikes'
import { type CmcrSummary, type CmtrSummary, type LightResult, type UnitResult, collectBuffers, loadLight, loadUnits, summariseCmcr, summariseCmtr } from '../mcs/recordingLoad'

export type { TaskError, TaskResult } from './taskError'

export async function mcsCmcrSummary(args: { path: string }): Promise<TaskResult<CmcrSummary>> {
  try {
    return await summariseCmcr(args.path)
  } catch (err) {
    return asTaskError(err)
  }
}

export async function mcsCmtrSummary(args: { path: string }): Promise<TaskResult<CmtrSummary>> {
  try {
    return await summariseCmtr(args.path)
  } catch (err) {
    return asTaskError(err)
  }
}

export async function mcsLoadLight(args: { path: string; rate: number }) {
  let result: LightResult
  try {
    result = await loadLight(args.path, args.rate)
  } catch (err) {
    return asTaskError(err)
  }
  const buffers = collectBuffers(result.lightReference)
  if (result.frameTimestamps) buffers.add(result.frameTimestamps.buffer as ArrayBuffer)
  return move({ [transferableSymbol]: [...buffers], [valueSymbol]: result } as any)
}

export async function mcsLoadUnits(args: { path: string; units: CmtrUnitRef[]; rate: number; durationUs: number | null; peaksData?: boolean }) {
  let units: UnitResult[]
  try {
    units = await loadUnits(args.path, args.units, args.rate, args.durationUs, { peaksData: args.peaksData ?? true })
  } catch (err) {
    return asTaskError(err)
  }
  const buffers = new Set<ArrayBuffer>()
  for (const u of units) collectBuffers(u.node, buffers)
  return move({ [transferableSymbol]: [...buffers], [valueSymbol]: { units } } as any)
}

/** The electrical image's spike set of every unit (src-worker/mcs/eimageSpikes.ts). */
export async function mcsEimageSpikes(args: EimageSpikesRequest) {
  let sets: EimageSpikeSets
  try {
    sets = await readEimageSpikes(args)
  } catch (err) {
    return asTaskError(err)
  }
  return move({ [transferableSymbol]: sets.units.map((u) => u.spikes.buffer), [valueSymbol]: sets } as any)
}
