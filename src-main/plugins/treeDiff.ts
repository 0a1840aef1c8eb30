// What a Python step changed in its archive. The archive is read right after the workbench wrote it, and
// only a digest per dataset and attribute is kept (so a large session is not held twice). It is read
// again after the script ran; every dataset or attribute that is new or whose digest differs is a change.
// Both reads go through the same codec, so an untouched object never counts as changed.
// Deletions are not carried over: a step adds or replaces, it never loses data already in the session.

import { createHash } from 'node:crypto'
import type { GroupNode, LeafNode, TreeNode } from '../../src-shared/tree'

export type TreeChange =
  | { kind: 'node'; path: string[]; node: TreeNode }
  | { kind: 'attr'; path: string[]; name: string; value: LeafNode }

/** Path -> 'group' for groups, a content digest for datasets and attributes. */
export type TreeDigest = Map<string, string>

const GROUP = 'group'
// Attribute keys join the object's path and the name with NUL, which no HDF5 name can contain.
const attrKey = (path: string, name: string) => `${path}\u0000${name}`
const childPath = (path: string, name: string) => (path ? `${path}/${name}` : name)

export function leafDigest(leaf: LeafNode): string {
  const h = createHash('sha1')
  h.update(JSON.stringify([leaf.kind, leaf.kind === 'numeric' ? leaf.dtype : '', leaf.shape]))
  if (leaf.kind === 'string') h.update(JSON.stringify(leaf.data))
  else h.update(new Uint8Array(leaf.data.buffer, leaf.data.byteOffset, leaf.data.byteLength))
  for (const [name, value] of [...(leaf.attrs ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    h.update(`\u0000${name}\u0000${leafDigest(value)}`)
  }
  return h.digest('hex')
}

export function digestGroup(g: GroupNode, path = '', out: TreeDigest = new Map()): TreeDigest {
  out.set(path, GROUP)
  for (const [name, value] of g.attrs) out.set(attrKey(path, name), leafDigest(value))
  for (const [name, node] of g.children) {
    const p = childPath(path, name)
    if (node.kind === 'group') digestGroup(node, p, out)
    else out.set(p, leafDigest(node))
  }
  return out
}

/** The changes that turn the tree `before` was taken of into `after` (additions and replacements only). */
export function diffFromDigest(before: TreeDigest, after: GroupNode, path: string[] = [], out: TreeChange[] = []): TreeChange[] {
  const here = path.join('/')
  for (const [name, value] of after.attrs) {
    if (before.get(attrKey(here, name)) !== leafDigest(value)) out.push({ kind: 'attr', path, name, value })
  }
  for (const [name, node] of after.children) {
    const old = before.get(childPath(here, name))
    const p = [...path, name]
    if (node.kind === 'group' && old === GROUP) diffFromDigest(before, node, p, out)
    else if (node.kind === 'group' || old !== leafDigest(node)) out.push({ kind: 'node', path: p, node })
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
