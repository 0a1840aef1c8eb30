import { describe, expect, it } from 'vitest'
import { formatBytes, formatCell, formatDuration, formatScale } from '../../src-renderer/format'

describe('renderer number formats', () => {
  it('durations', () => {
    expect(formatDuration(7.46)).toBe('7.5 s')
    expect(formatDuration(42.4)).toBe('42 s')
    expect(formatDuration(185)).toBe('3 min 5 s')
    expect(formatDuration(2 * 3600 + 10 * 60 + 7)).toBe('2 h 10 min')
    expect(formatDuration(null)).toBe('–')
    expect(formatDuration(Number.NaN, '…')).toBe('…')
  })

  it('bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(12 * 1024 + 100)).toBe('12 KB')
    expect(formatBytes(3.4 * 1024 ** 2)).toBe('3.4 MB')
    expect(formatBytes(1.25 * 1024 ** 3)).toBe('1.25 GB')
  })

  it('scale labels and table cells', () => {
    expect(formatScale(1234.5)).toBe('1235')
    expect(formatScale(7)).toBe('7')
    expect(formatScale(0.012345)).toBe('0.0123')
    expect(formatScale(-3.14159)).toBe('-3.14')
    expect(formatCell(null)).toBe('–')
    expect(formatCell(2.345)).toBe('2.35')
    expect(formatCell(12)).toBe('12')
    expect(formatCell('u_3')).toBe('u_3')
  })
})
