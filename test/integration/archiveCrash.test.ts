// A writer killed in the middle of a save must leave the previous archive byte-identical and readable.

import { afterAll, beforeAll, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { PipelineSession } from '../../src-main/session/session'
import { f64, str } from '../../src-shared/tree'
import { readArchive } from '../../src-main/archive'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'archive-crash-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const CHILD = resolve(__dirname, '../fixtures/archive/saveLargeSession.ts')

it('SIGKILL during a large save leaves the old archive byte-identical, readable, and the stale temp is cleaned next time', async () => {
  const target = join(dir, 'crash-test.h5')
  const old = new PipelineSession({ datasetId: 'crash-test', outputDir: dir })
  old.addMetadata({ generation: f64([1], []), note: str('the archive that must survive') })
  await old.save(target)
  const before = readFileSync(target)

  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, target, '200'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => (out += String(d)))
  child.stderr.on('data', () => undefined)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })))

  // Kill as soon as the temp file beside the target holds a few MB of the new archive.
  let tempSeen = ''
  let tempBytes = 0
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline && child.exitCode === null) {
    const temp = readdirSync(dir).find((n) => n.startsWith('crash-test.h5.tmp-'))
    if (temp) {
      const size = statSync(join(dir, temp), { throwIfNoEntry: false })?.size ?? 0
      if (size > 4 * 1024 * 1024) {
        tempSeen = temp
        tempBytes = size
        child.kill('SIGKILL')
        break
      }
    }
    await new Promise((r) => setTimeout(r, 5))
  }
  const { signal } = await exited
  expect(out).toContain('saving')
  expect(out).not.toContain('saved')
  expect(signal).toBe('SIGKILL')
  expect(tempSeen).toMatch(new RegExp(`^crash-test\\.h5\\.tmp-${child.pid}-[0-9a-f]{8}$`))
  expect(tempBytes).toBeGreaterThan(4 * 1024 * 1024)

  expect(readFileSync(target).equals(before)).toBe(true)
  const survived = await PipelineSession.load(target)
  expect((survived.metadata.children.get('note') as { data: string[] }).data).toEqual(['the archive that must survive'])

  // The dead writer's temp is still there; the next save beside it removes it.
  expect(existsSync(join(dir, tempSeen))).toBe(true)
  survived.addMetadata({ generation: f64([2], []) })
  await survived.save(target, { overwrite: true })
  expect(existsSync(join(dir, tempSeen))).toBe(false)
  expect(((await readArchive(target)).metadata.children.get('generation') as { data: Float64Array }).data[0]).toBe(2)
})
