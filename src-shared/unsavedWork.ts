// When replacing or closing a session would lose work: the one rule the renderer (Open, Open demo,
// Resume, the batch queue's Open, closing the tab) and the desktop shell (closing the window) share.

import type { SessionSnapshot } from './contract'

/**
 * True when the session holds results that are on no disk yet: it was changed since its last save, or
 * it was never saved and a step has completed. A session that was opened and never ran a step holds
 * only the names of its source files, so nothing is lost when it is replaced.
 */
export function hasUnsavedWork(snap: SessionSnapshot | null | undefined): boolean {
  if (!snap) return false
  if (snap.saveState === 'deferred') return snap.completedSteps.length > 0
  return snap.modifiedSinceSave
}

/** One sentence naming what would be lost, for the Save / Discard / Cancel question. */
export function unsavedWorkSummary(snap: SessionSnapshot): string {
  const n = snap.completedSteps.length
  const what = n === 1 ? '1 completed step' : `${n} completed steps`
  return snap.saveState === 'deferred'
    ? `The session ${snap.datasetId} (${what}) has never been saved.`
    : `The session ${snap.datasetId} was changed since it was saved to ${snap.hdf5Path ?? snap.openedFrom ?? 'its archive'}.`
}
