// Recording pairs (issue 13 items 2 and 3): X.cmcr pairs with X-.cmtr or X.cmtr in the same folder.
import { describe, expect, it } from 'vitest'
import { pairMismatch, partnerCandidates, recordingStem, uniqueRecordings } from '../../src-renderer/pairing'

describe('recording pairs', () => {
  it('names the partner files to look for, the vendor spelling (trailing "-") first', () => {
    expect(partnerCandidates('/data/set6/2025.04.10-11.12.57-Rec.cmcr')).toEqual([
      '/data/set6/2025.04.10-11.12.57-Rec-.cmtr',
      '/data/set6/2025.04.10-11.12.57-Rec.cmtr',
    ])
    expect(partnerCandidates('/data/set6/2025.04.10-11.12.57-Rec-.cmtr')).toEqual(['/data/set6/2025.04.10-11.12.57-Rec.cmcr'])
    expect(partnerCandidates('/data/set6/X.cmtr')).toEqual(['/data/set6/X.cmcr'])
    expect(partnerCandidates('O:\\2025\\set6\\X-Rec.CMCR')).toEqual(['O:\\2025\\set6\\X-Rec-.cmtr', 'O:\\2025\\set6\\X-Rec.cmtr'])
    expect(partnerCandidates('/data/notes.txt')).toEqual([])
  })

  it('takes the recording name without the extension and the .cmtr dash', () => {
    expect(recordingStem('/a/X-Rec-.cmtr')).toBe('X-Rec')
    expect(recordingStem('/a/X-Rec.cmcr')).toBe('X-Rec')
  })

  it('accepts a pair and names what differs otherwise', () => {
    expect(pairMismatch('/a/X.cmcr', '/a/X-.cmtr')).toBeNull()
    expect(pairMismatch('/a/X.cmcr', '/a/X.cmtr')).toBeNull()
    expect(pairMismatch('O:\\Set6\\X.cmcr', 'o:\\set6\\X-.cmtr')).toBeNull()
    expect(pairMismatch('/a/X.cmcr', '')).toBeNull()
    expect(pairMismatch('/a/X.cmcr', '/b/X-.cmtr')).toContain('different folders')
    expect(pairMismatch('/a/X.cmcr', '/a/Y-.cmtr')).toContain('their names differ (X / Y)')
    const both = pairMismatch('/a/X.cmcr', '/b/Y-.cmtr')!
    expect(both).toContain('different folders')
    expect(both).toContain('names differ')
  })

  it('lists each recording once among the recent ones, the most recent opening first', () => {
    const r = (cmcrPath: string | null, cmtrPath: string | null, datasetId: string) => ({ cmcrPath, cmtrPath, datasetId })
    const recent = [
      r('/a/X.cmcr', '/a/X-.cmtr', 'X'),
      r('/a/X.cmcr', null, 'X'), // the same recording opened raw only earlier
      r(null, '/a/X-.cmtr', 'X'),
      r('/b/X.cmcr', '/b/X-.cmtr', 'X'), // same name, another folder: another recording
      r('O:\\Set6\\Y.cmcr', 'O:\\Set6\\Y-.cmtr', 'Y'),
      r('o:\\set6\\Y.cmcr', null, 'Y'),
    ]
    expect(uniqueRecordings(recent)).toEqual([recent[0], recent[3], recent[4]])
  })
})
