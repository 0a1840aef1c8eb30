// Browser mode: a symlink inside an allowed folder must not lead a request outside it, for any API
// that takes a path (issue 10 items 7, 8). Each request names a path through `allowed/out` -> a folder
// outside; every one is FORBIDDEN, quotes nothing of the file, and changes nothing outside.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession } from '../../src-main/session/session'
import { createWorkbenchService } from '../../src-main/workbench/create'
import type { WorkbenchService } from '../../src-main/workbench/service'
import { group, u64 } from '../../src-shared/tree'
import { snapshot } from './harness'

const SECRET = 'TOPSECRET-line-of-a-private-file'
let root: string
let allowed: string
let outside: string
let service: WorkbenchService
let outsideBefore: Record<string, string>

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'robust-links-'))
  allowed = join(root, 'allowed')
  outside = join(root, 'outside')
  mkdirSync(allowed)
  mkdirSync(outside)
  writeFileSync(join(outside, 'secret.txt'), `${SECRET}\n`)
  writeFileSync(join(outside, 'other-.cmtr'), `${SECRET}\n`)
  const s = createSession({ datasetId: 'victim', outputDir: outside })
  s.addUnits({ unit_001: group({ spike_times: u64([1, 2]) }) })
  await s.save(join(outside, 'victim.h5'))
  symlinkSync(outside, join(allowed, 'out'))
  symlinkSync(join(outside, 'victim.h5'), join(allowed, 'victim_link.h5'))
  mkdirSync(join(allowed, 'inner'))
  symlinkSync(join(allowed, 'inner'), join(allowed, 'inner_link'))
  writeFileSync(join(allowed, 'rec-.cmtr'), 'x')
  service = createWorkbenchService({ transport: 'web', workdir: allowed, demoDir: join(allowed, 'demo') })
  await service.dispatch('session.open', { cmtrPath: join(allowed, 'rec-.cmtr'), outputDir: join(allowed, 'results') })
  outsideBefore = snapshot(outside)
})
afterAll(async () => {
  await service?.close()
  rmSync(root, { recursive: true, force: true })
})

const via = (...p: string[]) => join(allowed, 'out', ...p)

async function expectForbidden(name: string, params: Record<string, unknown>) {
  const err = (await service.dispatch(name, params).then(
    () => null,
    (e) => e,
  )) as { code: string; message: string } | null
  expect(err, `${name} was allowed`).not.toBeNull()
  expect(err!.code).toBe('FORBIDDEN')
  expect(err!.message).toMatch(/outside the folders/)
  expect(err!.message).not.toContain(SECRET)
  expect(snapshot(outside)).toEqual(outsideBefore)
}

describe('reads through a link are refused', () => {
  it('files.check', () => expectForbidden('files.check', { path: via('secret.txt') }))
  it('session.open (a recording)', () => expectForbidden('session.open', { cmtrPath: via('secret.txt') }))
  it('session.resume (an archive)', () => expectForbidden('session.resume', { path: via('victim.h5') }))
  it('batch.loadRecipe (a recipe; its content is never quoted)', () => expectForbidden('batch.loadRecipe', { path: via('secret.txt') }))
  it('batch.add (a mapping CSV or folder)', () => expectForbidden('batch.add', { paths: [via('secret.txt')] }))
  it('batch.add: recordings listed in a mapping CSV inside the allowed folder', async () => {
    writeFileSync(join(outside, 'far.cmcr'), 'x')
    writeFileSync(join(outside, 'far-.cmtr'), 'x')
    writeFileSync(join(outside, 'far2.cmcr'), 'x')
    const csv = join(allowed, 'mapping.csv')
    writeFileSync(csv, `cmcr_path,cmtr_path,matched\n${via('far.cmcr')},${via('far-.cmtr')},True\n${outside}/far2.cmcr,,True\n`)
    await service.dispatch('batch.open', { outputDir: join(allowed, 'batch-out') })
    outsideBefore = snapshot(outside)
    const r = (await service.dispatch('batch.add', { paths: [csv] })) as { added: string[]; notes: string[] }
    expect(r.added).toEqual([])
    expect(r.notes).toHaveLength(2)
    for (const note of r.notes) expect(note).toMatch(/mapping\.csv line \d: .*outside the folders.*not queued/)
    expect(snapshot(outside)).toEqual(outsideBefore)
  })
})

describe('writes through a link are refused', () => {
  it('session.save to a new file in a linked folder', () => expectForbidden('session.save', { path: via('new.h5') }))
  it('session.save over a linked file', () => expectForbidden('session.save', { path: join(allowed, 'victim_link.h5'), overwrite: true }))
  it('session.checkpoint into a linked folder', () => expectForbidden('session.checkpoint', { path: via('cp.h5') }))
  it('session.open with a linked output folder', () => expectForbidden('session.open', { cmtrPath: join(allowed, 'rec-.cmtr'), outputDir: via('results') }))
})

describe('path parameters of steps are guarded the same way', () => {
  it('add_section_time playlist_file', () =>
    expectForbidden('step.run', { stepId: 'add_section_time', params: { playlist_name: 'p', playlist_file: via('secret.txt') } }))
  it('add_section_time movie_length_file', () =>
    expectForbidden('step.run', { stepId: 'add_section_time', params: { playlist_name: 'p', movie_length_file: via('secret.txt') } }))
  it('compute_sta stimulus_dir', () => expectForbidden('step.run', { stepId: 'compute_sta', params: { movie_name: 'm', stimulus_dir: via() } }))
  it('section_spike_times stimulus_config_dir (a list)', () =>
    expectForbidden('step.run', { stepId: 'section_spike_times', params: { stimulus_config_dir: [join(allowed, 'inner'), via()] } }))
  it('a batch recipe (set, or loaded from a file inside the allowed folder)', async () => {
    const recipe = { name: 'r', steps: ['load_recording', { step: 'add_section_time', params: { playlist_name: 'p', playlist_file: via('secret.txt') } }] }
    await expectForbidden('batch.setRecipe', { recipe })
    writeFileSync(join(allowed, 'recipe.json'), JSON.stringify(recipe))
    await expectForbidden('batch.loadRecipe', { path: join(allowed, 'recipe.json') })
  })
  it('load_recording cmtr_path', () => expectForbidden('step.run', { stepId: 'load_recording', params: { cmtr_path: via('other-.cmtr') } }))
})

it('a link that stays inside the allowed folders is fine', async () => {
  const r = (await service.dispatch('files.check', { path: join(allowed, 'inner_link') })) as { kind: string }
  expect(r.kind).toBe('dir')
  expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toContain(SECRET)
})
