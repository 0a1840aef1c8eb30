// Read-only views of the session's trees (units, metadata, stimulus) for plugins. Every read returns a
// copy, so a plugin cannot change the session behind the step framework's back (its writes go through
// addFeature/addMetadata/addStimulus and are committed only when the step succeeds).

import { type GroupNode, type TreeNode, getNode } from '../../src-shared/tree'
import { leafValue } from './values'

export interface TreeView {
  /** Child names of the group at `path` ('' = this view's root), in stored order; [] if not a group. */
  keys(path?: string): string[]
  has(path: string): boolean
  /** A dataset's value (copy) or a group's view; undefined if absent. */
  get(path: string): unknown
  /** The attributes of the object at `path` as plain values. */
  attrs(path?: string): Record<string, unknown>
  /** 'group', or a dataset's dtype ('float64', 'uint64', 'string', 'bool', ...); undefined if absent. */
  dtype(path: string): string | undefined
  /** A dataset's shape ([] for a scalar); undefined for groups and absent paths. */
  shape(path: string): number[] | undefined
}

function nodeAt(root: GroupNode, path: string | undefined): TreeNode | undefined {
  return !path ? root : getNode(root, path)
}

export function treeView(root: GroupNode): TreeView {
  return Object.freeze({
    keys(path?: string) {
      const n = nodeAt(root, path)
      return n?.kind === 'group' ? [...n.children.keys()] : []
    },
    has(path: string) {
      return nodeAt(root, path) !== undefined
    },
    get(path: string) {
      const n = nodeAt(root, path)
      if (!n) return undefined
      return n.kind === 'group' ? treeView(n) : leafValue(n)
    },
    attrs(path?: string) {
      const n = nodeAt(root, path)
      const attrs = n?.kind === 'group' ? n.attrs : n?.attrs
      return Object.fromEntries([...(attrs ?? new Map())].map(([k, v]) => [k, leafValue(v)]))
    },
    dtype(path: string) {
      const n = nodeAt(root, path)
      if (!n) return undefined
      return n.kind === 'group' ? 'group' : n.kind === 'numeric' ? n.dtype : n.kind
    },
    shape(path: string) {
      const n = nodeAt(root, path)
      return n && n.kind !== 'group' ? [...n.shape] : undefined
    },
  })
}
