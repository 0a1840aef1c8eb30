// A Python step plugin: a folder with step.json (docs/plugins.md). To run it, the session is written to a
// temporary archive in the session layout, the command runs in the plugin folder with
// `--archive <archive.h5> --params <params.json>` and edits the archive in place (h5py "r+"), then what it
// added or changed under units/, metadata/ and stimulus/ is merged into the session. Stdout lines
// `PROGRESS <fraction> <message>` move the progress bar, `WARNING <message>` adds a warning. The
// temporary folder is removed in every case, and on failure or cancel the session is untouched.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CancelledError, PluginError, WorkbenchError } from '../../src-shared/errors'
import { readArchive, writeArchive } from '../archive'
import type { StepContext, StepDefinition } from '../steps/framework'
import { runProcess } from './childProcess'
import { type PythonStepManifest, formatIssues, pythonStepSchema } from './schema'
import { checkParamRules, commonStepFields } from './stepShape'
import { type TreeChange, type TreeDigest, applyChanges, diffFromDigest, digestGroup } from './treeDiff'
import { jsonProblem } from '../../src-shared/jsonProblem'

export const STEP_MANIFEST = 'step.json'

export interface PythonRuntime {
  /** The interpreter that `{python}` stands for (read at each run, so a Settings change applies at once). */
  python(): string
  /** Parent of the temporary folders (default: the system's temp folder). */
  tempDir?(): string
}

export async function loadPythonStep(folder: string, runtime: PythonRuntime): Promise<StepDefinition> {
  const file = join(folder, STEP_MANIFEST)
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw new PluginError(`${file}: ${err instanceof SyntaxError ? jsonProblem(err) : (err as Error).message}`, { path: file })
  }
  const parsed = pythonStepSchema.safeParse(raw)
  if (!parsed.success) throw new PluginError(`${file}: ${formatIssues(parsed.error)}`, { path: file })
  const def = pythonStepDefinition(parsed.data, folder, runtime)
  const problem = checkParamRules(def)
  if (problem) throw new PluginError(`${file}: ${problem}`, { path: file })
  return def
}

const PROGRESS_LINE = /^PROGRESS\s+(\S+)(?:\s+(.*))?$/
const WARNING_LINE = /^WARNING\s+(.+)$/
// Shares of the progress bar: writing the temporary archive, the script, reading the result back.
const WRITE_SHARE = 0.05
const READ_SHARE = 0.05

/** One stdout line of the script: progress, a warning, or ordinary output (kept for a failure's message). */
function handleLine(line: string, ctx: StepContext, other: string[]): void {
  const p = PROGRESS_LINE.exec(line.trim())
  if (p) {
    const f = Number(p[1])
    if (Number.isFinite(f)) {
      const clamped = Math.min(1, Math.max(0, f))
      ctx.progress({ fraction: WRITE_SHARE + clamped * (1 - WRITE_SHARE - READ_SHARE), message: p[2]?.trim() || undefined })
    }
    return
  }
  const w = WARNING_LINE.exec(line.trim())
  if (w) ctx.warn(w[1])
  else if (line.trim()) {
    other.push(line)
    if (other.length > 20) other.shift()
  }
}

export function expandCommand(command: string[], python: string): string[] {
  return command.map((part) => part.split('{python}').join(python))
}

type Trees = 'units' | 'metadata' | 'stimulus'
const TREES: Trees[] = ['units', 'metadata', 'stimulus']

/** Runs the command on the archive; a failure to start, a non-zero exit and a cancel become the step's errors. */
async function runScript(m: PythonStepManifest, folder: string, python: string, archive: string, paramsFile: string, ctx: StepContext): Promise<void> {
  const [program, ...args] = expandCommand(m.command, python)
  ctx.progress({ fraction: WRITE_SHARE, message: `running ${[program, ...args].join(' ')}` })
  const stdoutTail: string[] = []
  let result
  try {
    result = await runProcess(program, [...args, '--archive', archive, '--params', paramsFile], {
      cwd: folder,
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
      signal: ctx.signal,
      onStdoutLine: (line) => handleLine(line, ctx, stdoutTail),
    })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const hint = m.command[0].includes('{python}') ? ' (set the Python interpreter in Settings, or pass --python on the command line)' : ''
    throw new PluginError(`${m.id}: cannot start '${program}' in ${folder}: ${code === 'ENOENT' ? 'program not found' : (err as Error).message}${hint}`, {
      path: folder,
      cause: err,
    })
  }
  if (result.killed || ctx.signal.aborted) throw new CancelledError(`${m.id} cancelled; the session is unchanged`)
  if (result.code !== 0) {
    const how = result.code === null ? `was ended by ${result.signal}` : `exited with code ${result.code}`
    const tail = result.stderrTail.filter((l) => l.trim()).join('\n')
    const said = tail
      ? `; last lines of stderr:\n${tail}`
      : stdoutTail.length
        ? ` (nothing on stderr); last lines of stdout:\n${stdoutTail.join('\n')}`
        : ' (nothing on stderr or stdout)'
    throw new PluginError(`${m.id}: ${program} ${how}${said}`, { path: folder })
  }
}

/** Digests of the archive as written (its arrays are not kept: a large session is not held twice). */
async function digestArchive(archive: string, signal: AbortSignal): Promise<Record<Trees, TreeDigest>> {
  const written = await readArchive(archive, { signal })
  return { units: digestGroup(written.units), metadata: digestGroup(written.metadata), stimulus: digestGroup(written.stimulus) }
}

/** What the script added or changed, per tree, against the digests taken before it ran. */
async function readChanges(m: PythonStepManifest, folder: string, archive: string, before: Record<Trees, TreeDigest>, ctx: StepContext): Promise<Record<Trees, TreeChange[]>> {
  ctx.progress({ fraction: 1 - READ_SHARE, message: 'reading the changes back' })
  let after
  try {
    after = await readArchive(archive, { signal: ctx.signal })
  } catch (err) {
    if (err instanceof CancelledError) throw err
    throw new PluginError(`${m.id}: the archive the script left cannot be read: ${(err as Error).message}`, { path: folder, cause: err })
  }
  return { units: diffFromDigest(before.units, after.units), metadata: diffFromDigest(before.metadata, after.metadata), stimulus: diffFromDigest(before.stimulus, after.stimulus) }
}

export function pythonStepDefinition(m: PythonStepManifest, folder: string, runtime: PythonRuntime): StepDefinition {
  return {
    ...commonStepFields(m),
    async run(session, params, ctx) {
      const tmp = await mkdtemp(join(runtime.tempDir?.() ?? tmpdir(), 'hdmea-plugin-'))
      try {
        const archive = join(tmp, 'session.h5')
        const paramsFile = join(tmp, 'params.json')
        ctx.progress({ fraction: 0, message: 'writing the session to a temporary archive' })
        await writeArchive(archive, session.toArchiveContent(), { signal: ctx.signal })
        await writeFile(paramsFile, JSON.stringify(params, null, 2))
        const before = await digestArchive(archive, ctx.signal)
        await runScript(m, folder, runtime.python(), archive, paramsFile, ctx)
        const changes = await readChanges(m, folder, archive, before, ctx)
        const changed = TREES.filter((t) => changes[t].length > 0)
        return {
          summary: changed.length
            ? `new or changed: ${changed.map((t) => `${changes[t].length} under ${t}/`).join(', ')}`
            : 'the script left units/, metadata/ and stimulus/ as they were',
          apply(s) {
            for (const t of TREES) applyChanges(s[t], changes[t])
            s.touch()
          },
        }
      } catch (err) {
        if (err instanceof WorkbenchError) throw err
        throw new PluginError(`${m.id} (${folder}): ${(err as Error)?.message ?? String(err)}`, { path: folder, cause: err })
      } finally {
        // Retries: on Windows the interpreter may hold the archive a moment after it exited.
        await rm(tmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 })
      }
    },
  }
}
