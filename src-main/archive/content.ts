// What an archive holds, independent of how it is laid out on disk.

import type { GroupNode, LeafNode, TreeNode } from '../../src-shared/tree'

/** Which writer produced an archive (docs/archive-format.md §2.2). */
export type ArchiveFlavour = 'session' | 'immediate' | 'unknown'

export interface ArchiveContent {
  datasetId: string
  createdAt: string
  savedAt: string
  checkpointName?: string
  units: GroupNode
  metadata: GroupNode
  stimulus: GroupNode
  sourceFiles: Map<string, string>
  completedSteps: string[]
  warnings: string[]
  /**
   * Attributes this model does not interpret, written back as read. Keys: the plain name for a root
   * attribute, `pipeline@<name>` for /pipeline, `pipeline/session_info@<name>` for /pipeline/session_info.
   */
  extraRootAttrs: Map<string, LeafNode>
  /** Top-level objects other than units/metadata/stimulus/source_files/pipeline, written back as read. */
  extraGroups?: Map<string, TreeNode>
  /** Set by the reader. */
  flavour?: ArchiveFlavour
  /** Set by the reader: objects it could not represent and left out (e.g. compound datasets). */
  skipped?: string[]
  /** Set by the reader for archives without session_info: the steps inferred from their content. */
  derivedSteps?: boolean
}

/** The Python package version written in `hdmea_version`, as the Python session writer does. */
export const HDMEA_VERSION = '0.1.0'
/** Our writer's own marker (h5py ignores unknown attributes). */
export const WRITER_VERSION_ATTR = 'hdmea_ts_version'
export const WRITER_VERSION = '0.1.0'
export const SCHEMA_ATTR = 'hdmea_archive_schema'
export const SCHEMA = 'session/1'

export const PIPELINE_PREFIX = 'pipeline@'
export const SESSION_INFO_PREFIX = 'pipeline/session_info@'

/** Root attributes the writer sets itself; a value for them in extraRootAttrs is ignored. */
export const WRITER_ROOT_ATTRS = new Set(['dataset_id', 'created_at', 'hdmea_version', WRITER_VERSION_ATTR, SCHEMA_ATTR])

/** Bytes of the numeric and boolean datasets an archive of `c` holds (a save's progress total). */
export function contentArrayBytes(c: ArchiveContent): number {
  const leafBytes = (n: TreeNode): number =>
    n.kind === 'group' ? [...n.children.values()].reduce((a, ch) => a + leafBytes(ch), 0) : n.kind === 'string' ? 0 : n.data.byteLength
  let total = leafBytes(c.units) + leafBytes(c.metadata) + leafBytes(c.stimulus)
  for (const g of c.extraGroups?.values() ?? []) total += leafBytes(g)
  return total
}
