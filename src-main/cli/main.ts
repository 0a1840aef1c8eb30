// Headless entry: `node out/main/cli.js <command> ...`. Each command lives beside this file in src-main/cli/.

import { exitProcess } from '../../src-worker/threadsLeftBehind'

const USAGE = `usage: hdmea-workbench <command> [options]

commands:
  demo [--out DIR]                       generate the demo recording if absent and run the Quick Start
  batch <csv|folder> [--recipe FILE] --out DIR   process many recordings (resumable; --engine slurm for a cluster)
  batch-item --queue DIR --index N       one item of a saved batch queue (what a SLURM array task runs)
`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'demo':
      return (await import('./demo')).runDemoCommand(rest)
    case 'batch':
      return (await import('./batch')).runBatchCommand(rest)
    case 'batch-item':
      return (await import('./batchItem')).runBatchItemCommand(rest)
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE)
      return command ? 0 : 2
    default:
      process.stderr.write(`Unknown command '${command}'.\n${USAGE}`)
      return 2
  }
}

main(process.argv.slice(2)).then(
  (code) => exitProcess(code),
  (err) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`)
    exitProcess(1)
  },
)
