// Geometry of the grid charts (heatmaps, chip map) and small wording helpers: pure functions, so the
// rules (square cells, labels that never overlap) are tested without a browser.

export interface Margins {
  left: number
  right: number
  top: number
  bottom: number
}

export interface SquareGrid {
  left: number
  top: number
  width: number
  height: number
  /** Side of one cell in pixels (equal in x and y). */
  cell: number
}

/**
 * The largest grid of `rows` x `cols` square cells that fits a `width` x `height` chart inside the
 * margins, centred horizontally in the space left between them.
 */
export function squareGrid(width: number, height: number, rows: number, cols: number, m: Margins): SquareGrid {
  const availW = Math.max(0, width - m.left - m.right)
  const availH = Math.max(0, height - m.top - m.bottom)
  const cell = rows > 0 && cols > 0 ? Math.max(0, Math.min(availW / cols, availH / rows)) : 0
  const w = cell * cols
  return { left: m.left + (availW - w) / 2, top: m.top, width: w, height: cell * rows, cell }
}

const STEPS = [1, 2, 5, 10, 20, 50, 100]

/** The smallest label step (1, 2, 5, 10, ...) that puts labels at least `minGapPx` apart on cells of `cellPx`. */
export function labelStep(cellPx: number, minGapPx: number): number {
  if (!(cellPx > 0)) return STEPS[STEPS.length - 1]
  return STEPS.find((s) => s * cellPx >= minGapPx) ?? STEPS[STEPS.length - 1]
}

/**
 * Which category labels to show: those whose number (index + base) is a multiple of the step, so
 * electrodes numbered from 1 read 5, 10, ..., 65 and pixels numbered from 0 read 0, 5, 10.
 */
export function showLabel(index: number, base: number, step: number): boolean {
  return (index + base) % step === 0
}

/** 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 22nd, 23rd, 101st, 111th. */
export function ordinal(n: number): string {
  const mod100 = n % 100
  if (mod100 >= 11 && mod100 <= 13) return `${n}th`
  switch (n % 10) {
    case 1:
      return `${n}st`
    case 2:
      return `${n}nd`
    case 3:
      return `${n}rd`
    default:
      return `${n}th`
  }
}
