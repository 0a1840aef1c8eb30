// The demo removes or replaces only files it wrote itself (issue 10 item 1): a foreign file where the
// demo would write is an error naming it, and the file stays as it was. Checked for the recording
// folder (npm run demo and the workbench's Open demo) and for the demo's archive.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { runDemoCommand } from '../../src-main/cli/demo'
import { DEMO_STEM, ensureDemoRecording } from '../../src-main/demoSet'
import { createWorkbenchService } from '../../src-main/workbench/create'

let root: string
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'robust-demo-'))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

const NOTES = 'my own notes, not the demo\n'

describe('a foreign file in the demo recording folder', () => {
  it('npm run demo: the recording step stops naming the file, which is kept', async () => {
    const dir = join(root, 'a', 'recording')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'notes.txt'), NOTES)
    const err = (await ensureDemoRecording(dir).catch((e) => e)) as { code: string; message: string }
    expect(err.code).toBe('FILE_EXISTS')
    expect(err.message).toContain(join(dir, 'notes.txt'))
    expect(err.message).toMatch(/not written by the demo/)
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe(NOTES)
  })

  it("the workbench's Open demo likewise", async () => {
    const workdir = join(root, 'b')
    const demoDir = join(workdir, 'demo')
    mkdirSync(demoDir, { recursive: true })
    writeFileSync(join(demoDir, `${DEMO_STEM}.cmcr`), 'a half-copied recording of mine')
    const service = createWorkbenchService({ transport: 'web', workdir, demoDir })
    await expect(service.dispatch('session.openDemo', {})).rejects.toMatchObject({ message: expect.stringContaining(join(demoDir, `${DEMO_STEM}.cmcr`)) })
    expect(readFileSync(join(demoDir, `${DEMO_STEM}.cmcr`), 'utf8')).toBe('a half-copied recording of mine')
    await service.close()
  })
})

it("npm run demo never replaces an archive it did not write", async () => {
  const out = join(root, 'c')
  mkdirSync(out, { recursive: true })
  const mine = join(out, `${DEMO_STEM}.h5`)
  writeFileSync(mine, 'an archive of mine with the same name')
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
  let code: number
  let said: string
  try {
    code = await runDemoCommand(['--out', out])
    said = stderr.mock.calls.map((c) => String(c[0])).join('')
  } finally {
    stderr.mockRestore()
    stdout.mockRestore()
  }
  expect(code).toBe(1)
  expect(said).toContain(mine)
  expect(said).toMatch(/not written by the demo/)
  expect(readFileSync(mine, 'utf8')).toBe('an archive of mine with the same name')
  expect(existsSync(join(out, 'recording'))).toBe(false) // stopped before generating anything
})
