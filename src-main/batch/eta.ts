// Time estimates of the batch: per step, per running item, and for the whole queue. Pure computation
// over the items' progress and the step times measured so far in this batch.

import type { BatchItem } from '../../src-shared/batchModel'
import type { Recipe } from './recipe'

/** Mean wall time of each step over the recordings of this batch that ran it. */
export class StepTimes {
  private readonly seconds = new Map<string, { sum: number; n: number }>()

  record(step: string, seconds: number): void {
    const s = this.seconds.get(step) ?? { sum: 0, n: 0 }
    s.sum += seconds
    s.n++
    this.seconds.set(step, s)
  }

  mean(step: string): number | null {
    const s = this.seconds.get(step)
    return s ? s.sum / s.n : null
  }
}

/** Seconds left for a running item: from the steps' mean times in this batch, else from its own progress. */
export function itemEta(item: BatchItem, recipe: Recipe, times: StepTimes, stepElapsed: number): number | null {
  const p = item.progress
  if (!p || item.state !== 'running') return null
  const remainingSteps = recipe.steps
    .slice(p.stepIndex + 1)
    .map((s) => s.step)
    .filter((s) => !item.completedSteps.includes(s))
  const current = p.stepId ? (p.fraction >= 0.02 ? (stepElapsed * (1 - p.fraction)) / p.fraction : times.mean(p.stepId)) : 0
  const later = remainingSteps.map((s) => times.mean(s))
  if (current !== null && later.every((x) => x !== null)) return current + (later as number[]).reduce((a, b) => a + b, 0)
  const overall = (p.stepIndex + p.fraction) / p.stepCount
  return overall >= 0.02 ? (item.elapsedS * (1 - overall)) / overall : null
}

/** Seconds until the queue is through, from the mean time of the items done so far. */
export function queueEta(items: readonly BatchItem[], concurrency: number): number | null {
  const done = items.filter((i) => i.state === 'done')
  const queued = items.filter((i) => i.state === 'queued').length
  const running = items.filter((i) => i.state === 'running')
  if (queued === 0 && running.length === 0) return 0
  const mean = done.length ? done.reduce((a, i) => a + i.elapsedS, 0) / done.length : null
  if (queued > 0 && mean === null) return null
  const runningLeft = running.reduce((a, i) => a + (i.etaS ?? mean ?? 0), 0)
  return (runningLeft + queued * (mean ?? 0)) / Math.max(1, concurrency)
}
