// Files handed to the desktop app from outside (double-click, "Open with", a second launch) and the
// single-instance handling, with stand-ins for Electron's window and the second launch's data.
import { describe, expect, it } from 'vitest'
import type { OpenRequest } from '../../src-shared/contract'
import { fileArgsFromArgv, openRequestsFor, partnerCandidates } from '../../src-main/desktop/openArgs'
import { OpenQueue } from '../../src-main/desktop/openQueue'
import { type FocusableWindow, focusWindow, handleSecondInstance, launchData, secondLaunchFiles } from '../../src-main/desktop/singleInstance'

describe('command-line files', () => {
  it('keeps .cmcr/.cmtr/.h5/.hdf5 arguments, skips switches and the development app folder, resolves relative paths', () => {
    const args = ['.', '--allow-file-access-from-files', '/data/set6/X-Rec.cmcr', 'sub/a.CMTR', '--flag=/x/y.h5', 'notes.txt', '/data/out.hdf5']
    expect(fileArgsFromArgv(args, '/home/lab')).toEqual(['/data/set6/X-Rec.cmcr', '/home/lab/sub/a.CMTR', '/data/out.hdf5'])
  })

  it('takes Windows drive and UNC paths as they are, with or without quotes, once each', () => {
    const args = ['"O:\\2025\\set6\\X-Rec.cmcr"', '\\\\server\\share\\rec.h5', 'O:\\2025\\set6\\X-Rec.cmcr']
    expect(fileArgsFromArgv(args, 'C:\\Users\\lab')).toEqual(['O:\\2025\\set6\\X-Rec.cmcr', '\\\\server\\share\\rec.h5'])
  })

  it('finds the partner names of the vendor: X.cmcr with X-.cmtr or X.cmtr, X-.cmtr with X.cmcr', () => {
    expect(partnerCandidates('/d/X.cmcr')).toEqual(['/d/X-.cmtr', '/d/X.cmtr'])
    expect(partnerCandidates('/d/X-.cmtr')).toEqual(['/d/X.cmcr'])
    expect(partnerCandidates('/d/X.cmtr')).toEqual(['/d/X.cmcr'])
    expect(partnerCandidates('/d/X.h5')).toEqual([])
  })
})

describe('open requests', () => {
  const onDisk = (...files: string[]) => (p: string) => files.includes(p)

  it('a double-clicked .cmcr opens with the .cmtr found beside it', () => {
    expect(openRequestsFor(['/d/rec.cmcr'], onDisk('/d/rec.cmcr', '/d/rec-.cmtr'))).toEqual([
      { kind: 'recording', cmcrPath: '/d/rec.cmcr', cmtrPath: '/d/rec-.cmtr' },
    ])
  })

  it('a .cmtr alone opens alone when no .cmcr is beside it', () => {
    expect(openRequestsFor(['/d/rec.cmtr'], onDisk('/d/rec.cmtr'))).toEqual([{ kind: 'recording', cmcrPath: null, cmtrPath: '/d/rec.cmtr' }])
  })

  it('both files selected together are one recording; an archive is a resume; files in any order', () => {
    const reqs = openRequestsFor(['/d/a-.cmtr', '/d/s.h5', '/d/a.cmcr'], onDisk())
    expect(reqs).toEqual([
      { kind: 'recording', cmcrPath: '/d/a.cmcr', cmtrPath: '/d/a-.cmtr' },
      { kind: 'archive', path: '/d/s.h5' },
    ])
  })
})

describe('open queue', () => {
  it('holds the launch files until the renderer takes them, then emits the later ones as events', () => {
    const emitted: OpenRequest[] = []
    const q = new OpenQueue((r) => emitted.push(r))
    const a: OpenRequest = { kind: 'archive', path: '/a.h5' }
    const b: OpenRequest = { kind: 'archive', path: '/b.h5' }
    q.push([a])
    expect(emitted).toEqual([])
    expect(q.take()).toEqual([a])
    expect(q.take()).toEqual([]) // taken once
    q.push([b])
    expect(emitted).toEqual([b])
    q.pause() // the window reloads
    q.push([a])
    expect(emitted).toEqual([b])
    expect(q.take()).toEqual([a])
  })
})

class StandInWindow implements FocusableWindow {
  calls: string[] = []
  constructor(
    private minimized = false,
    private destroyed = false,
  ) {}
  isDestroyed() {
    return this.destroyed
  }
  isMinimized() {
    return this.minimized
  }
  restore() {
    this.calls.push('restore')
    this.minimized = false
  }
  show() {
    this.calls.push('show')
  }
  focus() {
    this.calls.push('focus')
  }
}

describe('second launch', () => {
  it('restores a minimised window, brings it to the front and opens the file of the second launch there', () => {
    const win = new StandInWindow(true)
    const opened: OpenRequest[][] = []
    const second = launchData(['C:\\Program Files\\HD-MEA Workbench\\hdmea-workbench.exe', 'rec.cmcr'], '/data')
    const reqs = handleSecondInstance(
      // Chromium may reorder or extend argv; the exact command line comes in additionalData
      { argv: ['exe', '--some-chromium-switch', 'ignored.cmcr'], workingDirectory: '/elsewhere', additionalData: second },
      { window: () => win, open: (r) => opened.push(r), exists: (p) => p === '/data/rec-.cmtr' },
    )
    expect(win.calls).toEqual(['restore', 'show', 'focus'])
    expect(reqs).toEqual([{ kind: 'recording', cmcrPath: '/data/rec.cmcr', cmtrPath: '/data/rec-.cmtr' }])
    expect(opened).toEqual([reqs])
  })

  it('falls back to argv and the working directory when no launch data came along', () => {
    expect(secondLaunchFiles(['exe', 'x.h5'], '/w', undefined)).toEqual(['/w/x.h5'])
    expect(secondLaunchFiles(['exe', 'x.h5'], '/w', { argv: 'not a list' })).toEqual(['/w/x.h5'])
  })

  it('a second launch without files only focuses; a closed window is left alone', () => {
    const win = new StandInWindow(false)
    const opened: OpenRequest[][] = []
    expect(handleSecondInstance({ argv: ['exe'], workingDirectory: '/', additionalData: launchData(['exe'], '/') }, { window: () => win, open: (r) => opened.push(r), exists: () => false })).toEqual([])
    expect(win.calls).toEqual(['show', 'focus'])
    expect(opened).toEqual([])
    expect(focusWindow(new StandInWindow(false, true))).toBe(false)
    expect(focusWindow(null)).toBe(false)
  })
})
