// The batch CLI's table of items (the same for a local run, --status and --wait).

import { countStates, type BatchItem } from '../../src-shared/batchModel'

export const fmtSeconds = (s: number) => (s >= 90 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${s.toFixed(1)} s`)

export function itemDetail(item: Pick<BatchItem, 'state' | 'error' | 'note' | 'outputPath'>): string {
  if (item.state === 'failed' && item.error) return `${item.error.step ? `${item.error.step}: ` : ''}${item.error.message}`
  if (item.state === 'done') return item.outputPath
  return item.note ?? ''
}

/** One row per item; with `cluster`, the SLURM task and its scheduler state as well. */
export function summaryTable(items: readonly BatchItem[], opts: { cluster?: boolean } = {}): string {
  const task = (i: BatchItem) => (i.cluster ? `${i.cluster.jobId}_${i.cluster.arrayTaskId}${i.cluster.schedulerState ? ` ${i.cluster.schedulerState}` : ''}` : '-')
  const rows = items.map((i) => [i.id, i.state, i.state === 'skipped' || i.state === 'queued' ? '-' : fmtSeconds(i.elapsedS), ...(opts.cluster ? [task(i)] : []), itemDetail(i)])
  const header = ['recording', 'state', 'time', ...(opts.cluster ? ['slurm task'] : []), 'detail']
  const last = header.length - 1
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)))
  widths[last] = header[last].length
  const line = (cells: string[]) => cells.map((cell, c) => (c === last ? cell : cell.padEnd(widths[c]))).join('  ')
  const counts = countStates(items)
  const totals =
    `${counts.done} done, ${counts.skipped} skipped, ${counts.failed} failed, ${counts.cancelled} cancelled, ${counts.queued} queued` +
    (opts.cluster ? `, ${counts.running} running` : '')
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '', totals].join('\n')
}
