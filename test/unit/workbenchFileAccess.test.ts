// Windows drive letters, UNC shares, locks and retries: each problem gets its own code and a message
// naming the file (simulated with an injected stat, since this machine has no shares).
import { describe, expect, it } from 'vitest'
import { classifyPath, normalizeUserPath, probePath } from '../../src-main/workbench/fileAccess'
import { RequestError } from '../../src-shared/wire'

const errno = (code: string) => Object.assign(new Error(code), { code })
const fileStat = { size: 1234, isDirectory: () => false }

async function failure(p: Promise<unknown>): Promise<RequestError> {
  try {
    await p
  } catch (err) {
    return err as RequestError
  }
  throw new Error('expected a failure')
}

describe('classifyPath', () => {
  it('tells drive letters, UNC shares, POSIX and relative paths apart', () => {
    expect(classifyPath('O:\\20250410\\set6\\a.cmcr')).toEqual({ kind: 'drive', root: 'O:\\' })
    expect(classifyPath('o:/data/a.cmcr')).toEqual({ kind: 'drive', root: 'O:\\' })
    expect(classifyPath('\\\\Jiangfs1\\fs_1_2_data\\Python_Project\\x.csv')).toEqual({ kind: 'unc', root: '\\\\Jiangfs1\\fs_1_2_data' })
    expect(classifyPath('//Jiangfs1/fs_1_2_data/x.csv')).toEqual({ kind: 'unc', root: '\\\\Jiangfs1\\fs_1_2_data' })
    expect(classifyPath('/home/u/a.cmcr')).toEqual({ kind: 'posix', root: '/' })
    expect(classifyPath('data/a.cmcr')).toEqual({ kind: 'relative', root: null })
  })

  it('strips the quotes of "Copy as path"', () => {
    expect(normalizeUserPath('  "O:\\a b\\c.cmcr" ')).toBe('O:\\a b\\c.cmcr')
  })
})

describe('probePath', () => {
  it('explains that a Windows path cannot be opened on another OS', async () => {
    const e = await failure(probePath('O:\\20250410\\a.cmcr', { platform: 'linux', stat: async () => fileStat }))
    expect(e.code).toBe('FILE_NOT_FOUND')
    expect(e.message).toContain('O:\\20250410\\a.cmcr')
    expect(e.message).toContain('drive O:\\')
    expect(e.path).toBe('O:\\20250410\\a.cmcr')
  })

  it('retries a locked file with backoff and succeeds once the lock is gone', async () => {
    let calls = 0
    const r = await probePath('O:\\a.cmcr', {
      platform: 'win32',
      delayMs: 1,
      retries: 3,
      stat: async () => {
        calls++
        if (calls <= 2) throw errno('EBUSY')
        return fileStat
      },
    })
    expect(calls).toBe(3)
    expect(r).toEqual({ path: 'O:\\a.cmcr', size: 1234, kind: 'file' })
  })

  it('reports a file that stays locked as FILE_LOCKED, retryable, after all attempts', async () => {
    let calls = 0
    const e = await failure(
      probePath('O:\\a.cmcr', {
        platform: 'win32',
        delayMs: 1,
        retries: 2,
        stat: async () => {
          calls++
          throw errno('EPERM')
        },
      }),
    )
    expect(calls).toBe(3)
    expect(e.code).toBe('FILE_LOCKED')
    expect(e.retryable).toBe(true)
    expect(e.message).toContain('O:\\a.cmcr')
    expect(e.message).toContain('locked by another program')
  })

  it('tells an unreachable share from a missing file on a reachable one', async () => {
    const path = '\\\\Jiangfs1\\fs_1_2_data\\rec\\a.cmcr'
    const down = await failure(probePath(path, { platform: 'win32', stat: async () => Promise.reject(errno('ENOENT')) }))
    expect(down.code).toBe('SHARE_UNREACHABLE')
    expect(down.retryable).toBe(true)
    expect(down.message).toContain('\\\\Jiangfs1\\fs_1_2_data')
    const up = await failure(
      probePath(path, {
        platform: 'win32',
        stat: async (p) => (p === '\\\\Jiangfs1\\fs_1_2_data' ? { size: 0, isDirectory: () => true } : Promise.reject(errno('ENOENT'))),
      }),
    )
    expect(up.code).toBe('FILE_NOT_FOUND')
    expect(up.message).toBe(`File not found: ${path}`)
  })

  it('says which kind was expected', async () => {
    const e = await failure(probePath('/data', { platform: 'linux', expect: 'file', stat: async () => ({ size: 0, isDirectory: () => true }) }))
    expect(e.code).toBe('FILE_KIND')
    expect(e.message).toBe('/data is a folder, a file was expected')
  })
})
