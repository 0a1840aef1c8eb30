// Electron main process entry. Everything Electron-specific lives in ./app (window, menu, dialogs, IPC).
import './app/main'
