// The contract of a feature extractor: a pure computation over one unit seen through a read-only view.

import type { TreeNode } from '../../src-shared/tree'
import type { UnitView } from './unitView'

export interface FeatureExtractor {
  /** Registry name, also the group name under units/<id>/features/. */
  name: string
  /** Stored as features/<name>/metadata/extractor_version. */
  version: string
  /**
   * Inputs as view paths: 'unit/<path>', 'metadata/<path>' or 'stimulus/<path>' ('@name' as the last
   * segment names an attribute). Metadata and stimulus inputs are checked once per run, unit inputs per unit.
   */
  requiredInputs: string[]
  description: string
  /** Result keys become datasets (or groups) under features/<name>/data/. Must not modify the view's data. */
  extract(view: UnitView): Record<string, TreeNode>
}
