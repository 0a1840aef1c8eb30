// What a Python step changed in its archive: the archive is read right after the workbench wrote it
// (before) and again after the script ran (after); every dataset or attribute that is new or different
// is a change. Comparing two reads of the same codec means an untouched object never counts as changed.
// Deletions are not carried over: a step adds or replaces, it never loses data already in the session.

import type { GroupNode, LeafNode, TreeNode } from '../../src-shared/tree'

export type TreeChange =
  | { kind: 'node'; path: string[]; node: TreeNode }
  | { kind: 'attr'; path: string[]; name: string; value: LeafNode }

function sameData(a: ArrayLike<unknown>, b: ArrayLike<unknown>): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false
  return true
}

function sameAttrs(a: Map<string, LeafNode> | undefined, b: Map<string, LeafNode> | undefined): boolean {
  const x = a ?? new Map<string, LeafNode>()
  const y = b ?? new Map<string, LeafNode>()
  if (x.size !== y.size) return false
  for (const [k, v] of x) {
    const w = y.get(k)
    if (!w || !sameLeaf(v, w)) return false
  }
  return true
}

export function sameLeaf(a: LeafNode, b: LeafNode): boolean {
  if (a.kind !== b.kind) return false
  if (a.kind === 'numeric' && b.kind === 'numeric' && a.dtype !== b.dtype) return false
  if (!sameData(a.shape, b.shape)) return false
  return sameData(a.data as ArrayLike<unknown>, b.data as ArrayLike<unknown>) && sameAttrs(a.attrs, b.attrs)
}

/** The changes that turn `before` into `after` (additions and replacements only). */
export function diffGroups(before: GroupNode | undefined, after: GroupNode, path: string[] = [], out: TreeChange[] = []): TreeChange[] {
  for (const [name, value] of after.attrs) {
    const old = before?.attrs.get(name)
    if (!old || !sameLeaf(old, value)) out.push({ kind: 'attr', path, name, value })
  }
  for (const [name, node] of after.children) {
    const old = before?.children.get(name)
    const here = [...path, name]
    if (node.kind === 'group' && old?.kind === 'group') diffGroups(old, node, here, out)
    else if (!old || old.kind === 'group' || node.kind === 'group' || !sameLeaf(old, node)) out.push({ kind: 'node', path: here, node })
  }
  return out
}

/** Applies changes to a session tree, making groups on the way (replacing a dataset that stands where a group now is). */
export function applyChanges(root: GroupNode, changes: TreeChange[]): void {
  for (const c of changes) {
    let g = root
    const way = c.kind === 'node' ? c.path.slice(0, -1) : c.path
    for (const part of way) {
      let next = g.children.get(part)
      if (!next || next.kind !== 'group') {
        next = { kind: 'group', children: new Map(), attrs: new Map() }
        g.children.set(part, next)
      }
      g = next
    }
    if (c.kind === 'node') g.children.set(c.path[c.path.length - 1], c.node)
    else g.attrs.set(c.name, c.value)
  }
}

/** "units/unit_001/features/x" style names of the changed objects, for the step's summary and log. */
export function describeChanges(tree: string, changes: TreeChange[]): string[] {
  return changes.map((c) => (c.kind === 'node' ? [tree, ...c.path].join('/') : `${[tree, ...c.path].join('/')}@${c.name}`))
}
