// Wires the batch controller into the workbench service: the contract's batch.* requests and events.
// In browser mode every path the page names must lie inside the allowed folders, like any other file
// request; the service's own files.check applies that rule.

import { mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { TaskPool } from '../pool/taskPool'
import type { WorkbenchService } from '../workbench/service'
import { BatchController } from './controller'
import { type Recipe, validateRecipe } from './recipe'

export function attachBatch(service: WorkbenchService, options: { createPool?: () => TaskPool } = {}): BatchController {
  const controller = new BatchController({
    steps: service.steps,
    // The wizard and the batch share one pool: together they never run more threads than the budget.
    createPool: options.createPool ?? (() => service.taskPool.borrow()),
    // Paths listed inside mapping CSVs obey the same allowed-folder rule as the paths the page names.
    checkInputPath: async (path) => {
      await service.dispatch('files.check', { path })
    },
    events: {
      changed: (snapshot) => service.emit('batch.changed', snapshot),
      item: (item) => service.emit('batch.item', item),
      log: (entry) => service.emit('batch.log', entry),
    },
  })

  const checked = async (path: string): Promise<string> => {
    await service.dispatch('files.check', { path })
    return resolve(path)
  }
  // The output folder may not exist yet: its parent must, and is checked instead.
  const checkedOutputDir = async (path: string): Promise<string> => {
    const dir = resolve(String(path ?? ''))
    try {
      return await checked(dir)
    } catch (err) {
      if ((err as { code?: string }).code !== 'FILE_NOT_FOUND') throw err
      await checked(dirname(dir))
      await mkdir(dir, { recursive: true })
      return dir
    }
  }

  // The path parameters of a recipe's steps obey the same allowed-folder rule as those of the wizard.
  const checkedRecipe = async (recipe: Recipe): Promise<Recipe> => {
    for (const s of recipe.steps) await service.checkStepPaths(s.step, s.params)
    return recipe
  }
  service.register('batch.get', () => controller.snapshot())
  service.register('batch.open', async (p) => {
    if (p.recipe !== undefined && p.recipe !== null) await checkedRecipe(validateRecipe(p.recipe, { steps: service.steps }))
    return controller.open({ ...p, outputDir: await checkedOutputDir(p.outputDir) })
  })
  service.register('batch.close', async () => {
    await controller.close()
    return null
  })
  service.register('batch.add', async (p) => {
    const paths = await Promise.all((Array.isArray(p.paths) ? p.paths : []).map((x) => checked(x)))
    return controller.add(paths)
  })
  service.register('batch.start', () => controller.start())
  service.register('batch.stop', () => controller.stop())
  service.register('batch.cancel', (p) => controller.cancel(p.id))
  service.register('batch.retry', (p) => controller.retry(p.id))
  service.register('batch.remove', (p) => controller.remove(p.id))
  service.register('batch.setOptions', (p) => controller.setOptions(p))
  service.register('batch.setRecipe', async (p) => controller.setRecipe(await checkedRecipe(validateRecipe(p.recipe, { steps: service.steps }))))
  service.register('batch.defaultRecipe', () => controller.defaultRecipe())
  service.register('batch.loadRecipe', async (p) => checkedRecipe(await controller.loadRecipe(await checked(p.path))))
  service.register('batch.saveRecipe', async (p) => {
    await checked(dirname(resolve(p.path)))
    return controller.saveRecipe(p.path, p.recipe)
  })
  service.register('batch.log', (p) => controller.log(p.id))
  return controller
}
