// The batch CLI's cluster side: `--engine slurm` (submit, or resubmit what is not done), `--status`,
// `--wait` and `--cancel` of a batch a SLURM cluster runs.

import { resolve } from 'node:path'
import { ConfigurationError, describeError } from '../../src-shared/errors'
import type { BatchItem, BatchOptions } from '../../src-shared/batchModel'
import type { StepDefinition } from '../steps/framework'
import type { BatchInput } from '../batch/discovery'
import type { Recipe } from '../batch/recipe'
import { readQueueFile } from '../batch/store'
import { activeJobIds, clusterItems } from '../batch/slurm/clusterView'
import { scancel } from '../batch/slurm/commands'
import { parsePathMapRule } from '../batch/slurm/pathMap'
import { submitToSlurm } from '../batch/slurm/submit'
import { summaryTable } from './batchTable'

const POLL_MS = 3000

export interface SlurmCliArgs {
  outputDir: string
  steps: readonly StepDefinition<any>[]
  recipe?: Recipe
  inputs: BatchInput[]
  options: Partial<BatchOptions>
  partition?: string
  'sbatch-arg'?: string[]
  'max-parallel'?: number
  'path-map'?: string[]
  mem?: number
  time?: number
  workers?: number
  wait?: boolean
}

const failedOrCancelled = (items: readonly BatchItem[]) => items.some((i) => i.state === 'failed' || i.state === 'cancelled')

export async function runSlurmSubmit(args: SlurmCliArgs): Promise<number> {
  const out = process.stdout
  const err = process.stderr
  const result = await submitToSlurm({
    outputDir: args.outputDir,
    steps: args.steps,
    recipe: args.recipe,
    inputs: args.inputs,
    options: args.options,
    partition: args.partition,
    sbatchArgs: args['sbatch-arg'],
    maxParallel: args['max-parallel'],
    pathMap: args['path-map']?.map(parsePathMapRule),
    resources: {
      ...(args.mem !== undefined ? { memMB: args.mem } : {}),
      ...(args.time !== undefined ? { timeMin: args.time } : {}),
      ...(args.workers !== undefined ? { cpus: args.workers } : {}),
    },
  })
  for (const r of result.rejected) err.write(`note: ${r}\n`)
  const engine = result.file.engine!.kind === 'slurm' ? result.file.engine! : null
  if (result.jobId && engine && engine.kind === 'slurm') {
    const r = engine.resources
    out.write(
      `batch: submitted ${result.submitted.length} of ${result.items.length} recording(s) in ${args.outputDir} as SLURM job ${result.jobId} ` +
        `(${r.cpus} CPU, ${r.memMB} MB, ${r.timeMin} min per task, at most ${engine.maxParallel} at once)\n`,
    )
  } else {
    const active = activeJobIds(result.items)
    out.write(`batch: nothing to submit in ${args.outputDir}${active.length ? ` (job ${active.join(', ')} still runs)` : ' (every recording is done or skipped)'}\n`)
  }
  if (!args.wait) {
    out.write(`watch it with: hdmea-workbench batch --status ${args.outputDir} [--wait]\n`)
    return 0
  }
  return waitAndPrint(args.outputDir, args.steps)
}

async function readCluster(outputDir: string, steps: readonly StepDefinition<any>[]): Promise<BatchItem[]> {
  const file = await readQueueFile(outputDir, steps)
  if (!file) throw new ConfigurationError(`No batch queue in ${outputDir}`, { path: outputDir })
  return (await clusterItems(file, outputDir, { scheduler: true })).items
}

async function waitAndPrint(outputDir: string, steps: readonly StepDefinition<any>[]): Promise<number> {
  let items = await readCluster(outputDir, steps)
  let last = ''
  while (items.some((i) => i.state === 'queued' || i.state === 'running')) {
    const line = items.map((i) => `${i.id}:${i.state}`).join(' ')
    if (line !== last) process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`)
    last = line
    await new Promise((r) => setTimeout(r, POLL_MS))
    items = await readCluster(outputDir, steps)
  }
  process.stdout.write(`\n${summaryTable(items, { cluster: true })}\n`)
  return failedOrCancelled(items) ? 1 : 0
}

/** `--status DIR [--wait]` and `--cancel DIR`. */
export async function runClusterControl(args: { status?: string; cancel?: string; wait?: boolean }, steps: readonly StepDefinition<any>[]): Promise<number> {
  try {
    if (args.cancel) {
      const dir = resolve(args.cancel)
      const items = await readCluster(dir, steps)
      const jobs = activeJobIds(items)
      if (jobs.length === 0) {
        process.stdout.write(`batch: nothing runs in ${dir}\n`)
        return 0
      }
      await scancel(jobs)
      process.stdout.write(`batch: cancelled SLURM job ${jobs.join(', ')}; the running tasks record their items as cancelled\n`)
      return 0
    }
    const dir = resolve(args.status!)
    if (args.wait) return await waitAndPrint(dir, steps)
    const items = await readCluster(dir, steps)
    process.stdout.write(`${summaryTable(items, { cluster: true })}\n`)
    return failedOrCancelled(items) ? 1 : 0
  } catch (e) {
    process.stderr.write(`batch: ${describeError(e).message}\n`)
    return 1
  }
}
