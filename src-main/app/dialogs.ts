// Native open/save dialogs behind the contract's dialog.open / dialog.save requests. The save dialog
// itself asks before overwriting an existing file (the OS convention).

import { dialog, type BrowserWindow } from 'electron'
import type { WorkbenchService } from '../workbench/service'

export function registerDialogs(service: WorkbenchService, parent: () => BrowserWindow): void {
  service.register('dialog.open', async (p) => {
    const properties: Array<'openFile' | 'openDirectory' | 'multiSelections'> = [p.directory ? 'openDirectory' : 'openFile']
    if (p.multiple) properties.push('multiSelections')
    const r = await dialog.showOpenDialog(parent(), { title: p.title, filters: p.filters, defaultPath: p.defaultPath, properties })
    return { paths: r.canceled ? [] : r.filePaths }
  })
  service.register('dialog.save', async (p) => {
    const r = await dialog.showSaveDialog(parent(), {
      title: p.title,
      filters: p.filters,
      defaultPath: p.defaultPath,
      properties: ['showOverwriteConfirmation', 'createDirectory'],
    })
    return { path: r.canceled || !r.filePath ? null : r.filePath }
  })
}
