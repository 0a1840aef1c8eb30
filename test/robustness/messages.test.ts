// Error messages name the file and the problem but never quote its content (issue 10 item 8): JSON
// files the workbench reads (recipe, queue, settings) holding something private that is not JSON.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { loadRecipe } from '../../src-main/batch/recipe'
import { BatchQueue } from '../../src-main/batch/runner'
import { queuePath } from '../../src-main/batch/store'
import type { TaskPool } from '../../src-main/pool/taskPool'
import { STEPS } from '../../src-main/steps/index'
import { SettingsStore } from '../../src-main/workbench/settings'
import { jsonProblem } from '../../src-shared/jsonProblem'

const PRIVATE = 'PRIVATE-HASH:$6$xyz:19000:0:99999:7:::'
let root: string
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'robust-messages-'))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

const noPool: TaskPool = { threads: 1, run: async () => Promise.reject(new Error('no pool')), destroy: async () => {} }

it('a recipe that is not JSON', async () => {
  const path = join(root, 'recipe.json')
  writeFileSync(path, `${PRIVATE}\n`)
  const err = (await loadRecipe(path, STEPS).catch((e) => e)) as Error
  expect(err.message).toContain(path)
  expect(err.message).toMatch(/invalid JSON/)
  expect(err.message).not.toContain('PRIVATE')
})

it('a queue.json that is not JSON', async () => {
  const out = join(root, 'batch')
  mkdirSync(join(out, '.hdmea-batch'), { recursive: true })
  writeFileSync(queuePath(out), `{"items": [${PRIVATE}]}`)
  const err = (await BatchQueue.open({ outputDir: out, steps: STEPS, pool: noPool }).catch((e) => e)) as Error
  expect(err.message).toContain(queuePath(out))
  expect(err.message).toMatch(/invalid JSON/)
  expect(err.message).not.toContain('PRIVATE')
})

it('a settings.json that is not JSON', () => {
  const dir = join(root, 'settings')
  mkdirSync(dir)
  writeFileSync(join(dir, 'settings.json'), PRIVATE)
  const store = new SettingsStore(join(dir, 'settings.json'), root)
  const said = store.problems.join('\n')
  expect(said).toContain(join(dir, 'settings.json'))
  expect(said).not.toContain('PRIVATE')
})

it('jsonProblem keeps the position, not the text', () => {
  const text = '{\n  "a": 1,\n  "b" 2\n}'
  let err: unknown
  try {
    JSON.parse(text)
  } catch (e) {
    err = e
  }
  expect(jsonProblem(err, text)).toMatch(/^invalid JSON: .* at line 3, column \d+$/)
})
