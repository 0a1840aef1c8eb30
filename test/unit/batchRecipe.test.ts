import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { quickStartRecipe } from '../../src-main/batch/defaultRecipe'
import { loadRecipe, sameRecipe, saveRecipe, validateRecipe } from '../../src-main/batch/recipe'
import { ConfigurationError } from '../../src-shared/errors'
import type { StepDefinition } from '../../src-main/steps/framework'

// Test doubles of the step interface: only ids, parameter schemas and prerequisites matter here.
const step = (id: string, params: StepDefinition['params'], prerequisites: string[][] = []): StepDefinition => ({
  id,
  title: id,
  description: id,
  params,
  prerequisites,
  run: async () => ({ summary: '', apply: () => {} }),
})
const LOAD = step('load_recording', [
  { name: 'cmcr_path', label: 'CMCR', type: 'path', default: null, help: '', optional: true },
  { name: 'cmtr_path', label: 'CMTR', type: 'path', default: null, help: '', optional: true, check: (v) => (String(v).endsWith('.cmtr') ? null : 'must end in .cmtr') },
])
const SECTION = step(
  'add_section_time',
  [
    { name: 'playlist_file', label: 'Playlist', type: 'path', default: null, help: '' },
    { name: 'repeats', label: 'Repeats', type: 'integer', default: 3, help: '', min: 1 },
  ],
  [['load_recording', 'load_recording_with_eimage_sta']],
)
const SPIKES = step('section_spike_times', [], [['add_section_time']])
const STA = step('compute_sta', [{ name: 'cover_range', label: 'Window', type: 'range', default: [-60, 0], help: '', integer: true }], [['section_spike_times']])
const FEATURES = step('extract_features', [{ name: 'features', label: 'Features', type: 'stringList', default: ['frif'], help: '' }], [
  ['load_recording', 'load_recording_with_eimage_sta'],
])
const STEPS = [LOAD, SECTION, SPIKES, STA, FEATURES]

const ctx = { steps: STEPS, source: '/r/recipe.json' }

describe('validateRecipe', () => {
  it('accepts step names and objects, fills format and checkpoint, resolves relative paths against the recipe folder', () => {
    const r = validateRecipe(
      { name: ' Mine ', steps: ['load_recording', { step: 'add_section_time', params: { playlist_file: 'stim/playlist.csv' } }] },
      ctx,
    )
    expect(r).toEqual({
      format: 'hdmea-batch-recipe',
      version: 1,
      name: 'Mine',
      outputDir: null,
      checkpoint: true,
      steps: [
        { step: 'load_recording', params: {} },
        { step: 'add_section_time', params: { playlist_file: '/r/stim/playlist.csv' } },
      ],
    })
    const win = validateRecipe({ steps: ['load_recording', { step: 'add_section_time', params: { playlist_file: 'M:\\stim\\p.csv' } }] }, ctx)
    expect(win.steps[1].params.playlist_file).toBe('M:\\stim\\p.csv')
  })

  const cases: [string, unknown, string][] = [
    ['unknown step', { steps: ['load_recording', 'compute_stax'] }, "/r/recipe.json: steps[1]: unknown step 'compute_stax' (available: load_recording, add_section_time, section_spike_times, compute_sta, extract_features)"],
    ['bad parameter value', { steps: ['load_recording', { step: 'add_section_time', params: { playlist_file: 'p.csv', repeats: 0 } }] }, "/r/recipe.json: steps[1]: add_section_time: parameter 'repeats' must be >= 1 (got 0)"],
    ['unknown parameter', { steps: [{ step: 'load_recording', params: { cmcr: 'x' } }] }, "/r/recipe.json: steps[0]: load_recording: unknown parameter 'cmcr'"],
    ['missing required parameter', { steps: ['load_recording', 'add_section_time'] }, "/r/recipe.json: steps[1]: add_section_time: parameter 'playlist_file' is required"],
    ['per-recording parameter set', { steps: [{ step: 'load_recording', params: { cmcr_path: 'a.cmcr' } }] }, "/r/recipe.json: steps[0] (load_recording): 'cmcr_path' is taken from each recording; remove it from the recipe"],
    ['wrong order', { steps: ['load_recording', 'section_spike_times'] }, '/r/recipe.json: steps[1] (section_spike_times) needs add_section_time earlier in the recipe'],
    ['duplicate', { steps: ['load_recording', 'load_recording'] }, "/r/recipe.json: steps[1]: step 'load_recording' appears twice"],
    ['empty', { steps: [] }, "/r/recipe.json: 'steps' must be a non-empty list of steps"],
    ['typo at top level', { steps: ['load_recording'], checkpoints: true }, "/r/recipe.json: unknown key 'checkpoints'"],
    ['newer version', { version: 2, steps: ['load_recording'] }, "/r/recipe.json: 'version' 2 is not supported"],
    ['not an object', [1, 2], '/r/recipe.json: a recipe must be a JSON object'],
  ]
  for (const [what, raw, message] of cases) {
    it(`rejects ${what} with a clear message`, () => {
      let caught: unknown
      try {
        validateRecipe(raw, ctx)
      } catch (err) {
        caught = err
      }
      expect(caught).toBeInstanceOf(ConfigurationError)
      expect((caught as Error).message.startsWith(message)).toBe(true)
    })
  }

  it('checks a per-recording parameter with a rule without tripping on the sample value', () => {
    // cmtr_path's check would refuse the sample value; the other parameters are still checked.
    expect(() => validateRecipe({ steps: ['load_recording'] }, ctx)).not.toThrow()
  })
})

describe('recipe files', () => {
  let dir = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'recipe-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('saves and loads back the same recipe; sameRecipe ignores the name and key order', async () => {
    const r = validateRecipe({ name: 'A', steps: ['load_recording', { step: 'extract_features', params: { features: ['frif'] } }] }, ctx)
    const path = join(dir, 'a.json')
    await saveRecipe(path, r)
    const back = await loadRecipe(path, STEPS)
    expect(back).toEqual(r)
    expect(JSON.parse(await readFile(path, 'utf8')).format).toBe('hdmea-batch-recipe')
    const reordered = { ...r, name: 'B', steps: r.steps.map((s) => ({ params: s.params, step: s.step })) }
    expect(sameRecipe(r, reordered)).toBe(true)
    expect(sameRecipe(r, { ...r, checkpoint: false })).toBe(false)
  })

  it('names the file for missing files and bad JSON', async () => {
    await expect(loadRecipe(join(dir, 'none.json'), STEPS)).rejects.toThrow(`Recipe file not found: ${join(dir, 'none.json')}`)
    await writeFile(join(dir, 'bad.json'), '{"steps": [')
    await expect(loadRecipe(join(dir, 'bad.json'), STEPS)).rejects.toThrow(`${join(dir, 'bad.json')}: invalid JSON`)
  })
})

describe('quickStartRecipe', () => {
  it('uses the plain loader when the eimage loader is not registered, and only the stimulus parameters a step declares', () => {
    const r = quickStartRecipe(STEPS, { add_section_time: { playlist_file: '/res/playlist.csv', movie_length_file: '/res/x.csv' } })
    expect(r.steps).toEqual([
      { step: 'load_recording', params: {} },
      { step: 'add_section_time', params: { playlist_file: '/res/playlist.csv' } },
      { step: 'section_spike_times', params: {} },
      { step: 'compute_sta', params: {} },
      { step: 'extract_features', params: { features: ['frif'] } },
    ])
  })

  it('takes stimulus files from the bundled demo resources by default', () => {
    const r = quickStartRecipe(STEPS)
    expect(r.steps[1]).toEqual({ step: 'add_section_time', params: { playlist_file: resolve('resources/demo/playlist.csv') } })
  })

  it('prefers the eimage loader when registered, and fails clearly when a Quick Start step is missing', () => {
    const eimage = step('load_recording_with_eimage_sta', [])
    const r = quickStartRecipe([...STEPS, eimage], { add_section_time: { playlist_file: '/p.csv' } })
    expect(r.steps[0].step).toBe('load_recording_with_eimage_sta')
    expect(() => quickStartRecipe([LOAD, SECTION], { add_section_time: { playlist_file: '/p.csv' } })).toThrow(
      'The default recipe needs the step section_spike_times, which is not registered',
    )
  })
})
