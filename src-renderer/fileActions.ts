// File commands shared by the menu (Ctrl+O, Ctrl+S, Ctrl+Shift+S), the keyboard in browser mode, and
// the session panel. The desktop app uses native dialogs; the browser uses the inline file browser.

import type { OpenRequest } from '../src-shared/contract'
import { api } from './api'
import { useWorkbench } from './stores/workbench'

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
  const native = () => !!wb.info?.nativeDialogs

  async function open(): Promise<void> {
    wb.view = 'wizard'
    wb.page = 'recording'
    if (!native()) {
      wb.browseRequest++
      return
    }
    const r = await api.invoke('dialog.open', { title: 'Open a recording (.cmcr and/or .cmtr)', filters: RECORDING_FILTERS, multiple: true })
    if (r.paths.length === 0) return
    const cmcr = r.paths.find((p) => p.toLowerCase().endsWith('.cmcr')) ?? null
    const cmtr = r.paths.find((p) => p.toLowerCase().endsWith('.cmtr')) ?? null
    await wb.openRecording(cmcr, cmtr)
  }

  async function save(): Promise<void> {
    if (!wb.session) return
    const problem = await wb.save()
    if (problem?.code === 'FILE_EXISTS') {
      // The default file exists (and is not the one we saved to): let Save as confirm it.
      wb.panelMode = 'saveAs'
    }
  }

  async function saveAs(): Promise<void> {
    if (!wb.session) return
    if (!native()) {
      wb.panelMode = 'saveAs'
      return
    }
    const r = await api.invoke('dialog.save', {
      title: 'Save session as',
      filters: ARCHIVE_FILTERS,
      defaultPath: wb.session.hdf5Path ?? `${wb.session.outputDir}/${wb.session.datasetId}.h5`,
    })
    // The native dialog already asked about overwriting.
    if (r.path) await wb.save(r.path, true)
  }

  async function resume(): Promise<void> {
    if (!native()) {
      wb.panelMode = 'resume'
      return
    }
    const r = await api.invoke('dialog.open', { title: 'Resume from a session archive or checkpoint', filters: ARCHIVE_FILTERS })
    if (r.paths[0]) await wb.resume(r.paths[0])
  }

  async function checkpoint(): Promise<void> {
    if (wb.session) await wb.checkpoint()
  }

  /**
   * A file handed over from outside (double-click, "Open with", a second launch): opened as the Open and
   * Resume actions open their choice (so what guards them, such as the unsaved-work question, applies).
   */
  async function openRequest(r: OpenRequest): Promise<void> {
    wb.view = 'wizard'
    wb.page = 'recording'
    if (r.kind === 'archive') await wb.resume(r.path)
    else await wb.openRecording(r.cmcrPath, r.cmtrPath)
  }

  return { open, save, saveAs, resume, checkpoint, openRequest }
}
