// What a plugin must look like: the step definition a JavaScript plugin exports and the step.json of a
// Python plugin, checked with zod when the plugin is discovered. Unknown keys are errors, so a typo
// ("prerequisite") fails at discovery instead of being silently ignored.

import { z } from 'zod'
import { PARAM_TYPES } from '../../src-shared/stepParams'

export const STEP_ID = /^[a-z][a-z0-9_]*$/
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/


export const pluginParamSchema = z.strictObject({
  name: z.string().regex(PARAM_NAME, 'must be a name of letters, digits and _'),
  type: z.enum(PARAM_TYPES),
  label: z.string().min(1).optional(),
  help: z.string().optional(),
  default: z.unknown().optional(),
  optional: z.boolean().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  exclusiveMin: z.boolean().optional(),
  choices: z.array(z.string()).min(1).optional(),
  integer: z.boolean().optional(),
})

export type PluginParam = z.infer<typeof pluginParamSchema>

/** Each entry is a step id or a list of alternatives ("any of"). */
const prerequisitesSchema = z.array(z.union([z.string().regex(STEP_ID, 'must be a step id'), z.array(z.string().regex(STEP_ID)).min(1)]))

const common = {
  id: z.string().regex(STEP_ID, 'must be a step id: lower-case letters, digits and _, starting with a letter'),
  title: z.string().min(1),
  description: z.string().default(''),
  optional: z.boolean().optional(),
  version: z.string().optional(),
  params: z.array(pluginParamSchema).default([]),
  prerequisites: prerequisitesSchema.default([]),
}

const fn = () => z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: 'must be a function' })

/** The default export of `<name>.mjs`. */
export const jsStepSchema = z.strictObject({
  ...common,
  run: fn(),
  validate: fn().optional(),
})

export type JsStepModule = z.infer<typeof jsStepSchema>

/** `step.json` of a Python plugin folder. */
export const pythonStepSchema = z.strictObject({
  ...common,
  command: z.array(z.string().min(1)).min(1, 'must name the program and its arguments, e.g. ["{python}", "step.py"]'),
})

export type PythonStepManifest = z.infer<typeof pythonStepSchema>

/** zod's issues as one line per problem: `params[0].min: expected number`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const path = i.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '')
      return `${path || '(top level)'}: ${i.message}`
    })
    .join('; ')
}
