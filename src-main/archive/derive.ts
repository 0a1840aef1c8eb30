// Archives written by the Python immediate-mode store record no completed steps. To let a loaded
// immediate (or hybrid) archive continue in the wizard, the steps are inferred from the data each step
// leaves behind: a step counts as done only when its output is present.

import type { GroupNode, LeafNode, TreeNode } from '../../src-shared/tree'
import type { ArchiveContent } from './content'

function isGroup(n: TreeNode | undefined): n is GroupNode {
  return n?.kind === 'group'
}

function nonEmpty(n: TreeNode | undefined): boolean {
  return isGroup(n) ? n.children.size > 0 || n.attrs.size > 0 : n !== undefined
}

function units(content: ArchiveContent): GroupNode[] {
  return [...content.units.children.values()].filter(isGroup)
}

function jsonList(leaf: LeafNode | undefined): unknown[] {
  if (leaf?.kind !== 'string' || leaf.data.length !== 1) return []
  try {
    const v = JSON.parse(leaf.data[0]) as unknown
    return Array.isArray(v) ? v : []
  } catch {
    return []
  }
}

export function deriveCompletedSteps(content: ArchiveContent, rootAttrs: Map<string, LeafNode>): string[] {
  const steps = new Set<string>()
  const us = units(content)
  const features = us.map((u) => u.children.get('features')).filter(isGroup)

  if (features.some((f) => f.children.has('eimage_sta'))) steps.add('load_recording_with_eimage_sta')
  else if (us.length > 0 || content.metadata.children.has('acquisition_rate')) steps.add('load_recording')

  if (us.some((u) => u.children.has('unit_meta'))) steps.add('add_cmtr_unit_info')
  const md = content.metadata.children
  if (md.has('sys_meta') || md.has('cmcr_meta') || md.has('cmtr_meta')) steps.add('add_sys_meta_info')
  if (nonEmpty(content.stimulus.children.get('section_time'))) steps.add('add_section_time')
  if (us.some((u) => nonEmpty(u.children.get('spike_times_sectioned')))) steps.add('section_spike_times')
  // Session mode stores features/sta_<movie>/data, immediate mode features/<movie>/sta.
  const hasSta = features.some((f) =>
    [...f.children].some(([name, node]) => name.startsWith('sta_') || (isGroup(node) && node.children.has('sta'))),
  )
  if (hasSta) steps.add('compute_sta')
  if (jsonList(rootAttrs.get('features_extracted')).length > 0) steps.add('extract_features')
  return [...steps].sort()
}
