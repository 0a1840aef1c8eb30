// The batch as the app sees it: one open queue at a time (an output folder), with the requests of the
// Batch view. Transport-agnostic: the workbench service registers these methods under the contract's
// batch.* names and forwards the events.

import { resolve } from 'node:path'
import { createTaskPool, type TaskPool } from '../pool/taskPool'
import { ConfigurationError } from '../../src-shared/errors'
import type { StepDefinition } from '../steps/framework'
import { quickStartRecipe } from './defaultRecipe'
import { type BatchInput, discoverInputs } from './discovery'
import type { BatchItem, BatchOptions, BatchSnapshot } from '../../src-shared/batchModel'
import { loadRecipe, saveRecipe, validateRecipe, type Recipe } from './recipe'
import { BatchQueue } from './runner'
import { ClusterWatch } from './slurm/clusterWatch'
import { readQueueFile } from './store'

export interface BatchControllerEvents {
  changed(snapshot: BatchSnapshot | null): void
  item(item: BatchItem): void
  log(entry: { id: string; line: string }): void
}

export interface BatchControllerOptions {
  steps: readonly StepDefinition<any>[]
  events: BatchControllerEvents
  createPool?: () => TaskPool
  /**
   * Checks a recording path an input names (browser mode: inside the allowed folders, real path); a
   * FORBIDDEN error turns the input into a note instead of a queue item.
   */
  checkInputPath?: (path: string) => Promise<void>
}

export interface AddOutcome {
  added: string[]
  /** Inputs not queued and why (unpaired files, duplicate ids, rows without paths). */
  notes: string[]
  snapshot: BatchSnapshot
}

export class BatchController {
  private queue: BatchQueue | null = null
  /** A folder a SLURM cluster fills, watched read-only (instead of a queue run here). */
  private watch: ClusterWatch | null = null
  private pool: TaskPool | null = null

  constructor(private readonly opts: BatchControllerOptions) {}

  snapshot(): BatchSnapshot | null {
    return this.queue?.snapshot() ?? this.watch?.snapshot() ?? null
  }

  defaultRecipe(): Recipe {
    return quickStartRecipe(this.opts.steps)
  }

  /**
   * Opens (or creates) the batch of an output folder. A saved queue there is resumed; a recipe given
   * for a new queue is validated, and without one the Quick Start defaults are used.
   */
  async open(p: { outputDir: string; recipe?: unknown; options?: Partial<BatchOptions>; fresh?: boolean }): Promise<BatchSnapshot> {
    if (this.queue?.isRunning) throw new ConfigurationError('A batch is running; stop it before opening another output folder')
    await this.close()
    const saved = await readQueueFile(resolve(p.outputDir), this.opts.steps).catch(() => null)
    if (saved?.engine?.kind === 'slurm' && !p.fresh) {
      this.watch = await ClusterWatch.open(resolve(p.outputDir), this.opts.steps, {
        changed: (snap) => this.opts.events.changed(snap),
        item: (item) => this.opts.events.item(item),
        problem: (message) => this.opts.events.log({ id: '', line: `${new Date().toISOString()} ${message}` }),
      })
      const snap = this.watch.snapshot()
      this.opts.events.changed(snap)
      return snap
    }
    const recipe = p.recipe === undefined || p.recipe === null ? undefined : validateRecipe(p.recipe, { steps: this.opts.steps })
    this.pool ??= (this.opts.createPool ?? (() => createTaskPool()))()
    let queue: BatchQueue
    try {
      queue = await BatchQueue.open({
        outputDir: resolve(p.outputDir),
        steps: this.opts.steps,
        pool: this.pool,
        recipe,
        options: p.options,
        fresh: p.fresh,
      })
    } catch (err) {
      // A saved queue without a recipe of its own cannot happen; a new one falls back to the Quick Start.
      if (recipe || !(err instanceof ConfigurationError) || !/needs a recipe/.test(err.message)) throw err
      queue = await BatchQueue.open({
        outputDir: resolve(p.outputDir),
        steps: this.opts.steps,
        pool: this.pool,
        recipe: this.defaultRecipe(),
        options: p.options,
        fresh: p.fresh,
      })
    }
    queue.on('item', (item) => this.opts.events.item(item))
    queue.on('log', (entry) => this.opts.events.log(entry))
    queue.on('queue', (snap) => this.opts.events.changed(snap))
    queue.on('problem', (message) => this.opts.events.log({ id: '', line: `${new Date().toISOString()} ${message}` }))
    this.queue = queue
    const snap = queue.snapshot()
    this.opts.events.changed(snap)
    return snap
  }

  /** Queues what the user dropped or chose: folders, mapping CSVs, .cmcr/.cmtr files. */
  async add(paths: string[]): Promise<AddOutcome> {
    const queue = this.require()
    if (!paths.length) throw new ConfigurationError('Choose a folder, a mapping CSV or recording files to add')
    const found = await discoverInputs(paths)
    const allowed = await this.allowedInputs(found.inputs, found.notes)
    const { added, rejected } = await queue.add(allowed)
    return { added: added.map((i) => i.id), notes: [...found.notes, ...rejected], snapshot: queue.snapshot() }
  }

  /** The inputs whose every path passes checkInputPath; the others are noted with the reason. */
  private async allowedInputs(inputs: BatchInput[], notes: string[]): Promise<BatchInput[]> {
    const check = this.opts.checkInputPath
    if (!check) return inputs
    const kept: BatchInput[] = []
    for (const input of inputs) {
      let refused: string | null = null
      for (const p of [input.cmcrPath, input.cmtrPath]) {
        if (!p || refused) continue
        await check(p).catch((err: { code?: string; message?: string }) => {
          if (err?.code === 'FORBIDDEN') refused = err.message ?? `${p} is not allowed`
        })
      }
      if (refused) notes.push(`${input.origin}: ${refused}; not queued`)
      else kept.push(input)
    }
    return kept
  }

  start(): BatchSnapshot {
    const queue = this.require()
    void queue.start()
    return queue.snapshot()
  }

  async stop(): Promise<BatchSnapshot> {
    const queue = this.require()
    await queue.stop()
    return queue.snapshot()
  }

  /** Cancels one item, or every queued and running item when no id is given. */
  async cancel(id?: string): Promise<BatchSnapshot> {
    const queue = this.require()
    if (id) await queue.cancel(id)
    else await queue.cancelAll()
    return queue.snapshot()
  }

  /** Retries one item, or every failed item when no id is given. */
  async retry(id?: string): Promise<BatchSnapshot> {
    const queue = this.require()
    if (id) await queue.retry(id)
    else await queue.retryFailed()
    return queue.snapshot()
  }

  async remove(id: string): Promise<BatchSnapshot> {
    const queue = this.require()
    await queue.remove(id)
    return queue.snapshot()
  }

  async setOptions(options: Partial<BatchOptions>): Promise<BatchSnapshot> {
    const queue = this.require()
    await queue.setOptions(options)
    return queue.snapshot()
  }

  async setRecipe(recipe: unknown): Promise<BatchSnapshot> {
    const queue = this.require()
    await queue.setRecipe(validateRecipe(recipe, { steps: this.opts.steps }))
    return queue.snapshot()
  }

  loadRecipe(path: string): Promise<Recipe> {
    return loadRecipe(path, this.opts.steps)
  }

  async saveRecipe(path: string, recipe?: unknown): Promise<{ path: string }> {
    const r = recipe === undefined || recipe === null ? this.require().getRecipe() : validateRecipe(recipe, { steps: this.opts.steps })
    await saveRecipe(resolve(path), r)
    return { path: resolve(path) }
  }

  async log(id: string): Promise<{ id: string; text: string }> {
    if (this.watch) return { id, text: await this.watch.readLog(id) }
    return { id, text: await this.require().readLog(id) }
  }

  /** Closes the open batch (stopping it: running items go back to the queue) and the pool. */
  async close(): Promise<void> {
    if (this.watch) {
      this.watch.close()
      this.watch = null
      this.opts.events.changed(null)
    }
    const queue = this.queue
    this.queue = null
    if (queue) {
      queue.removeAllListeners()
      await queue.close()
      this.opts.events.changed(null)
    }
  }

  async dispose(): Promise<void> {
    await this.close()
    await this.pool?.destroy()
    this.pool = null
  }

  private require(): BatchQueue {
    if (this.watch) {
      throw new ConfigurationError(
        `The batch in ${this.watch.outputDir} is run by SLURM; this view only watches it. Use \`batch --engine slurm\` (resubmit), \`--status\` or \`--cancel\` on the cluster.`,
      )
    }
    if (!this.queue) throw new ConfigurationError('No batch is open; choose an output folder first')
    return this.queue
  }
}
