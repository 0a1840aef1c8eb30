// The session commands: open a recording, open the demo, resume, save, save as, checkpoint. The menu
// (Ctrl+O, Ctrl+S, Ctrl+Shift+S), the keyboard in browser mode, the start page, the session panel, the
// batch queue's Open and drag and drop all come here, so every way of replacing a session first asks
// Save / Discard / Cancel when it holds unsaved work, and every way lands on the same wizard page.
// The desktop app uses native dialogs; the browser uses the inline file browser.

import type { OpenRequest, WireError } from '../src-shared/contract'
import { hasUnsavedWork, unsavedWorkSummary } from '../src-shared/unsavedWork'
import { api } from './api'
import { useUi } from './stores/ui'
import { errorOf, useWorkbench } from './stores/workbench'
import { buildStages, firstRunnableStage } from './wizardPlan'

export const RECORDING_FILTERS = [
  { name: 'MCS recordings', extensions: ['cmcr', 'cmtr'] },
  { name: 'All files', extensions: ['*'] },
]
export const ARCHIVE_FILTERS = [
  { name: 'Session archives', extensions: ['h5', 'hdf5'] },
  { name: 'All files', extensions: ['*'] },
]

export function useFileActions() {
  const wb = useWorkbench()
  const ui = useUi()
  const native = () => !!wb.info?.nativeDialogs

  /** Saves to the session's file or default path; an existing other file is overwritten only after asking. */
  async function saveOrAsk(): Promise<boolean> {
    try {
      await saveWithActivity()
      return true
    } catch (err) {
      const e = errorOf(err)
      if (e.code === 'CANCELLED') return false // the user stopped the save: keep the session open
      if (e.code !== 'FILE_EXISTS') throw err
      const answer = await ui.ask({
        title: 'Overwrite the existing file?',
        message: e.message,
        buttons: [
          { id: 'overwrite', label: 'Overwrite', kind: 'danger' },
          { id: 'cancel', label: 'Cancel' },
        ],
        cancelId: 'cancel',
        testid: 'overwrite-dialog',
      })
      if (answer !== 'overwrite') return false
      await saveWithActivity(e.path, true)
      return true
    }
  }

  /**
   * Resolves to true when the current session may be replaced or closed: it holds no unsaved work, or
   * the user saved it or chose to discard it. `action` names what would replace it ("Open demo").
   */
  async function confirmReplace(action: string): Promise<boolean> {
    let error: string | undefined
    for (;;) {
      const s = wb.session
      if (!hasUnsavedWork(s)) return true
      const answer = await ui.ask({
        title: 'Save the current session first?',
        message: `${unsavedWorkSummary(s!)} ${action} replaces it.`,
        detail: 'Save writes it to its archive; Discard drops its results; Cancel keeps it open and does nothing else.',
        buttons: [
          { id: 'save', label: 'Save', kind: 'primary' },
          { id: 'discard', label: 'Discard', kind: 'danger' },
          { id: 'cancel', label: 'Cancel' },
        ],
        cancelId: 'cancel',
        testid: 'unsaved-dialog',
        error,
      })
      if (answer === 'cancel') return false
      if (answer === 'discard') return true
      try {
        if (await saveOrAsk()) return true
      } catch (err) {
        error = `Save failed: ${errorOf(err).message}`
      }
    }
  }

  /** After a session opened or resumed: the first step of the chosen path that can run, else the review. */
  function landOnFirstRunnable(): void {
    const stage = firstRunnableStage(buildStages(wb.steps), wb.session, ui.choices)
    ui.view = 'wizard'
    ui.page = stage?.id ?? 'review'
  }

  async function withActivity(busy: string, done: (() => string) | null, failed: string, what: () => Promise<void>): Promise<void> {
    ui.activity = { text: busy, kind: 'busy' }
    try {
      await what()
      ui.activity = done ? { text: done(), kind: 'ok' } : null
    } catch (err) {
      const e = errorOf(err)
      ui.activity = e.code === 'CANCELLED' ? { text: 'Cancelled; nothing was changed', kind: 'ok' } : { text: failed, kind: 'error', error: e }
      throw err
    }
  }

  async function saveWithActivity(path?: string, overwrite = false): Promise<string> {
    let saved = ''
    ui.activity = { text: 'Saving…', kind: 'busy' }
    try {
      saved = await wb.save(path, overwrite)
      ui.activity = { text: `Saved ${saved}`, kind: 'ok' }
      return saved
    } catch (err) {
      const e = errorOf(err)
      ui.activity =
        e.code === 'FILE_EXISTS' ? null : e.code === 'CANCELLED' ? { text: 'Save cancelled; the file is unchanged', kind: 'ok' } : { text: 'Save failed', kind: 'error', error: e }
      throw err
    }
  }

  // ---------- opening (each asks first, then lands on the first step that can run) ----------

  /** Resolves to false when the user kept the current session (Cancel). */
  async function openRecording(cmcr: string | null, cmtr: string | null, datasetId?: string): Promise<boolean> {
    if (!(await confirmReplace('Opening another recording'))) return false
    await wb.openRecording(cmcr, cmtr, datasetId)
    ui.activity = null
    landOnFirstRunnable()
    return true
  }

  async function openDemo(): Promise<boolean> {
    if (!(await confirmReplace('Opening the demo'))) return false
    await withActivity('Preparing the demo recording…', () => 'Demo recording opened', 'The demo could not be opened', () => wb.openDemo())
    landOnFirstRunnable()
    return true
  }

  async function resumeFrom(path: string): Promise<boolean> {
    if (!(await confirmReplace('Resuming another session'))) return false
    await withActivity(`Resuming from ${path}…`, () => `Resumed from ${path}`, 'Resume failed', () => wb.resume(path))
    landOnFirstRunnable()
    return true
  }

  // ---------- the menu's commands ----------

  async function open(): Promise<void> {
    ui.view = 'wizard'
    ui.page = 'recording'
    if (!native()) {
      ui.browseRequest++
      return
    }
    const r = await api.invoke('dialog.open', { title: 'Open a recording (.cmcr and/or .cmtr)', filters: RECORDING_FILTERS, multiple: true })
    if (r.paths.length === 0) return
    const cmcr = r.paths.find((p) => p.toLowerCase().endsWith('.cmcr')) ?? null
    const cmtr = r.paths.find((p) => p.toLowerCase().endsWith('.cmtr')) ?? null
    await openRecording(cmcr, cmtr)
  }

  async function save(): Promise<void> {
    if (!wb.session) return
    try {
      await saveWithActivity()
    } catch (err) {
      // The default file exists (and is not the one we saved to): let Save as confirm it.
      if (errorOf(err).code === 'FILE_EXISTS') ui.panelMode = 'saveAs'
    }
  }

  /** Save as to a path typed in the panel; resolves to the error when the target exists and needs a confirmation. */
  async function saveTo(path: string, overwrite: boolean): Promise<WireError | null> {
    try {
      await saveWithActivity(path, overwrite)
      return null
    } catch (err) {
      const e = errorOf(err)
      return e.code === 'CANCELLED' ? null : e
    }
  }

  async function saveAs(): Promise<void> {
    if (!wb.session) return
    if (!native()) {
      ui.panelMode = 'saveAs'
      return
    }
    const r = await api.invoke('dialog.save', {
      title: 'Save session as',
      filters: ARCHIVE_FILTERS,
      defaultPath: wb.session.hdf5Path ?? `${wb.session.outputDir}/${wb.session.datasetId}.h5`,
    })
    // The native dialog already asked about overwriting.
    if (r.path) await saveWithActivity(r.path, true).catch(() => {})
  }

  async function resume(): Promise<void> {
    if (!native()) {
      ui.panelMode = 'resume'
      return
    }
    const r = await api.invoke('dialog.open', { title: 'Resume from a session archive or checkpoint', filters: ARCHIVE_FILTERS })
    if (r.paths[0]) await resumeFrom(r.paths[0]).catch(() => {})
  }

  async function checkpoint(): Promise<void> {
    if (!wb.session) return
    let path = ''
    await withActivity('Writing checkpoint…', () => `Checkpoint written: ${path}`, 'Checkpoint failed', async () => {
      path = await wb.checkpoint()
    }).catch(() => {})
  }

  /**
   * A file handed over from outside (double-click, "Open with", a second launch): opened as the Open and
   * Resume actions open their choice, so the unsaved-work question applies here too.
   */
  async function openRequest(r: OpenRequest): Promise<void> {
    if (r.kind === 'archive') await resumeFrom(r.path)
    else await openRecording(r.cmcrPath, r.cmtrPath)
  }

  return { open, save, saveTo, saveAs, resume, checkpoint, openRecording, openDemo, resumeFrom, openRequest, confirmReplace, landOnFirstRunnable }
}
