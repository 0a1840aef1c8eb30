// The one definition of a step parameter as the wizard sees it: its type, default, help and bounds.
// The steps (src-main/steps/framework.ts) declare their parameters with it (adding a `check` rule that
// stays in the main process), and `steps.list` sends it to the renderer as it is.

import { z } from 'zod'

export const PARAM_TYPES = ['number', 'integer', 'boolean', 'string', 'path', 'folder', 'enum', 'range', 'stringList'] as const

export const paramTypeSchema = z.enum(PARAM_TYPES)

export const paramInfoSchema = z.object({
  name: z.string(),
  label: z.string(),
  type: paramTypeSchema,
  /** null: no default, the user must give one (unless `optional`). */
  default: z.unknown(),
  help: z.string(),
  optional: z.boolean(),
  min: z.number().optional(),
  max: z.number().optional(),
  /** For 'number'/'integer'/'range': bounds are exclusive instead of inclusive. */
  exclusiveMin: z.boolean().optional(),
  choices: z.array(z.string()).optional(),
  /** For 'range': the two numbers must be integers. */
  integer: z.boolean().optional(),
})

export type ParamType = z.infer<typeof paramTypeSchema>
export type ParamInfo = z.infer<typeof paramInfoSchema>
