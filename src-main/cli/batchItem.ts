// `hdmea-workbench batch-item --queue DIR --index N`: one item of a saved batch queue, as a SLURM array
// task runs it ($SLURM_ARRAY_TASK_ID is the index). Exit code 0: done, skipped or already done;
// 1: failed; 143: stopped by a signal (scancel, time limit); 2: bad arguments.

import { resolve } from 'node:path'
import { describeError } from '../../src-shared/errors'
import { STEPS } from '../steps/index'
import { runItemTask } from '../batch/slurm/itemTask'
import { type CommandArgs, type OptionTable, parseCommandArgs } from './args'

const USAGE = `usage: hdmea-workbench batch-item --queue DIR --index N

Runs item N (0-based) of the batch queue saved in DIR (written by \`batch --engine slurm\`), writing
only that item's state file, log, checkpoint and archive.`

const ITEM_ARGS = {
  options: {
    queue: { type: 'string', needs: 'the output folder of the batch' },
    index: { type: 'whole', min: 0 },
    help: { type: 'boolean', short: 'h' },
  },
  positionals: false,
  unknown: (arg: string) => `unknown argument ${arg}`,
} satisfies CommandArgs<OptionTable>

export async function runBatchItemCommand(argv: string[]): Promise<number> {
  let values
  try {
    values = parseCommandArgs(argv, ITEM_ARGS).values
    if (!values.help && (values.queue === undefined || values.index === undefined)) throw new Error('--queue DIR and --index N are required')
  } catch (err) {
    process.stderr.write(`batch-item: ${(err as Error).message}\n\n${USAGE}\n`)
    return 2
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  try {
    const { item, exitCode } = await runItemTask({
      outputDir: resolve(values.queue!),
      index: values.index!,
      steps: STEPS,
      log: (line) => process.stdout.write(`${line}\n`),
    })
    process.stdout.write(`${item.id}: ${item.state}${item.error ? ` (${item.error.message})` : ''}\n`)
    return exitCode
  } catch (e) {
    process.stderr.write(`batch-item: ${describeError(e).message}\n`)
    return 1
  }
}
