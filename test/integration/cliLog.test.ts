// The CLI writes its log into --out: the built `batch` command (out/main/cli.js) on a folder without
// recordings fails fast, and batch.log holds the command line, what it printed and the exit code.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const CLI = resolve(import.meta.dirname, '../../out/main/cli.js')
let dir: string

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing; run \`npx electron-vite build\` first`)
  dir = mkdtempSync(join(tmpdir(), 'hdmea-clilog-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('CLI log file', () => {
  it('batch.log in --out records the command, its messages and the exit code; a second run appends', () => {
    const empty = join(dir, 'no-recordings')
    mkdirSync(empty)
    const out = join(dir, 'out')
    const run = () => spawnSync(process.execPath, [CLI, 'batch', empty, '--out', out], { encoding: 'utf8', cwd: dir })
    const first = run()
    expect(first.status).toBe(2)
    expect(first.stderr).toContain(`no recordings found in ${empty}`)
    const log = readFileSync(join(out, 'batch.log'), 'utf8')
    const lines = log.trimEnd().split('\n')
    expect(lines[0]).toMatch(new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\] \\[info\\]\\s+hdmea-workbench batch ${empty} --out ${out}$`))
    expect(log).toContain(`batch: no recordings found in ${empty}`)
    expect(lines[lines.length - 1]).toMatch(/\[error\]\s+batch exited with code 2$/)
    run()
    const twice = readFileSync(join(out, 'batch.log'), 'utf8')
    expect(twice.match(/batch exited with code 2/g)).toHaveLength(2)
  })
})
