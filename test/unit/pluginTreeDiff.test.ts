// The change detection of Python steps: digests of the tree as written, compared with the tree the
// script left; only additions and replacements count, and they are applied without touching the rest.

import { describe, expect, it } from 'vitest'
import { applyChanges, diffFromDigest, digestGroup } from '../../src-main/plugins/treeDiff'
import { f32, f64, getNode, group, i64Scalar, str } from '../../src-shared/tree'

const before = () =>
  group(
    {
      unit_1: group({ spike_times: f64([1, 2, NaN]), features: group({ a: group({ data: i64Scalar(3) }) }) }, { row: i64Scalar(4) }),
      note: str('x'),
      gone: f64([1]),
    },
    { version: str('1') },
  )

describe('tree changes', () => {
  it('finds nothing in an identical tree (NaN included), and each kind of change once', () => {
    const digest = digestGroup(before())
    expect(diffFromDigest(digest, before())).toEqual([])
    const after = before()
    after.children.delete('gone') // deletions are not changes
    ;(getNode(after, 'unit_1/spike_times') as { data: Float64Array }).data[2] = 7 // changed data
    after.children.set('note', f32([1])) // changed kind
    ;(after.children.get('unit_1') as ReturnType<typeof group>).attrs.set('row', i64Scalar(5)) // changed attribute
    ;(getNode(after, 'unit_1/features') as ReturnType<typeof group>).children.set('b', group({ data: i64Scalar(1) })) // new group
    after.attrs.set('extra', str('y')) // new attribute
    const changes = diffFromDigest(digest, after)
    expect(changes.map((c) => (c.kind === 'node' ? c.path.join('/') : `${c.path.join('/')}@${c.name}`)).sort()).toEqual(
      ['@extra', 'note', 'unit_1/features/b', 'unit_1/spike_times', 'unit_1@row'].sort(),
    )
    const session = before()
    applyChanges(session, changes)
    expect(getNode(session, 'gone')).toBeDefined()
    expect(Array.from((getNode(session, 'unit_1/spike_times') as { data: Float64Array }).data)).toEqual([1, 2, 7])
    expect(getNode(session, 'note')).toMatchObject({ dtype: 'float32' })
    expect(getNode(session, 'unit_1/features/a/data')).toMatchObject({ data: Float64Array.of(3) })
    expect(getNode(session, 'unit_1/features/b/data')).toMatchObject({ data: Float64Array.of(1) })
    expect((session.children.get('unit_1') as ReturnType<typeof group>).attrs.get('row')).toMatchObject({ data: Float64Array.of(5) })
    expect(session.attrs.get('extra')).toMatchObject({ data: ['y'] })
  })

  it('a dataset attribute change and a dtype change with equal values both count', () => {
    const t = group({ x: f64([1, 2]) })
    const digest = digestGroup(t)
    const withAttr = group({ x: { ...f64([1, 2]), attrs: new Map([['unit', str('ms')]]) } })
    expect(diffFromDigest(digest, withAttr).map((c) => c.kind)).toEqual(['node'])
    expect(diffFromDigest(digest, group({ x: f32([1, 2]) })).length).toBe(1)
  })
})
