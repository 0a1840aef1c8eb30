// The step list of a command-line run: the built-in steps, the plugins of each `--plugins DIR` (in the
// order given) and the bundled plugins; `--python` sets the interpreter of Python plugins. Broken or
// refused plugins are reported on stderr and left out; they never stop the run.

import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { PluginReport } from '../../src-shared/contract'
import { resourcesDir } from '../resources'
import { STEPS } from '../steps/index'
import type { StepDefinition } from '../steps/framework'
import { defaultPython } from './defaultPython'
import { PluginHost } from './pluginHost'

/** The plugins shipped with the workbench (resources/plugins), if the resources are there. */
export function bundledPluginFolder(): string | null {
  try {
    const dir = resolve(resourcesDir(), 'plugins')
    return existsSync(dir) ? dir : null
  } catch {
    return null
  }
}

export interface CliSteps {
  steps: StepDefinition<any>[]
  report: PluginReport
}

export async function cliSteps(options: { plugins: string[]; python?: string; write?: (line: string) => void }): Promise<CliSteps> {
  for (const dir of options.plugins) {
    if (!existsSync(dir)) throw new Error(`--plugins ${dir}: no such folder`)
  }
  const bundled = bundledPluginFolder()
  const host = new PluginHost({
    builtIns: STEPS,
    folders: () => [...options.plugins, ...(bundled ? [bundled] : [])],
    runtime: { python: () => options.python ?? defaultPython() },
  })
  const report = await host.reload()
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`))
  for (const f of report.folders) if (!f.exists) write(`plugins: ${f.path} does not exist (no plugins from it)`)
  for (const p of report.plugins) if (p.status === 'error') write(`plugins: refused ${p.location}: ${p.error}`)
  return { steps: host.steps, report }
}
