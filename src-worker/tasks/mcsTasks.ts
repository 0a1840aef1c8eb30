// Worker tasks of load_recording: summaries of the .cmcr/.cmtr, the light reference with frame
// detection, and batches of units. Errors travel back as plain data ({ error }) because a thrown
// error loses its code and path when it crosses the thread boundary.

import { move, transferableSymbol, valueSymbol } from 'piscina'
import { WorkbenchError } from '../../src-shared/errors'
import type { CmtrUnitRef } from '../mcs/cmtrReader'
import { type CmcrSummary, type CmtrSummary, type LightResult, type UnitResult, collectBuffers, loadLight, loadUnits, summariseCmcr, summariseCmtr } from '../mcs/recordingLoad'

export interface TaskError {
  error: { code: string; message: string; path?: string; name: string }
}

export type TaskResult<T> = T | TaskError

function asTaskError(err: unknown): TaskError {
  if (err instanceof WorkbenchError) return { error: { code: err.code, message: err.message, path: err.path, name: err.name } }
  const e = err as Error
  return { error: { code: 'ERROR', message: e?.message ?? String(err), name: e?.name ?? 'Error' } }
}

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
