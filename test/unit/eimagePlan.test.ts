import { describe, expect, it } from 'vitest'
import { electrodeRanges } from '../../src-worker/eimage/plan'

describe('electrode ranges', () => {
  it('cover all electrodes once, near-equal, inner cuts on whole blocks', () => {
    const r = electrodeRanges(4225, 8, 8)
    expect(r).toHaveLength(8)
    expect(r[0][0]).toBe(0)
    expect(r[7][1]).toBe(4225)
    r.forEach(([a, b], i) => {
      if (i > 0) expect(a).toBe(r[i - 1][1])
      expect(a % 8).toBe(0)
      // 4225 / 8 = 528.1: every range within one block of that.
      expect(Math.abs(b - a - 4225 / 8)).toBeLessThanOrEqual(8)
    })
  })
  it('fewer ranges when there are fewer blocks than parts', () => {
    expect(electrodeRanges(20, 8, 8)).toEqual([[0, 8], [8, 16], [16, 20]])
    expect(electrodeRanges(5, 3, 8)).toEqual([[0, 5]])
  })
  it('without alignment, the old near-equal split', () => {
    expect(electrodeRanges(4225, 2)).toEqual([[0, 2112], [2112, 4225]])
    expect(electrodeRanges(10, 3)).toEqual([[0, 3], [3, 6], [6, 10]])
  })
})
