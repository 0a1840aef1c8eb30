// Chart geometry and wording: square heatmap cells, label steps that keep electrode labels apart, ordinals.
import { describe, expect, it } from 'vitest'
import { labelStep, ordinal, showLabel, squareGrid } from '../../src-renderer/charts/layout'

describe('squareGrid', () => {
  const m = { left: 40, right: 100, top: 10, bottom: 50 }
  it('height-limited: cells as tall as the height allows, the grid centred in the width', () => {
    // 600 x 400 chart: 460 x 340 available, 65 rows -> 340/65 px cells, narrower than 460/65.
    const g = squareGrid(600, 400, 65, 65, m)
    expect(g.cell).toBeCloseTo(340 / 65, 12)
    expect(g.width).toBeCloseTo(340, 9)
    expect(g.height).toBeCloseTo(340, 9)
    expect(g.left).toBeCloseTo(40 + (460 - 340) / 2, 9)
    expect(g.top).toBe(10)
  })

  it('width-limited and non-square arrays keep square cells', () => {
    // 200 x 400: 60 x 340 available; 15 rows x 30 cols -> cell 2 (60/30), grid 60 x 30.
    const g = squareGrid(200, 400, 15, 30, m)
    expect(g.cell).toBe(2)
    expect([g.width, g.height, g.left]).toEqual([60, 30, 40])
  })

  it('no room or no cells gives an empty grid', () => {
    expect(squareGrid(100, 50, 65, 65, m).cell).toBe(0)
    expect(squareGrid(600, 400, 0, 65, m).cell).toBe(0)
  })
})

describe('labelStep and showLabel', () => {
  it('the smallest 1-2-5 step that keeps labels at least the gap apart', () => {
    expect(labelStep(20, 14)).toBe(1)
    expect(labelStep(8, 14)).toBe(2)
    expect(labelStep(5.2, 14)).toBe(5) // 2 x 5.2 = 10.4 < 14
    expect(labelStep(1.3, 14)).toBe(20) // 10 x 1.3 = 13 < 14
    expect(labelStep(0, 14)).toBe(100)
  })

  it('electrodes from 1 show 5, 10, ... 65; pixels from 0 show 0, 5, 10', () => {
    const electrodes = Array.from({ length: 65 }, (_, i) => i).filter((i) => showLabel(i, 1, 5)).map((i) => i + 1)
    expect(electrodes).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65])
    const pixels = Array.from({ length: 15 }, (_, i) => i).filter((i) => showLabel(i, 0, 5))
    expect(pixels).toEqual([0, 5, 10])
  })
})

describe('ordinal', () => {
  it('English ordinal suffixes', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112].map(ordinal)).toEqual([
      '1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '23rd', '101st', '111th', '112th',
    ])
  })
})
