// The parts a plugin step shares with the built-in steps, whatever its language: parameters in the
// framework's ParamSpec form and prerequisites as "any of" groups.

import { type ParamSpec, type StepDefinition, resolveParams } from '../steps/framework'
import type { PluginParam } from './schema'

/** Steps that count as each other when named as a prerequisite: either loader loads the recording. */
const EQUIVALENT: Record<string, string[]> = {
  load_recording: ['load_recording', 'load_recording_with_eimage_sta'],
}

export function toParamSpec(p: PluginParam): ParamSpec {
  return {
    name: p.name,
    label: p.label ?? p.name.replace(/_/g, ' '),
    type: p.type,
    default: p.default === undefined ? null : p.default,
    help: p.help ?? '',
    optional: p.optional,
    min: p.min,
    max: p.max,
    exclusiveMin: p.exclusiveMin,
    choices: p.choices,
    integer: p.integer,
  }
}

export function toPrerequisites(list: Array<string | string[]>): string[][] {
  return list.map((entry) => {
    const group = typeof entry === 'string' ? [entry] : entry
    return [...new Set(group.flatMap((id) => EQUIVALENT[id] ?? [id]))]
  })
}

/** The fields every plugin step declares the same way, in the form of the built-in steps' definitions. */
export function commonStepFields(m: {
  id: string
  title: string
  description: string
  optional?: boolean
  params: PluginParam[]
  prerequisites: Array<string | string[]>
}): Pick<StepDefinition, 'id' | 'title' | 'description' | 'optional' | 'params' | 'prerequisites'> {
  return {
    id: m.id,
    title: m.title,
    description: m.description,
    optional: m.optional,
    params: m.params.map(toParamSpec),
    prerequisites: toPrerequisites(m.prerequisites),
  }
}

/** Problems a schema cannot see: duplicate names, enums without choices, defaults that break their own rules. */
export function checkParamRules(def: Pick<StepDefinition, 'id' | 'params'>): string | null {
  const seen = new Set<string>()
  for (const p of def.params) {
    if (seen.has(p.name)) return `parameter '${p.name}' is declared twice`
    seen.add(p.name)
    if (p.type === 'enum' && !p.choices?.length) return `parameter '${p.name}' is an enum without choices`
    if (p.min !== undefined && p.max !== undefined && p.min > p.max) return `parameter '${p.name}' has min > max`
    if (p.default === null) continue
    try {
      resolveParams({ ...def, title: '', description: '', prerequisites: [], params: [p], run: async () => ({ summary: '', apply() {} }) }, {})
    } catch (err) {
      return `the default of '${p.name}' is invalid: ${(err as Error).message}`
    }
  }
  return null
}
