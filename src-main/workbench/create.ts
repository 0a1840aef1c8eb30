// Builds the workbench service as both entry points (Electron main and the web host) use it.

import { join, resolve } from 'node:path'
import { attachBatch } from '../batch/ipc'
import { ensureDemoRecording } from '../demoSet'
import type { Transport } from '../../src-shared/contract'
import { WorkbenchService } from './service'

export function createWorkbenchService(options: {
  transport: Transport
  workdir: string
  configDir?: string
  extraAllowedFolders?: string[]
  /** Where the demo recording is generated (default <workdir>/demo); it is always an allowed folder. */
  demoDir?: string
}): WorkbenchService {
  const demoDir = resolve(options.demoDir ?? join(options.workdir, 'demo'))
  const service = new WorkbenchService({
    transport: options.transport,
    workdir: options.workdir,
    configDir: options.configDir,
    demo: () => ensureDemoRecording(demoDir),
    version: process.env.npm_package_version || '0.1.0',
  })
  service.allowFolders([...(options.extraAllowedFolders ?? []), demoDir])
  // The batch queue (batch.* requests); closing the service stops it, leaving its queue resumable.
  const batch = attachBatch(service)
  const closeService = service.close.bind(service)
  service.close = async () => {
    await batch.dispose()
    await closeService()
  }
  return service
}
