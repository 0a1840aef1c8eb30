// extract_features: runs registered feature extractors on every unit (docs/archive-format.md §4.4).
// Results go to units/<id>/features/<name>/data/<key> with metadata {extractor_version, extracted_at}.

import { ConfigurationError, throwIfAborted } from '../../src-shared/errors'
import { isoNow } from '../session/session'
import { type TreeNode, group, str } from '../../src-shared/tree'
import { featureRegistry, type FeatureRegistry } from '../features/registry'
import { UnitView, parseViewPath } from '../features/unitView'
import type { FeatureExtractor } from '../features/types'
import type { StepDefinition } from './framework'

export interface ExtractFeaturesParams extends Record<string, unknown> {
  features: string[]
  force: boolean
}

function hasFeature(unit: TreeNode | undefined, name: string): boolean {
  if (unit?.kind !== 'group') return false
  const features = unit.children.get('features')
  return features?.kind === 'group' && features.children.has(name)
}

/** Inputs outside the unit are the same for every unit: a missing one stops the step before any work. */
function checkSharedInputs(ex: FeatureExtractor, view: UnitView): void {
  const missing = ex.requiredInputs.filter((p) => parseViewPath(p).scope !== 'unit' && !view.has(p))
  if (missing.length > 0) {
    throw new ConfigurationError(`extract_features: feature '${ex.name}' needs ${missing.join(', ')}, which the session does not have`)
  }
}

export function makeExtractFeaturesStep(registry: FeatureRegistry): StepDefinition<ExtractFeaturesParams> {
  return {
    id: 'extract_features',
    title: 'Extract features',
    description: 'Runs the chosen feature extractors on every unit; features present in every unit are skipped unless forced.',
    params: [
      {
        name: 'features',
        label: 'Features',
        type: 'stringList',
        default: ['frif'],
        help: `Registered feature names (available: ${registry.list().join(', ')}).`,
        check: (v) => ((v as string[]).length === 0 ? 'must name at least one feature' : null),
      },
      {
        name: 'force',
        label: 'Recompute existing',
        type: 'boolean',
        default: false,
        help: 'Recompute a feature even when every unit already has it.',
      },
    ],
    prerequisites: [['load_recording', 'load_recording_with_eimage_sta']],
    validate(p) {
      for (const name of p.features) registry.get(name)
    },
    async run(session, params, ctx) {
      const unitIds = session.unitIds()
      if (unitIds.length === 0) {
        ctx.warn('No units found in session')
        return { summary: 'no units', apply() {} }
      }
      const extractors = params.features.map((n) => registry.get(n))
      const firstView = new UnitView(session, unitIds[0])
      for (const ex of extractors) checkSharedInputs(ex, firstView)

      const results = new Map<string, Map<string, Record<string, TreeNode>>>()
      const skipped: string[] = []
      const failures = new Map<string, number>()
      const total = extractors.length * unitIds.length
      let done = 0
      let lastReport = 0
      for (const ex of extractors) {
        if (!params.force && unitIds.every((id) => hasFeature(session.units.children.get(id), ex.name))) {
          skipped.push(ex.name)
          done += unitIds.length
          continue
        }
        const perUnit = new Map<string, Record<string, TreeNode>>()
        const unitInputs = ex.requiredInputs.filter((p) => parseViewPath(p).scope === 'unit')
        for (const unitId of unitIds) {
          throwIfAborted(ctx.signal)
          const view = new UnitView(session, unitId)
          try {
            const missing = unitInputs.filter((p) => !view.has(p))
            if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}`)
            perUnit.set(unitId, ex.extract(view))
          } catch (err) {
            ctx.warn(`Failed ${ex.name} for ${unitId}: ${err instanceof Error ? err.message : String(err)}`)
            failures.set(ex.name, (failures.get(ex.name) ?? 0) + 1)
          }
          done++
          const now = performance.now()
          if (now - lastReport > 100) {
            lastReport = now
            ctx.progress({ fraction: done / total, message: `${ex.name}: ${unitId}` })
            // Let cancel and progress events through on long unit lists.
            await new Promise((r) => setImmediate(r))
          }
        }
        results.set(ex.name, perUnit)
      }

      const extractedAt = isoNow()
      const parts = [...results].map(([name, per]) => {
        const failed = failures.get(name) ?? 0
        return `${name} for ${per.size} units${failed ? ` (${failed} failed)` : ''}`
      })
      if (skipped.length) parts.push(`skipped ${skipped.join(', ')} (present in every unit; force to recompute)`)
      return {
        summary: parts.join('; '),
        apply(s) {
          for (const [name, per] of results) {
            const version = registry.get(name).version
            for (const [unitId, data] of per) {
              s.addFeature(unitId, name, group(data), { extractor_version: str(version), extracted_at: str(extractedAt) })
            }
          }
        },
      }
    },
  }
}

export const extractFeaturesStep = makeExtractFeaturesStep(featureRegistry)
