// `hdmea-workbench batch <csv|folder|files...> [--recipe FILE] --out DIR`: the batch queue without a
// window. The same engine as the app's queue view; the queue lives in <out>/.hdmea-batch, so running the
// same command again after a crash, a kill or Ctrl+C resumes where it stopped.

import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { createTaskPool } from '../pool/taskPool'
import { describeError } from '../../src-shared/errors'
import { cliSteps } from '../plugins/cliSteps'
import { type CliLog, startCliLog } from '../logging/cliLog'
import { discoverInputs } from '../batch/discovery'
import { CRASH_BUDGET_MESSAGE, type BatchOptions } from '../../src-shared/batchModel'
import { loadRecipe, saveRecipe, type Recipe } from '../batch/recipe'
import { BatchQueue } from '../batch/runner'
import { readQueueFile } from '../batch/store'
import { quickStartRecipe } from '../batch/defaultRecipe'
import { type CommandArgs, type OptionTable, type ParsedArgs, parseCommandArgs, UsageError } from './args'
import { fmtSeconds, itemDetail, summaryTable } from './batchTable'
import { runClusterControl, runSlurmSubmit } from './batchSlurm'

const USAGE = `usage: hdmea-workbench batch [INPUT...] [--recipe FILE] --out DIR [options]

INPUT is a mapping CSV (columns cmcr_path, cmtr_path, matched; rows with matched=True), a folder
(scanned for X.cmcr with X-.cmtr or X.cmtr, subfolders included), or .cmcr/.cmtr files. With no INPUT,
the saved queue in DIR is resumed.

options:
  --recipe FILE       steps and parameters (JSON, see docs/batch.md); default: the Quick Start steps
  --out DIR           where the archives <id>.h5 go (and the queue, in DIR/.hdmea-batch)
  --concurrency N     recordings at once (default 1)
  --workers N         worker threads per recording (default: the number of cores)
  --overwrite         replace existing archives (default: skip recordings whose archive exists)
  --fresh             forget the saved queue and its checkpoints (existing archives are still skipped)
  --start N, --end N  only inputs N..END-1 of the list (0-based, as the lab's batch script)
  --save-recipe FILE  write the recipe in use to FILE (to edit and reuse)
  --plugins DIR       also load the step plugins in DIR (repeatable; see docs/plugins.md)
  --python PATH       the Python interpreter for Python step plugins (default python3, python on Windows)
  -h, --help          this text

on a SLURM cluster (docs/cluster.md):
  --engine slurm      submit one job array (one task per unfinished recording) instead of running here;
                      running the same command again submits only what is not done
  --partition P       the partition to submit to
  --sbatch-arg ARG    an extra sbatch argument (repeatable), e.g. --sbatch-arg=--account=lab
  --max-parallel N    array tasks at once (default 8)
  --path-map FROM=TO  rewrite input paths for the nodes (repeatable), e.g. --path-map 'O:\=/mnt/lab/'
  --mem MB, --time M  per-task memory and time limit (default: from the recipe; 120 min)
  --wait              wait until every task ended, then print the table
  --status DIR        print the table of a submitted batch (with --wait: until it is through)
  --cancel DIR        scancel the batch's array tasks

Exit code: 0 when nothing failed, 1 when a recording failed, 2 for bad arguments, 130 when interrupted.
The tasks run \`hdmea-workbench batch-item --queue DIR --index N\` (one item of a saved queue).`

const BATCH_ARGS = {
  options: {
    recipe: { type: 'string' },
    out: { type: 'string' },
    concurrency: { type: 'whole', min: 1 },
    workers: { type: 'whole', min: 1 },
    start: { type: 'whole', min: 0 },
    end: { type: 'whole', min: 0 },
    'save-recipe': { type: 'string' },
    plugins: { type: 'string', multiple: true, needs: 'a folder' },
    python: { type: 'string', needs: 'an interpreter' },
    overwrite: { type: 'boolean' },
    fresh: { type: 'boolean' },
    engine: { type: 'string', needs: 'local or slurm' },
    partition: { type: 'string' },
    'sbatch-arg': { type: 'string', multiple: true },
    'max-parallel': { type: 'whole', min: 1 },
    'path-map': { type: 'string', multiple: true, needs: 'FROM=TO' },
    mem: { type: 'whole', min: 64 },
    time: { type: 'whole', min: 1 },
    wait: { type: 'boolean' },
    status: { type: 'string', needs: 'the output folder' },
    cancel: { type: 'string', needs: 'the output folder' },
    help: { type: 'boolean', short: 'h' },
  },
  positionals: true,
  unknown: (arg: string) => `unknown option ${arg}`,
} satisfies CommandArgs<OptionTable>

export async function runBatchCommand(argv: string[]): Promise<number> {
  let parsed: ParsedArgs<typeof BATCH_ARGS.options>
  try {
    parsed = parseCommandArgs(argv, BATCH_ARGS)
  } catch (err) {
    process.stderr.write(`batch: ${(err as Error).message}\n\n${USAGE}\n`)
    return 2
  }
  const args = { ...parsed.values, inputs: parsed.positionals, saveRecipe: parsed.values['save-recipe'] }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const out = process.stdout
  const err = process.stderr
  let STEPS: Awaited<ReturnType<typeof cliSteps>>['steps']
  try {
    const plugins = (args.plugins ?? []).map((dir) => resolve(dir))
    STEPS = (await cliSteps({ plugins, python: args.python, write: (line) => err.write(`${line}\n`) })).steps
  } catch (e) {
    err.write(`batch: ${(e as Error).message}\n`)
    return 2
  }
  let cliLog: CliLog | null = null
  if (args.status || args.cancel) return runClusterControl(args, STEPS)
  try {
    let recipe: Recipe | undefined = args.recipe ? await loadRecipe(args.recipe, STEPS) : undefined
    const outputDir = args.out ?? recipe?.outputDir ?? undefined
    if (!outputDir) throw new UsageError('--out DIR is required (or an outputDir in the recipe)')
    cliLog = startCliLog(resolve(outputDir), 'batch', argv) // <out>/batch.log
    const saved = args.fresh ? null : await readQueueFile(resolve(outputDir), STEPS)
    if (!recipe && !saved) recipe = quickStartRecipe(STEPS)
    if (args.inputs.length === 0 && !saved) throw new UsageError(`no INPUT given and no saved queue in ${outputDir}`)

    const discovery = args.inputs.length ? await discoverInputs(args.inputs) : { inputs: [], notes: [] }
    const inputs = discovery.inputs.slice(args.start ?? 0, args.end ?? undefined)
    for (const note of discovery.notes) err.write(`note: ${note}\n`)
    if (args.inputs.length && inputs.length === 0) throw new UsageError(`no recordings found in ${args.inputs.join(', ')}`)

    const options: Partial<BatchOptions> = { workersPerItem: args.workers ?? saved?.options.workersPerItem ?? availableParallelism() }
    if (args.concurrency !== undefined) options.concurrency = args.concurrency
    if (args.overwrite) options.overwrite = true
    if (args.engine !== undefined && args.engine !== 'local' && args.engine !== 'slurm') throw new UsageError(`--engine must be local or slurm (got '${args.engine}')`)
    if (args.engine === 'slurm') {
      return await runSlurmSubmit({ ...args, outputDir: resolve(outputDir), recipe, inputs, options, steps: STEPS })
    }
    const threads = (args.concurrency ?? saved?.options.concurrency ?? 1) * options.workersPerItem!
    const pool = createTaskPool({ threads })
    let queue: BatchQueue | null = null
    let interrupted = false
    const onSignal = () => {
      if (interrupted) {
        err.write('\nstopping now; the queue on disk is resumable\n')
        process.exit(130)
      }
      interrupted = true
      err.write('\ninterrupted: finishing cleanly (Ctrl+C again to quit at once); run the same command to resume\n')
      void queue?.stop()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    try {
      queue = await BatchQueue.open({ outputDir, steps: STEPS, pool, recipe, options, fresh: args.fresh })
      if (args.saveRecipe) await saveRecipe(args.saveRecipe, queue.getRecipe())
      const { rejected } = await queue.add(inputs)
      for (const r of rejected) err.write(`note: ${r}\n`)
      // Running the command again is a retry for what failed or was cancelled last time, except an item
      // that killed the program twice (it would kill this run too); the app's Retry or --fresh retries it.
      for (const item of queue.getItems()) {
        if (item.state === 'failed' && item.error?.code === 'WORKER_CRASHED') {
          err.write(`note: ${item.id} ${CRASH_BUDGET_MESSAGE} (not retried; retry it in the app or start with --fresh)\n`)
        } else if (item.state === 'failed' || item.state === 'cancelled') await queue.retry(item.id)
      }
      const total = queue.getItems().length
      const already = queue.getItems().filter((i) => i.state === 'done').length
      out.write(
        `batch: ${total} recording(s) in ${queue.outputDir}, recipe '${queue.getRecipe().name}' ` +
          `(${queue.getRecipe().steps.map((s) => s.step).join(' > ')})${already ? `, ${already} already done` : ''}\n`,
      )
      let finished = 0
      // An item's change is announced more than once; print its line once per attempt.
      const printed = new Map<string, number>()
      const tty = out.isTTY === true
      queue.on('item', (item) => {
        if (item.state === 'running' && tty && item.progress) {
          const p = item.progress
          out.write(
            `\r\x1b[K  ${item.id}: step ${p.stepIndex + 1}/${p.stepCount} ${p.stepId ?? ''} ${Math.round(p.fraction * 100)}%` +
              `${item.etaS !== null ? `, ~${fmtSeconds(item.etaS)} left` : ''}`,
          )
        }
        const final = item.state === 'done' || item.state === 'skipped' || item.state === 'failed' || item.state === 'cancelled'
        if (final && printed.get(item.id) !== item.attempts) {
          printed.set(item.id, item.attempts)
          finished++
          const time = item.state === 'skipped' ? '' : ` ${fmtSeconds(item.elapsedS)}`
          out.write(`${tty ? '\r\x1b[K' : ''}[${finished}/${total - already}] ${item.state.padEnd(9)} ${item.id}${time}  ${itemDetail(item)}\n`)
        }
      })
      queue.on('problem', (message) => err.write(`warning: ${message}\n`))
      const summary = await queue.start()
      out.write(`\n${summaryTable(queue.getItems())}\n`)
      if (summary.interrupted || interrupted) {
        out.write(`interrupted: run the same command again to resume (finished recordings are not redone)\n`)
        return 130
      }
      return summary.counts.failed > 0 || summary.counts.cancelled > 0 ? 1 : 0
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      await queue?.close()
      await pool.destroy()
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`batch: ${e.message}\n\n${USAGE}\n`)
      return 2
    }
    err.write(`batch: ${describeError(e).message}\n`)
    return 1
  } finally {
    cliLog?.close()
  }
}
