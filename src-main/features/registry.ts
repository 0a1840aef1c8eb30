// The feature registry: extractors by name. Built-in extractors live one per file in ./extractors/
// and are listed in ./extractors/index.ts.

import { ConfigurationError } from '../../src-shared/errors'
import type { FeatureExtractor } from './types'
import { parseViewPath } from './unitView'
import { BUILTIN_EXTRACTORS } from './extractors'

export class FeatureRegistry {
  private readonly byName = new Map<string, FeatureExtractor>()

  register(extractor: FeatureExtractor): void {
    if (!/^[A-Za-z0-9_.-]+$/.test(extractor.name)) {
      throw new ConfigurationError(`Feature name '${extractor.name}' is not a valid group name`)
    }
    const existing = this.byName.get(extractor.name)
    if (existing) throw new ConfigurationError(`Feature '${extractor.name}' is already registered`)
    for (const p of extractor.requiredInputs) parseViewPath(p)
    this.byName.set(extractor.name, extractor)
  }

  has(name: string): boolean {
    return this.byName.has(name)
  }

  get(name: string): FeatureExtractor {
    const ex = this.byName.get(name)
    if (!ex) {
      throw new ConfigurationError(`Unknown feature: '${name}'. Available features: ${this.list().join(', ') || '(none)'}`, {
        parameter: 'features',
      })
    }
    return ex
  }

  list(): string[] {
    return [...this.byName.keys()].sort()
  }
}

/** The registry the extract_features step uses, holding every built-in extractor. */
export const featureRegistry = new FeatureRegistry()
for (const ex of BUILTIN_EXTRACTORS) featureRegistry.register(ex)
