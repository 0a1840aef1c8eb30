// Every citation of the project's docs in code, tests and docs points at a file and a heading that exist
// (for example "docs/algorithms.md §9.5" needs a heading "9.5 ..." in docs/algorithms.md), and nothing
// cites the specifications outside the repository.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const FOLDERS = ['src-main', 'src-worker', 'src-shared', 'src-renderer', 'test', 'scripts', 'docs']
const TEXT = /\.(ts|vue|js|mjs|py|md)$/

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : TEXT.test(name) ? [path] : []
  })
}

const sources = [...FOLDERS.flatMap((f) => filesUnder(join(ROOT, f))), join(ROOT, 'README.md')]

/** A docs file name with the section ids that follow it: "§1.3, §1.4", "§7.3 / §9.1", "§2 and §A.3". */
const CITATION = /docs\/([\w-]+\.md)((?:(?:,\s*|\s*\/\s*|\s+and\s+|\s+)§[0-9A-Z][0-9A-Za-z.]*)*)/g

function headingsOf(doc: string): string[] {
  return readFileSync(join(ROOT, 'docs', doc), 'utf8')
    .split('\n')
    .filter((line) => /^#{1,6} /.test(line))
    .map((line) => line.replace(/^#{1,6} /, ''))
}

describe('citations of docs/', () => {
  const problems: string[] = []
  let cited = 0
  for (const file of sources) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(CITATION)) {
      const where = `${relative(ROOT, file)}: ${m[0]}`
      let headings: string[]
      try {
        headings = headingsOf(m[1])
      } catch {
        problems.push(`${where}: no file docs/${m[1]}`)
        continue
      }
      for (const id of m[2].match(/§[0-9A-Z][0-9A-Za-z.]*/g) ?? []) {
        cited++
        const section = id.slice(1).replace(/\.$/, '')
        if (!headings.some((h) => h === section || h.startsWith(`${section} `) || h.startsWith(`${section}. `))) {
          problems.push(`${where}: docs/${m[1]} has no heading ${section}`)
        }
      }
    }
  }

  it('point at files and headings that exist', () => {
    expect(cited).toBeGreaterThan(50)
    expect(problems).toEqual([])
  })

  it('never cite the specifications outside the repository', () => {
    const outside = sources.filter((f) => /\/work\/shared|shared\/spec|spec\/(algorithms|mcs-format|session-archive|stack)\.md/.test(readFileSync(f, 'utf8')))
    expect(outside.map((f) => relative(ROOT, f))).toEqual([])
  })
})
