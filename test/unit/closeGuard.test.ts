// Closing with unsaved work (issue 13 item 1): the rule shared by renderer and desktop shell, and the
// desktop close flow Save / Discard / Cancel with an existing file and a failing save.
import { describe, expect, it } from 'vitest'
import type { SessionSnapshot } from '../../src-shared/contract'
import { hasUnsavedWork } from '../../src-shared/unsavedWork'
import { type CloseQuestion, confirmClose } from '../../src-main/app/closeGuard'

function snap(over: Partial<SessionSnapshot>): SessionSnapshot {
  return {
    datasetId: 'rec1',
    saveState: 'deferred',
    modifiedSinceSave: true,
    hdf5Path: null,
    openedFrom: null,
    outputDir: '/out',
    sourceFiles: {},
    unitCount: 3,
    memoryBytes: 0,
    memoryWarningBytes: 1,
    memoryWarning: false,
    completedSteps: ['load_recording'],
    warnings: [],
    steps: [],
    suggestedParams: {},
    runningJob: null,
    createdAt: 't',
    savedAt: null,
    ...over,
  }
}

describe('unsaved work', () => {
  it('is a never-saved session with results, or a saved one changed since', () => {
    expect(hasUnsavedWork(null)).toBe(false)
    expect(hasUnsavedWork(snap({}))).toBe(true)
    // Opened, nothing ran: only file names, nothing to lose.
    expect(hasUnsavedWork(snap({ completedSteps: [] }))).toBe(false)
    expect(hasUnsavedWork(snap({ saveState: 'saved', modifiedSinceSave: false }))).toBe(false)
    expect(hasUnsavedWork(snap({ saveState: 'saved', modifiedSinceSave: true }))).toBe(true)
  })
})

describe('closing the desktop window', () => {
  function run(current: SessionSnapshot | null, answers: number[], save: (overwrite: boolean) => Promise<void> = async () => {}) {
    const asked: CloseQuestion[] = []
    const saves: boolean[] = []
    const result = confirmClose({
      snapshot: () => current,
      ask: async (q) => {
        asked.push(q)
        const a = answers.shift()
        if (a === undefined) throw new Error(`unexpected question: ${q.message}`)
        return a
      },
      save: async (overwrite) => {
        saves.push(overwrite)
        await save(overwrite)
      },
    })
    return { result, asked, saves }
  }

  it('closes without asking when nothing is unsaved', async () => {
    const r = run(snap({ saveState: 'saved', modifiedSinceSave: false }), [])
    expect(await r.result).toBe(true)
    expect(r.asked).toEqual([])
  })

  it('Cancel keeps the window, Discard closes without saving, Save saves then closes', async () => {
    const cancel = run(snap({}), [2])
    expect(await cancel.result).toBe(false)
    expect(cancel.asked[0].buttons).toEqual(['Save', 'Discard', 'Cancel'])
    expect(cancel.asked[0].detail).toContain('rec1')
    const discard = run(snap({}), [1])
    expect(await discard.result).toBe(true)
    expect(discard.saves).toEqual([])
    const save = run(snap({}), [0])
    expect(await save.result).toBe(true)
    expect(save.saves).toEqual([false])
  })

  it('asks before overwriting another file, and asks again after a failed save', async () => {
    const exists = Object.assign(new Error('/out/rec1.h5 already exists; confirm to overwrite it'), { code: 'FILE_EXISTS' })
    const over = run(snap({}), [0, 0], async (overwrite) => {
      if (!overwrite) throw exists
    })
    expect(await over.result).toBe(true)
    expect(over.saves).toEqual([false, true])
    expect(over.asked[1].message).toBe('Overwrite the existing file?')

    const failing = run(snap({}), [0, 2], async () => {
      throw Object.assign(new Error('disk full'), { code: 'IO' })
    })
    expect(await failing.result).toBe(false)
    expect(failing.asked[1].detail).toContain('Save failed: disk full')
  })
})
