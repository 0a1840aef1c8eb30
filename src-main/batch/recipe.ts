// A batch recipe: which steps run on every recording, with which parameters, and where the archives go.
// Saved as JSON so a batch can be rerun or shared. Validation happens when the recipe is loaded, against
// the step registry, so a typo fails before the first recording rather than after the tenth.

import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { dirname, resolve } from 'node:path'
import { resolveAgainst } from '../workbench/fileAccess'
import { issueText } from '../../src-shared/schemaIssues'
import { ConfigurationError, FileAccessError, WorkbenchError } from '../../src-shared/errors'
import { resolveParams, type StepDefinition } from '../steps/framework'
import { writeTextAtomically } from '../files/atomicWrite'
import { batchTempPath } from './tempFiles'
import { RECIPE_FORMAT, RECIPE_VERSION, type Recipe, type RecipeStep } from '../../src-shared/batchModel'
import { jsonProblem } from '../../src-shared/jsonProblem'

export { RECIPE_FORMAT, RECIPE_VERSION, type Recipe, type RecipeStep }

/** Parameters that come from each recording, never from the recipe. */
export const PER_RECORDING_PARAMS = ['cmcr_path', 'cmtr_path', 'dataset_id'] as const
const PER_RECORDING = new Set<string>(PER_RECORDING_PARAMS)

const stepEntrySchema = z.union([
  z.string(),
  z.strictObject({ step: z.string().min(1), params: z.record(z.string(), z.unknown()).optional() }),
])

/** The recipe file's shape. What the steps and their parameters mean is checked against the registry below. */
export const recipeFileSchema = z.strictObject({
  format: z.literal(RECIPE_FORMAT).optional(),
  version: z.literal(RECIPE_VERSION).optional(),
  name: z.string().trim().min(1).optional(),
  description: z.unknown().optional(),
  checkpoint: z.boolean().optional(),
  outputDir: z.string().trim().min(1).nullable().optional(),
  steps: z.array(stepEntrySchema).min(1),
})

const TOP_LEVEL_KEYS = Object.keys(recipeFileSchema.shape)

export interface RecipeContext {
  /** The registered steps (STEPS in the app; test doubles in unit tests). */
  steps: readonly StepDefinition<any>[]
  /** The recipe file, for messages and to resolve relative paths. */
  source?: string
  /** Folder that relative paths in the recipe are relative to (default: the file's folder, else cwd). */
  baseDir?: string
}

function where(ctx: RecipeContext): string {
  return ctx.source ? `${ctx.source}: ` : 'recipe: '
}

function bad(ctx: RecipeContext, message: string, parameter?: string): never {
  throw new ConfigurationError(`${where(ctx)}${message}`, { path: ctx.source, parameter })
}

/** The schema's first finding in the recipe's own words (what the field must be, for someone editing JSON). */
function shapeProblem(issue: z.core.$ZodIssue, raw: Record<string, unknown>): string {
  const [field, index] = issue.path
  if (field === undefined) {
    return issue.code === 'unrecognized_keys' ? `unknown key '${issue.keys[0]}' (known: ${TOP_LEVEL_KEYS.join(', ')})` : 'a recipe must be a JSON object'
  }
  switch (field) {
    case 'format':
      return `'format' must be "${RECIPE_FORMAT}" (got ${JSON.stringify(raw.format)})`
    case 'version':
      return `'version' ${JSON.stringify(raw.version)} is not supported (this workbench reads version ${RECIPE_VERSION})`
    case 'name':
      return "'name' must be a non-empty text"
    case 'checkpoint':
      return "'checkpoint' must be true or false"
    case 'outputDir':
      return "'outputDir' must be a folder path or null"
    case 'description':
      return `'description' ${issueText(issue)}`
  }
  if (typeof index !== 'number') return "'steps' must be a non-empty list of steps"
  const at = `steps[${index}]`
  const entry = (raw.steps as unknown[])[index]
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return `${at} must be a step name or an object {"step": name, "params": {...}}`
  const extra = Object.keys(entry).filter((key) => key !== 'step' && key !== 'params')
  if (extra.length) return `${at}: unknown key '${extra[0]}' (a step has 'step' and 'params')`
  const step = (entry as { step?: unknown }).step
  if (typeof step !== 'string' || !step) return `${at}: 'step' must be a step name`
  return `${at} (${step}): 'params' must be an object of parameter values`
}

/** Checks a parsed recipe object and returns it in canonical form (relative paths made absolute). */
export function validateRecipe(raw: unknown, ctx: RecipeContext): Recipe {
  const shape = recipeFileSchema.safeParse(raw)
  if (!shape.success) bad(ctx, shapeProblem(shape.error.issues[0], raw as Record<string, unknown>))
  const obj = shape.data
  const name = obj.name ?? 'Untitled recipe'
  const baseDir = ctx.baseDir ?? (ctx.source ? dirname(resolve(ctx.source)) : process.cwd())
  const outputDir = obj.outputDir ? resolveAgainst(baseDir, obj.outputDir) : null
  const known = new Map(ctx.steps.map((s) => [s.id, s]))
  const steps: RecipeStep[] = []
  const seen = new Set<string>()
  obj.steps.forEach((entry, index) => {
    const at = `steps[${index}]`
    const { step, params } = typeof entry === 'string' ? { step: entry, params: undefined } : entry
    if (!step) bad(ctx, `${at}: 'step' must be a step name`)
    const def = known.get(step)
    if (!def) bad(ctx, `${at}: unknown step '${step}' (available: ${[...known.keys()].join(', ') || 'none'})`)
    if (seen.has(step)) bad(ctx, `${at}: step '${step}' appears twice`)
    const given = { ...(params ?? {}) }
    for (const name of Object.keys(given)) {
      if (PER_RECORDING.has(name) && def.params.some((p) => p.name === name)) {
        bad(ctx, `${at} (${step}): '${name}' is taken from each recording; remove it from the recipe`, name)
      }
    }
    for (const p of def.params) {
      if ((p.type === 'path' || p.type === 'folder') && typeof given[p.name] === 'string' && given[p.name] !== '') {
        given[p.name] = resolveAgainst(baseDir, given[p.name] as string)
      }
    }
    checkParams(def, given, ctx, at)
    checkOrder(def, seen, known, ctx, at)
    seen.add(step)
    steps.push({ step, params: given })
  })
  return {
    format: RECIPE_FORMAT,
    version: RECIPE_VERSION,
    name,
    steps,
    outputDir,
    checkpoint: obj.checkpoint ?? true,
  }
}

// Parameters are checked as the step will see them; per-recording ones get a sample value here.
function checkParams(def: StepDefinition<any>, given: Record<string, unknown>, ctx: RecipeContext, at: string): void {
  const sampleValues: Record<string, unknown> = {}
  for (const p of def.params) if (PER_RECORDING.has(p.name)) sampleValues[p.name] = `<${p.name} of each recording>`
  try {
    resolveParams(def, { ...given, ...sampleValues })
  } catch (err) {
    const param = err instanceof ConfigurationError ? err.parameter : undefined
    if (param && PER_RECORDING.has(param)) {
      // The sample value tripped a rule of a per-recording parameter: check the others alone.
      const reduced = { ...def, params: def.params.filter((p) => !PER_RECORDING.has(p.name)), validate: undefined }
      try {
        resolveParams(reduced, given)
        return
      } catch (inner) {
        bad(ctx, `${at}: ${(inner as Error).message}`, (inner as ConfigurationError).parameter)
      }
    }
    if (err instanceof WorkbenchError) bad(ctx, `${at}: ${err.message}`, param)
    throw err
  }
}

// A prerequisite group naming registered steps must be met by an earlier step of the recipe. Groups
// that only name markers some step records besides its own id (alsoCompleted) are checked at run time.
function checkOrder(
  def: StepDefinition<any>,
  earlier: Set<string>,
  known: Map<string, StepDefinition<any>>,
  ctx: RecipeContext,
  at: string,
): void {
  for (const anyOf of def.prerequisites) {
    if (anyOf.some((s) => earlier.has(s))) continue
    if (!anyOf.some((s) => known.has(s))) continue
    bad(ctx, `${at} (${def.id}) needs ${anyOf.join(' or ')} earlier in the recipe`)
  }
}

export async function loadRecipe(path: string, steps: readonly StepDefinition<any>[]): Promise<Recipe> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new FileAccessError('FILE_NOT_FOUND', `Recipe file not found: ${path}`, { path, cause: err })
    throw new FileAccessError('FILE_LOCKED', `Cannot read recipe ${path}: ${(err as Error).message}`, { path, cause: err })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (err) {
    throw new ConfigurationError(`${path}: ${jsonProblem(err)}`, { path, cause: err })
  }
  return validateRecipe(parsed, { steps, source: path })
}

export async function saveRecipe(path: string, recipe: Recipe): Promise<void> {
  await writeTextAtomically(path, `${JSON.stringify(recipe, null, 2)}\n`, { overwrite: true, what: 'recipe', tempPath: batchTempPath })
}

/**
 * The recipe a queue in `outputDir` runs with when it is opened again: the saved one, or the given one for
 * a new queue. A different recipe for a saved queue is refused (its archives would mix two recipes);
 * `again` names what the user can do instead ('Resume' locally, 'Resubmit' on SLURM).
 */
export function recipeForQueue(saved: Recipe | undefined, given: Recipe | null | undefined, outputDir: string, queueFile: string, again: string): Recipe {
  if (saved && given && !sameRecipe(saved, given)) {
    throw new ConfigurationError(
      `The batch in ${outputDir} was started with a different recipe ('${saved.name}'). ` +
        `${again} it without giving a recipe, or start a fresh queue (finished archives are kept and skipped).`,
      { path: queueFile },
    )
  }
  const recipe = saved ?? given
  if (!recipe) throw new ConfigurationError(`A new batch in ${outputDir} needs a recipe`, { path: outputDir })
  return recipe
}

/** Two recipes that would produce the same archives (the name does not matter). */
export function sameRecipe(a: Recipe, b: Recipe): boolean {
  const key = (r: Recipe) => stableJson({ steps: r.steps, checkpoint: r.checkpoint })
  return key(a) === key(b)
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
