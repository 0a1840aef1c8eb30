// Browser mode: a step may read the app's bundled resources (the demo playlist, movie lengths, stimulus
// configs) although they are outside the allowed folders, but nothing else outside them, and a link
// inside the resources folder does not lead out of it.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { StepDefinition } from '../../src-main/steps/framework'
import { PathGuard } from '../../src-main/workbench/pathGuard'

const root = mkdtempSync(join(tmpdir(), 'guard-res-'))
const allowed = join(root, 'allowed')
const resources = join(root, 'resources')
const outside = join(root, 'outside')
for (const d of [allowed, resources, outside]) mkdirSync(d)
writeFileSync(join(resources, 'playlist.csv'), 'x')
writeFileSync(join(outside, 'secret.csv'), 'x')
symlinkSync(outside, join(resources, 'escape'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const step = { id: 't', params: [{ name: 'playlist_file', type: 'path' }] } as unknown as StepDefinition<any>
const guard = new PathGuard('web', () => [allowed], () => [resources])

describe('step parameters in browser mode', () => {
  it('may name a file in the bundled resources', async () => {
    await expect(guard.stepParams(step, { playlist_file: join(resources, 'playlist.csv') })).resolves.toBeUndefined()
  })
  it('may not name a file outside the allowed folders and the resources', async () => {
    await expect(guard.stepParams(step, { playlist_file: join(outside, 'secret.csv') })).rejects.toMatchObject({ code: 'FORBIDDEN' })
  })
  it('may not leave the resources through a link inside them', async () => {
    await expect(guard.stepParams(step, { playlist_file: join(resources, 'escape', 'secret.csv') })).rejects.toMatchObject({ code: 'FORBIDDEN' })
  })
  it('keeps save targets to the allowed folders even inside the resources', async () => {
    await expect(guard.target(join(resources, 'out.h5'))).rejects.toMatchObject({ code: 'FORBIDDEN' })
  })
})
