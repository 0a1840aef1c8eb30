import { describe, expect, it } from 'vitest'
import { parseCommandArgs, UsageError, type CommandArgs, type OptionTable } from '../../src-main/cli/args'
import { parseDemoArgs } from '../../src-main/cli/demo'
import { classifyPath, isAbsoluteAnywhere, resolveAgainst } from '../../src-main/workbench/fileAccess'
import { resolve } from 'node:path'

const COMMAND = {
  options: {
    out: { type: 'string', short: 'o', needs: 'a folder' },
    workers: { type: 'whole', min: 1 },
    start: { type: 'whole', min: 0 },
    'save-recipe': { type: 'string' },
    fresh: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  positionals: true,
  unknown: (arg: string) => `unknown option ${arg}`,
} satisfies CommandArgs<OptionTable>

const parse = (argv: string[]) => parseCommandArgs(argv, COMMAND)
const problem = (argv: string[]) => {
  try {
    parse(argv)
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError)
    return (err as Error).message
  }
  throw new Error(`no problem reported for ${argv.join(' ')}`)
}

describe('parseCommandArgs', () => {
  it('reads values separate, inline and short, whole numbers and inputs in order', () => {
    const { values, positionals } = parse(['a.csv', '--out', 'o1', '--workers=3', '-o', 'o2', 'dir', '--fresh', '--start', '0', '--save-recipe', 'r.json'])
    expect(values).toEqual({ out: 'o2', workers: 3, fresh: true, start: 0, 'save-recipe': 'r.json' })
    expect(positionals).toEqual(['a.csv', 'dir'])
  })

  it('takes what follows -- as inputs', () => {
    expect(parse(['--', '--fresh']).positionals).toEqual(['--fresh'])
  })

  it('names the flag when its value is missing or an option stands in its place', () => {
    expect(problem(['--out'])).toBe('--out needs a folder')
    expect(problem(['--out', '--fresh'])).toBe('--out needs a folder')
    expect(problem(['-o', '-h'])).toBe('-o needs a folder')
    expect(problem(['--out='])).toBe('--out needs a folder')
    expect(problem(['--save-recipe'])).toBe('--save-recipe needs a value')
    expect(problem(['--workers', '--fresh'])).toBe('--workers needs a value')
  })

  it('checks whole numbers against their minimum, negative numbers included', () => {
    expect(problem(['--workers', '0'])).toBe("--workers must be a whole number >= 1 (got '0')")
    expect(problem(['--workers=2.5'])).toBe("--workers must be a whole number >= 1 (got '2.5')")
    expect(problem(['--start', '-1'])).toBe("--start must be a whole number >= 0 (got '-1')")
    expect(problem(['--start', 'x'])).toBe("--start must be a whole number >= 0 (got 'x')")
  })

  it('reports unknown options as typed, and values given to switches', () => {
    expect(problem(['--outt', 'x'])).toBe('unknown option --outt')
    expect(problem(['--zz=3'])).toBe('unknown option --zz=3')
    expect(problem(['-x'])).toBe('unknown option -x')
    expect(problem(['--fresh=yes'])).toBe('--fresh takes no value')
  })
})

describe('demo arguments', () => {
  it('defaults to ./demo-output, takes --out, -o and --out=, null for help', () => {
    expect(parseDemoArgs([])).toEqual({ out: resolve('demo-output'), plugins: [] })
    expect(parseDemoArgs(['--out', 'x'])).toEqual({ out: resolve('x'), plugins: [] })
    expect(parseDemoArgs(['-o', 'y'])).toEqual({ out: resolve('y'), plugins: [] })
    expect(parseDemoArgs(['--out=z'])).toEqual({ out: resolve('z'), plugins: [] })
    expect(parseDemoArgs(['-h'])).toBeNull()
  })

  it('takes --plugins more than once, in order, and --python', () => {
    expect(parseDemoArgs(['--plugins', 'a', '--plugins=b', '--python', '/usr/bin/python3'])).toEqual({
      out: resolve('demo-output'),
      plugins: [resolve('a'), resolve('b')],
      python: '/usr/bin/python3',
    })
    expect(() => parseDemoArgs(['--plugins'])).toThrow('--plugins needs a folder')
  })

  it('rejects arguments the demo does not take', () => {
    expect(() => parseDemoArgs(['extra'])).toThrow("unknown argument 'extra'")
    expect(() => parseDemoArgs(['--outt', 'x'])).toThrow("unknown argument '--outt'")
    expect(() => parseDemoArgs(['--out'])).toThrow('--out needs a folder')
  })
})

describe('Windows paths on any OS', () => {
  it('keeps drive and UNC paths as written and resolves relative ones', () => {
    for (const p of ['O:\\2025\\set6\\a.cmcr', 'o:/data/a.cmcr', '\\\\server\\share\\a.cmcr', '//server/share/a.cmcr', '/home/u/a.cmcr']) {
      expect(isAbsoluteAnywhere(p)).toBe(true)
      expect(resolveAgainst('/base', p)).toBe(p)
    }
    expect(isAbsoluteAnywhere('O:data\\a.cmcr')).toBe(false)
    expect(resolveAgainst('/base', 'sub/a.cmcr')).toBe(resolve('/base', 'sub/a.cmcr'))
  })

  it('classifies a bare drive and drive-relative paths', () => {
    expect(classifyPath('O:')).toEqual({ kind: 'drive', root: 'O:\\' })
    expect(classifyPath('O:data')).toEqual({ kind: 'relative', root: null })
    expect(classifyPath('\\\\server')).toEqual({ kind: 'relative', root: null })
    expect(classifyPath('//server')).toEqual({ kind: 'posix', root: '/' })
  })
})
