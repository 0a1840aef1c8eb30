// How the renderer writes numbers for people: durations, byte sizes, chart scale labels, table cells.
// One place, so the same quantity reads the same in the wizard, the batch queue and the charts.

/** Seconds as "7.5 s", "42 s", "3 min 5 s", "2 h 10 min"; `unknown` for null, undefined or not finite. */
export function formatDuration(seconds: number | null | undefined, unknown = '–'): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return unknown
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`
  const m = Math.floor(seconds / 60)
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

/** Bytes in binary units: "512 B", "12 KB", "3.4 MB", "1.25 GB". */
export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GB`
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KB`
  return `${n} B`
}

/** A scale label: whole numbers and values of 100 or more without decimals, others to 3 significant digits. */
export function formatScale(v: number): string {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : Number(v.toPrecision(3)).toString()
}

/** A table cell: '–' when there is no value, fractions to 2 decimals, anything else as it is. */
export function formatCell(v: unknown): string {
  if (v === null || v === undefined) return '–'
  return typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : String(v)
}
