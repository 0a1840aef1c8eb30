// Damaged and hostile archives opened as a session (resume) and saved into an output folder, in one
// child process under a memory and time cap: a clear error naming the file, nothing written anywhere,
// no hang on hard-link cycles or deep nesting (issue 10 items 9, 10).

import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BadInputs, makeBadInputs } from './badInputs'
import { type ChildOutcome, RSS_CAP_MB, runChildren, snapshot } from './harness'

let inputs: BadInputs
let before: Record<string, string>

interface Case {
  title: string
  file: string
  says: RegExp[]
}

// Cycles and deep nesting last: before the fix they hung the loader and the child was killed there.
const CASES: Case[] = [
  ...(['header', '4k', 'half', 'end'] as const).map((at) => ({ title: `truncated at ${at}`, file: `truncated_${at}.h5`, says: [/truncated|corrupt|damaged|not an HDF5|HDF5/i] })),
  { title: "dataset_id '../../escaped' (a save would leave the output folder)", file: 'archive_id_traversal.h5', says: [/dataset_id/, /plain file name/] },
  { title: "dataset_id '/tmp/escaped'", file: 'archive_id_absolute.h5', says: [/dataset_id/, /plain file name/] },
  { title: 'dataset_id with a control character', file: 'archive_id_control.h5', says: [/dataset_id/, /a\\nb/] },
  { title: 'a hard-link cycle fails fast instead of hanging', file: 'archive_cycle.h5', says: [/hard link back to \/units/, /cycle/] },
  { title: '1000 nested groups fail fast at the depth cap', file: 'archive_deep.h5', says: [/nested more than 64 levels/] },
]

let good: ChildOutcome
let results: ChildOutcome[]
const outOf = (i: number) => join(inputs.root, 'work', `out-${i}`)

beforeAll(async () => {
  inputs = await makeBadInputs('robust-archive-')
  before = snapshot(inputs.root)
  const outs = [...CASES.keys()].map(outOf)
  for (const o of [...outs, join(inputs.root, 'good-out')]) mkdirSync(o, { recursive: true })
  ;[good, ...results] = await runChildren([
    { op: 'resume', path: inputs.good.archive, out: join(inputs.root, 'good-out') },
    ...CASES.map((c, i) => ({ op: 'resume', path: inputs.bad(c.file), out: outs[i] })),
  ])
})
afterAll(() => inputs?.cleanup())

it('the good archive resumes and saves (the harness itself works)', () => {
  expect(good.error).toBeUndefined()
  expect(good.saved).toBe(join(inputs.root, 'good-out', 'good_archive.h5'))
})

describe('bad archives', () => {
  for (const [i, c] of CASES.entries()) {
    it(c.title, () => {
      const r = results[i]
      expect(r.killed, `killed for ${r.killed}`).toBeUndefined()
      expect(r.maxRssMb).toBeLessThan(RSS_CAP_MB)
      expect(r.ok).toBe(false)
      expect(r.error?.message).toContain(inputs.bad(c.file))
      for (const re of c.says) expect(r.error?.message).toMatch(re)
      // nothing written: not in the output folder, not beside it, not where the id points
      expect(snapshot(join(inputs.root, 'work'))).toEqual({})
      expect(existsSync(resolve(outOf(i), '../../escaped.h5'))).toBe(false)
      expect(existsSync('/tmp/escaped.h5')).toBe(false)
      const now = snapshot(inputs.root)
      for (const [k, v] of Object.entries(before)) expect(now[k], k).toBe(v)
    })
  }
})
