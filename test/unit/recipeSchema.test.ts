// The recipe file's shape (recipeFileSchema) reported in the recipe's own words: field, file, what to write.
import { describe, expect, it } from 'vitest'
import { validateRecipe } from '../../src-main/batch/recipe'
import type { StepDefinition } from '../../src-main/steps/framework'

const LOAD: StepDefinition = {
  id: 'load_recording',
  title: 'Load',
  description: '',
  params: [{ name: 'cmcr_path', label: 'CMCR', type: 'path', default: null, help: '', optional: true }],
  prerequisites: [],
  run: async () => ({ summary: '', apply: () => {} }),
}
const ctx = { steps: [LOAD], source: '/r/recipe.json' }
const problem = (raw: unknown) => {
  try {
    validateRecipe(raw, ctx)
  } catch (err) {
    return (err as Error).message
  }
  return 'accepted'
}

describe('recipe shape', () => {
  it('names the field and says what it must be', () => {
    expect(problem({ format: 'other', steps: ['load_recording'] })).toBe(`/r/recipe.json: 'format' must be "hdmea-batch-recipe" (got "other")`)
    expect(problem({ name: '  ', steps: ['load_recording'] })).toBe("/r/recipe.json: 'name' must be a non-empty text")
    expect(problem({ checkpoint: 'yes', steps: ['load_recording'] })).toBe("/r/recipe.json: 'checkpoint' must be true or false")
    expect(problem({ outputDir: '', steps: ['load_recording'] })).toBe("/r/recipe.json: 'outputDir' must be a folder path or null")
    expect(problem({ steps: 'load_recording' })).toBe("/r/recipe.json: 'steps' must be a non-empty list of steps")
    expect(problem(null)).toBe('/r/recipe.json: a recipe must be a JSON object')
  })

  it('names the step entry that is wrong', () => {
    expect(problem({ steps: [5] })).toBe('/r/recipe.json: steps[0] must be a step name or an object {"step": name, "params": {...}}')
    expect(problem({ steps: [{ step: 'load_recording', parms: {} }] })).toBe("/r/recipe.json: steps[0]: unknown key 'parms' (a step has 'step' and 'params')")
    expect(problem({ steps: [{ step: 3 }] })).toBe("/r/recipe.json: steps[0]: 'step' must be a step name")
    expect(problem({ steps: [''] })).toBe("/r/recipe.json: steps[0]: 'step' must be a step name")
    expect(problem({ steps: [{ step: 'load_recording', params: [1] }] })).toBe("/r/recipe.json: steps[0] (load_recording): 'params' must be an object of parameter values")
  })

  it('accepts a null outputDir and a description', () => {
    expect(validateRecipe({ description: 'x', outputDir: null, steps: ['load_recording'] }, ctx).outputDir).toBeNull()
  })
})
