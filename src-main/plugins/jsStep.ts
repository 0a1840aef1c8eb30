// A JavaScript step plugin: `<name>.mjs` whose default export is a step definition (docs/plugins.md).
// It is imported, checked against the schema, and wrapped into the framework's StepDefinition, so the
// wizard, the CLI and batch recipes run it through runStep() like any built-in step.

import { stat } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { CancelledError, ConfigurationError, PluginError, WorkbenchError } from '../../src-shared/errors'
import type { StepDefinition } from '../steps/framework'
import { createPluginApi } from './pluginApi'
import { type JsStepModule, formatIssues, jsStepSchema } from './schema'
import { checkParamRules, commonStepFields } from './stepShape'

let importCounter = 0

/** A module whose top-level code never finishes must not hold up discovery (and with it the app). */
export const IMPORT_TIMEOUT_MS = 10_000

/** Imports the module afresh (a changed file is seen on "Reload plugins") and returns its default export. */
async function importFresh(file: string, timeoutMs: number): Promise<unknown> {
  const { mtimeMs } = await stat(file)
  const url = `${pathToFileURL(file).href}?v=${Math.round(mtimeMs)}-${++importCounter}`
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PluginError(`${file}: did not finish loading within ${timeoutMs / 1000} s (top-level code that never ends?)`, { path: file })), timeoutMs)
  })
  const mod = (await Promise.race([import(/* @vite-ignore */ url), timeout]).finally(() => clearTimeout(timer))) as { default?: unknown }
  if (mod.default === undefined) throw new PluginError(`${file}: no default export (write \`export default { id, title, params, run }\`)`, { path: file })
  return mod.default
}

export async function loadJsStep(file: string, options: { importTimeoutMs?: number } = {}): Promise<StepDefinition> {
  let raw: unknown
  try {
    raw = await importFresh(file, options.importTimeoutMs ?? IMPORT_TIMEOUT_MS)
  } catch (err) {
    if (err instanceof PluginError) throw err
    throw new PluginError(`${file}: cannot be loaded: ${(err as Error)?.message ?? String(err)}`, { path: file, cause: err })
  }
  const parsed = jsStepSchema.safeParse(raw)
  if (!parsed.success) throw new PluginError(`${file}: ${formatIssues(parsed.error)}`, { path: file })
  const def = jsStepDefinition(parsed.data, file)
  const problem = checkParamRules(def)
  if (problem) throw new PluginError(`${file}: ${problem}`, { path: file })
  return def
}

function summaryOf(returned: unknown, writes: number): string {
  if (typeof returned === 'string' && returned.trim()) return returned.trim()
  if (returned && typeof returned === 'object' && typeof (returned as { summary?: unknown }).summary === 'string') {
    return (returned as { summary: string }).summary
  }
  return `${writes} result(s) stored`
}

export function jsStepDefinition(m: JsStepModule, file: string): StepDefinition {
  return {
    ...commonStepFields(m),
    validate: m.validate
      ? (params) => {
          const problem = (m.validate as (p: unknown) => unknown)(params)
          if (typeof problem === 'string' && problem) throw new ConfigurationError(`${m.id}: ${problem}`)
        }
      : undefined,
    async run(session, params, ctx) {
      const handle = createPluginApi(session, ctx)
      let returned: unknown
      try {
        returned = await (m.run as (api: unknown, params: unknown) => unknown)(handle.api, Object.freeze({ ...params }))
      } catch (err) {
        if (err instanceof CancelledError || ctx.signal.aborted) throw new CancelledError(`${m.id} cancelled; the session is unchanged`)
        if (err instanceof WorkbenchError) throw err
        throw new PluginError(`${m.id} (${file}) failed: ${(err as Error)?.message ?? String(err)}`, { path: file, cause: err })
      }
      return { summary: summaryOf(returned, handle.writes()), apply: (s) => handle.commit(s) }
    },
  }
}
