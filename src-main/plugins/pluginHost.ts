// The step list the workbench works with: the built-in steps followed by the plugin steps. The list is one
// array changed in place on reload, so every holder of it (the service, the batch controller) sees the
// plugins of the last discovery. A queue already running keeps the steps it started with.

import type { PluginReport } from '../../src-shared/contract'
import type { StepDefinition } from '../steps/framework'
import { discoverPlugins } from './discovery'
import type { PythonRuntime } from './pythonStep'

export interface PluginHostOptions {
  builtIns: readonly StepDefinition[]
  /** The plugin folders, read at each discovery (Settings may have changed them). */
  folders(): string[]
  runtime: PythonRuntime
  /** Receives one line per broken plugin (level 'error') and a summary ('info'). */
  log?(level: 'info' | 'warn' | 'error', message: string): void
}

export class PluginHost {
  readonly steps: StepDefinition[]
  private last: PluginReport = { folders: [], plugins: [], loadedAt: '' }
  private readonly options: PluginHostOptions
  private loading: Promise<PluginReport> | null = null

  constructor(options: PluginHostOptions) {
    this.options = options
    this.steps = [...options.builtIns]
  }

  get report(): PluginReport {
    return this.last
  }

  /** Discovers again; concurrent calls share one discovery. Never throws for a broken plugin. */
  reload(): Promise<PluginReport> {
    this.loading ??= this.discover().finally(() => (this.loading = null))
    return this.loading
  }

  private async discover(): Promise<PluginReport> {
    const { report, steps } = await discoverPlugins(this.options.folders(), this.options.builtIns, this.options.runtime)
    this.steps.splice(0, this.steps.length, ...this.options.builtIns, ...steps)
    this.last = report
    const log = this.options.log
    if (log) {
      for (const p of report.plugins) {
        if (p.status === 'error') log('error', `Plugin refused: ${p.error?.includes(p.location) ? p.error : `${p.location}: ${p.error}`}`)
      }
      const ok = report.plugins.filter((p) => p.status === 'loaded')
      const broken = report.plugins.length - ok.length
      log(
        broken ? 'warn' : 'info',
        `Plugins: ${ok.length} loaded${ok.length ? ` (${ok.map((p) => p.id).join(', ')})` : ''}${broken ? `, ${broken} with errors (see Settings)` : ''} from ${report.folders.filter((f) => f.exists).length} folder(s)`,
      )
    }
    return report
  }
}
