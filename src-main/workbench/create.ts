// Builds the workbench service as both entry points (Electron main and the web host) use it.

import type { Transport } from '../ipc/contract'
import { WorkbenchService } from './service'

export function createWorkbenchService(options: {
  transport: Transport
  workdir: string
  configDir?: string
  extraAllowedFolders?: string[]
}): WorkbenchService {
  const service = new WorkbenchService({
    transport: options.transport,
    workdir: options.workdir,
    configDir: options.configDir,
    version: process.env.npm_package_version || '0.1.0',
  })
  if (options.extraAllowedFolders?.length) service.allowFolders(options.extraAllowedFolders)
  return service
}
