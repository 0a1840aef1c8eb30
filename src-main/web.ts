// Browser mode: the same backend as the desktop app, served on 127.0.0.1 with a random token.
//   node out/main/web.js [--workdir DIR] [--allow DIR]... [--demo-dir DIR] [--port N] [--plugins DIR]... [--python PATH] [FILE]
// FILE (a .cmcr, .cmtr or .h5 inside an allowed folder) is opened in the page once it connects.
// Prints "Workbench ready: http://127.0.0.1:<port>/?token=<token>" once it listens.

import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import nodeLog from 'electron-log/node'
import { logProcessCrashes } from './desktop/crashLog'
import { LOG_FILE_NAME } from './desktop/identity'
import { fileArgsFromArgv, openRequestsFor } from './desktop/openArgs'
import { OpenQueue } from './desktop/openQueue'
import { startWebHost } from './ipc/webHost'
import { attachLogging } from './logging/attachLogging'
import { openDiskLog } from './logging/diskLog'
import { createWorkbenchService } from './workbench/create'
import { exitProcess } from '../src-worker/threadsLeftBehind'

interface WebArgs {
  workdir: string
  demoDir?: string
  allow: string[]
  port: number
  plugins: string[]
  python?: string
  files: string[]
}

function parseArgs(argv: string[]): WebArgs {
  const args: WebArgs = { workdir: process.env.HDMEA_WORKDIR || process.cwd(), allow: [], port: 0, plugins: [], files: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value`)
      return v
    }
    if (a === '--workdir') args.workdir = value()
    else if (a === '--allow') args.allow.push(resolve(value()))
    else if (a === '--demo-dir') args.demoDir = resolve(value())
    else if (a === '--port') args.port = Number(value())
    else if (a === '--plugins') args.plugins.push(resolve(value()))
    else if (a === '--python') args.python = value()
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node out/main/web.js [--workdir DIR] [--allow DIR]... [--demo-dir DIR] [--port N] [--plugins DIR]... [--python PATH] [FILE]\n')
      process.exit(0)
    } else if (!a.startsWith('-') && fileArgsFromArgv([a], process.cwd()).length === 1) args.files.push(a)
    else if (!a.startsWith('-')) throw new Error(`'${a}' is not a .cmcr, .cmtr or .h5 file to open`)
    else throw new Error(`Unknown option '${a}'`)
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new Error(`--port must be 0..65535`)
  return args
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const service = createWorkbenchService({
    transport: 'web',
    workdir: resolve(args.workdir),
    extraAllowedFolders: args.allow,
    demoDir: args.demoDir,
    pluginFolders: args.plugins,
    python: args.python,
    prewarm: true,
  })
  // The log on disk: <workdir>/.workbench/logs/workbench.log, beside the settings (docs/desktop.md).
  const disk = openDiskLog(nodeLog, { file: join(service.workdir, '.workbench', 'logs', LOG_FILE_NAME) })
  logProcessCrashes(process, disk.write)
  attachLogging(service, disk)
  // Files named on the command line open in the page, as a double-clicked file does in the desktop app.
  const opens = new OpenQueue((request) => service.emit('app.openFile', request))
  service.register('app.takeOpenRequests', () => opens.take())
  opens.push(openRequestsFor(fileArgsFromArgv(args.files, process.cwd()), existsSync))
  disk.write('info', `web host starting (node ${process.versions.node}, ${process.platform} ${process.arch}), working folder ${service.workdir}`)
  const host = await startWebHost({ service, rendererDir: resolve(import.meta.dirname, '../renderer'), port: args.port })
  process.stdout.write(`Workbench ready (browser mode): ${host.url}\n`)
  process.stdout.write(`Working folder: ${service.workdir}\n`)
  process.stdout.write(`Log file: ${disk.file}\n`)
  // The page can read and write only here; say so where the user looks, with how to widen it.
  const allowed = (await service.dispatch('settings.get', {})) as { allowedFolders: string[] }
  process.stdout.write(`Folders the page may use:\n${allowed.allowedFolders.map((f) => `  ${f}\n`).join('')}`)
  process.stdout.write('Add a folder by starting again with: npm start -- --allow <dir>   (repeat --allow for more)\n')
  let closing = false
  const shutdown = async () => {
    if (closing) return
    closing = true
    await host.close()
    await service.close()
    await exitProcess(0, {
      log: (m) => {
        disk.write('warn', m)
        process.stderr.write(`${m}\n`)
      },
    })
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}

main().catch((err) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
