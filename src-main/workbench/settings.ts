// The workbench's small persistent state: settings, recent recordings and archives, and the last
// parameters used per dataset and step (so the wizard remembers where the user left off). One JSON file,
// written through a temp file and a rename so a crash never leaves it half-written.

import { readFileSync } from 'node:fs'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { z } from 'zod'
import type { RecentArchive, RecentRecording, Settings } from '../../src-shared/contract'
import { describeFirstIssue } from '../../src-shared/schemaIssues'
import { RequestError } from '../../src-shared/wire'
import { defaultPython } from '../plugins/defaultPython'
import { jsonProblem } from '../../src-shared/jsonProblem'

export interface StoredState {
  settings: Settings
  recentRecordings: RecentRecording[]
  recentArchives: RecentArchive[]
  /** datasetId -> stepId -> params */
  stepParams: Record<string, Record<string, Record<string, unknown>>>
}

const MAX_RECENT = 12

// settings.json as written by persist(). It can be edited by hand or come from another version, so each
// part is checked on its own: a bad part falls back to its default with a message naming file and field.
const nonEmpty = z.string().trim().min(1)
const MAX_WORKER_THREADS = 256
const SETTINGS_FIELDS = {
  memoryWarningGb: z.number().positive(),
  outputDir: nonEmpty,
  allowedFolders: z.array(nonEmpty),
  pluginFolders: z.array(nonEmpty),
  python: nonEmpty,
  workerThreads: z.number().int().min(0).max(MAX_WORKER_THREADS),
} satisfies { [K in keyof Settings]-?: z.ZodType<Settings[K]> }
const STATE_PARTS = {
  recentRecordings: z.array(
    z.object({ cmcrPath: z.string().nullable(), cmtrPath: z.string().nullable(), datasetId: z.string(), openedAt: z.string() }),
  ),
  recentArchives: z.array(z.object({ path: z.string(), datasetId: z.string(), kind: z.enum(['save', 'checkpoint', 'opened']), at: z.string() })),
  stepParams: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.unknown()))),
} satisfies { [K in Exclude<keyof StoredState, 'settings'>]: z.ZodType<StoredState[K]> }

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const MAX_DATASETS_REMEMBERED = 50

export function defaultSettings(workdir: string, overrides: Partial<Settings> = {}): Settings {
  return {
    memoryWarningGb: 8,
    outputDir: join(workdir, 'artifacts'),
    allowedFolders: [workdir],
    pluginFolders: [],
    python: defaultPython(),
    workerThreads: 0,
    ...overrides,
  }
}

export class SettingsStore {
  readonly file: string
  state: StoredState
  private writing: Promise<void> = Promise.resolve()

  /** Reads the file once, at start-up; `onWriteError` hears of a change that could not be written. */
  constructor(
    file: string,
    workdir: string,
    defaults: Partial<Settings> = {},
    private readonly onWriteError: (message: string) => void = () => {},
  ) {
    this.file = resolve(file)
    this.state = {
      settings: defaultSettings(workdir, defaults),
      recentRecordings: [],
      recentArchives: [],
      stepParams: {},
    }
    let text: string
    try {
      // eslint-disable-next-line layers/no-sync-fs -- once, while the workbench starts, before any request is served
      text = readFileSync(this.file, 'utf8')
    } catch (err) {
      // No file yet: the defaults (written on the first change).
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.problems.push(`${this.file} could not be read (${(err as Error).message}); using the default settings`)
      return
    }
    this.readState(text)
  }

  /** What was wrong with the settings file when it was read (each part concerned fell back to its default). */
  readonly problems: string[] = []

  private readState(text: string): void {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      this.problems.push(`${this.file} is not valid JSON (${jsonProblem(err).replace(/^invalid JSON:?\s*/, '') || 'a syntax error'}); using the default settings`)
      return
    }
    if (!isObject(parsed)) {
      this.problems.push(`${this.file} must hold a JSON object; using the default settings`)
      return
    }
    const fallBack = (field: string, error: z.ZodError) =>
      this.problems.push(`${this.file}: ${describeFirstIssue(error, field).message}; the default is used`)
    const settings: Record<string, unknown> = { ...this.state.settings }
    if (parsed.settings !== undefined && !isObject(parsed.settings)) this.problems.push(`${this.file}: 'settings' must be an object; the defaults are used`)
    const storedSettings = isObject(parsed.settings) ? parsed.settings : {}
    for (const [key, schema] of Object.entries(SETTINGS_FIELDS)) {
      if (storedSettings[key] === undefined) continue
      const checked = schema.safeParse(storedSettings[key], { reportInput: true })
      if (checked.success) settings[key] = checked.data
      else fallBack(`settings.${key}`, checked.error)
    }
    this.state.settings = settings as unknown as Settings
    for (const key of Object.keys(STATE_PARTS) as Array<keyof typeof STATE_PARTS>) {
      if (parsed[key] === undefined) continue
      const checked = STATE_PARTS[key].safeParse(parsed[key], { reportInput: true })
      if (checked.success) (this.state as unknown as Record<string, unknown>)[key] = checked.data
      else fallBack(key, checked.error)
    }
  }

  get settings(): Settings {
    return this.state.settings
  }

  update(patch: Partial<Settings>): Settings {
    const next = { ...this.state.settings }
    if (patch.memoryWarningGb !== undefined) {
      const gb = Number(patch.memoryWarningGb)
      if (!Number.isFinite(gb) || gb <= 0) {
        throw new RequestError('CONFIGURATION', `memoryWarningGb must be a positive number (got ${JSON.stringify(patch.memoryWarningGb)})`, {
          parameter: 'memoryWarningGb',
        })
      }
      next.memoryWarningGb = gb
    }
    if (patch.outputDir !== undefined) {
      if (typeof patch.outputDir !== 'string' || !patch.outputDir.trim()) {
        throw new RequestError('CONFIGURATION', 'outputDir must be a folder path', { parameter: 'outputDir' })
      }
      next.outputDir = resolve(patch.outputDir.trim())
    }
    if (patch.allowedFolders !== undefined) {
      if (!Array.isArray(patch.allowedFolders) || !patch.allowedFolders.every((f) => typeof f === 'string' && f.trim())) {
        throw new RequestError('CONFIGURATION', 'allowedFolders must be a list of folder paths', { parameter: 'allowedFolders' })
      }
      next.allowedFolders = patch.allowedFolders.map((f) => resolve(f.trim()))
    }
    if (patch.pluginFolders !== undefined) {
      if (!Array.isArray(patch.pluginFolders) || !patch.pluginFolders.every((f) => typeof f === 'string' && f.trim())) {
        throw new RequestError('CONFIGURATION', 'pluginFolders must be a list of folder paths', { parameter: 'pluginFolders' })
      }
      next.pluginFolders = patch.pluginFolders.map((f) => resolve(f.trim()))
    }
    if (patch.python !== undefined) {
      if (typeof patch.python !== 'string' || !patch.python.trim()) {
        throw new RequestError('CONFIGURATION', 'python must name a Python interpreter (e.g. python3 or a full path)', { parameter: 'python' })
      }
      next.python = patch.python.trim()
    }
    if (patch.workerThreads !== undefined) {
      const n = patch.workerThreads
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_WORKER_THREADS) {
        throw new RequestError('CONFIGURATION', `workerThreads must be a whole number from 0 (all cores) to ${MAX_WORKER_THREADS}`, { parameter: 'workerThreads' })
      }
      next.workerThreads = n
    }
    this.state.settings = next
    this.persist()
    return next
  }

  addRecentRecording(r: RecentRecording): void {
    const same = (x: RecentRecording) => x.cmcrPath === r.cmcrPath && x.cmtrPath === r.cmtrPath
    this.state.recentRecordings = [r, ...this.state.recentRecordings.filter((x) => !same(x))].slice(0, MAX_RECENT)
    this.persist()
  }

  addRecentArchive(a: RecentArchive): void {
    this.state.recentArchives = [a, ...this.state.recentArchives.filter((x) => x.path !== a.path)].slice(0, MAX_RECENT)
    this.persist()
  }

  stepParams(datasetId: string): Record<string, Record<string, unknown>> {
    return this.state.stepParams[datasetId] ?? {}
  }

  rememberStepParams(datasetId: string, stepId: string, params: Record<string, unknown>): void {
    const all = this.state.stepParams
    const entry = { ...(all[datasetId] ?? {}), [stepId]: params }
    delete all[datasetId]
    all[datasetId] = entry // re-inserted last: the oldest dataset is the first key
    const ids = Object.keys(all)
    for (const id of ids.slice(0, Math.max(0, ids.length - MAX_DATASETS_REMEMBERED))) delete all[id]
    this.persist()
  }

  /** Resolves when every change made so far is on disk (or its write failed and was reported). */
  flush(): Promise<void> {
    return this.writing
  }

  // Writes one after the other, each of the state as it was when changed; the last one wins.
  private persist(): void {
    const text = JSON.stringify(this.state, null, 2)
    const tmp = `${this.file}.tmp-${process.pid}`
    this.writing = this.writing
      .then(async () => {
        await mkdir(dirname(this.file), { recursive: true })
        await writeFile(tmp, text)
        await rename(tmp, this.file)
      })
      .catch((err: unknown) => this.onWriteError(`Settings could not be saved to ${this.file}: ${(err as Error).message}`))
  }
}
