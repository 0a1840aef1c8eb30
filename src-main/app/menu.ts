// The application menu. File commands go to the renderer (which owns the flow: confirmations, the
// file browser, the session panel) as menu.command events.

import { Menu, type MenuItemConstructorOptions } from 'electron'
import type { Events } from '../../src-shared/contract'

type Command = Events['menu.command']['command']

export function buildMenu(send: (command: Command) => void): void {
  const isMac = process.platform === 'darwin'
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        { label: 'Open recording…', accelerator: 'CmdOrCtrl+O', click: () => send('open') },
        { label: 'Resume from checkpoint…', click: () => send('resume') },
        { type: 'separator' },
        { label: 'Save', accelerator: 'CmdOrCtrl+S', click: () => send('save') },
        { label: 'Save as…', accelerator: 'CmdOrCtrl+Shift+S', click: () => send('saveAs') },
        { label: 'Checkpoint now', click: () => send('checkpoint') },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ]
  Menu.setApplicationMenu(Menu.buildFromTemplate(template))
}
