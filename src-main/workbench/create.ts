// Builds the workbench service as both entry points (Electron main and the web host) use it.

import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { attachBatch } from '../batch/ipc'
import { ensureDemoRecording } from '../demoSet'
import type { Transport } from '../../src-shared/contract'
import { WorkbenchService } from './service'
import { bundledPluginFolder } from '../plugins/cliSteps'

export function createWorkbenchService(options: {
  transport: Transport
  workdir: string
  configDir?: string
  extraAllowedFolders?: string[]
  /** Where the demo recording is generated (default <workdir>/demo); it is always an allowed folder. */
  demoDir?: string
  /** Browser mode: plugin folders fixed at start (--plugins DIR); the bundled folder is added after them. */
  pluginFolders?: string[]
  /** Browser mode: the Python interpreter fixed at start (--python PATH). */
  python?: string
  /** The app's version (the desktop app knows it from its package; npm scripts set npm_package_version). */
  version?: string
  /** Pre-warm the worker pool at start (the app and the web host; HDMEA_PREWARM=0 turns it off for measurements). */
  prewarm?: boolean
}): WorkbenchService {
  const demoDir = resolve(options.demoDir ?? join(options.workdir, 'demo'))
  const bundled = bundledPluginFolder()
  const userPlugins = join(options.configDir ?? join(options.workdir, '.workbench'), 'plugins')
  // The desktop app makes its own plugin folder, so Settings points at a folder the user can open and fill.
  // eslint-disable-next-line layers/no-sync-fs -- once at start-up, before the window or any request
  if (options.transport === 'electron') mkdirSync(userPlugins, { recursive: true })
  const service = new WorkbenchService({
    transport: options.transport,
    workdir: options.workdir,
    configDir: options.configDir,
    demo: () => ensureDemoRecording(demoDir),
    version: options.version ?? (process.env.npm_package_version || '0.1.0'),
    prewarm: options.prewarm === true && process.env.HDMEA_PREWARM !== '0',
    plugins: {
      defaultFolders: [userPlugins, ...(bundled ? [bundled] : [])],
      folders: options.pluginFolders?.length ? [...options.pluginFolders, ...(bundled ? [bundled] : [])] : undefined,
      python: options.python,
    },
  })
  // The demo's stimulus files (playlist, movie lengths, stimulus configs) ship in resources/demo; steps may
  // read the bundled resources without them being an allowed folder (PathGuard's read-only folders), so
  // nothing can be saved into the app's own files.
  service.allowFolders([...(options.extraAllowedFolders ?? []), demoDir])
  // Files handed over from outside (double-click, second launch) exist only in the desktop app, which replaces this.
  service.register('app.takeOpenRequests', () => [])
  // The batch queue (batch.* requests); closing the service stops it, leaving its queue resumable.
  const batch = attachBatch(service)
  const closeService = service.close.bind(service)
  service.close = async () => {
    await batch.dispose()
    await closeService()
  }
  return service
}
