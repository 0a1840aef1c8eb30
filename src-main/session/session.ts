// PipelineSession: everything one recording's processing has produced, held in memory until saved
// (deferred save), with checkpoints and resume. Field and step names follow the Python pipeline so
// archives go both ways; see docs/DIFFERENCES.md for where we deliberately differ.

import { basename, extname, join, resolve } from 'node:path'
import { ConfigurationError, SessionError } from '../../src-shared/errors'
import { type GroupNode, type LeafNode, type TreeNode, group, treeBytes } from '../../src-shared/tree'
import { readArchive, saveArchiveFile, type ArchiveContent, type ArchiveFlavour } from '../archive'

export enum SaveState {
  DEFERRED = 'deferred',
  SAVED = 'saved',
}

export interface SessionWarning {
  /** The step that raised it, or null for session-level warnings. */
  step: string | null
  message: string
}

/** Progress and cancellation for save, checkpoint and load: array bytes done so far and in total. */
export interface ArchiveIoOptions {
  onProgress?: (bytesDone: number, bytesTotal: number) => void
  signal?: AbortSignal
}

export interface SessionOptions {
  datasetId: string
  outputDir?: string
  createdAt?: string
}

/** UTC time in Python's isoformat shape: microseconds and a +00:00 suffix. */
export function isoNow(date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00')
}

/** The dataset id of a recording pair: the .cmtr stem (else the .cmcr stem) with trailing '-' removed. */
export function deriveDatasetId(cmcrPath?: string | null, cmtrPath?: string | null): string {
  const source = cmtrPath || cmcrPath
  if (!source) throw new ConfigurationError('Cannot derive dataset_id: no file path provided')
  // Windows paths may arrive on Linux (batch CSVs), so split on both separators.
  const name = basename(source.replace(/\\/g, '/'))
  const stem = name.slice(0, name.length - extname(name).length).replace(/-+$/, '')
  if (!stem.trim()) throw new ConfigurationError(`Cannot derive dataset_id from '${source}': the file name is empty`)
  return stem
}

const UNSAFE_ID = /[/\\:*?"<>|]/
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/

/** True when `s` can be used as (the start of) one file name: no separators, reserved or control characters, not '.'/'..'. */
export function isSafeFileStem(s: string): boolean {
  return s.length > 0 && s.length <= 200 && !UNSAFE_ID.test(s) && !CONTROL_CHARS.test(s) && s !== '.' && s !== '..'
}

/** A user-given name shown in a message: control characters escaped, long names cut. */
function printable(s: string): string {
  const shown = JSON.stringify(s).slice(1, -1)
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown
}

export function validateDatasetId(id: string): string {
  const stripped = id.trim().replace(/-+$/, '')
  if (!stripped) throw new ConfigurationError('dataset_id cannot be empty', { parameter: 'dataset_id' })
  if (UNSAFE_ID.test(stripped)) {
    throw new ConfigurationError(
      `Invalid dataset_id: '${id}'. Dataset ID cannot contain path-unsafe characters (/ \\ : * ? " < > |)`,
      { parameter: 'dataset_id' },
    )
  }
  return stripped
}

export class PipelineSession {
  readonly datasetId: string
  saveState: SaveState = SaveState.DEFERRED
  hdf5Path: string | null = null
  outputDir: string
  /** unit_id -> unit group (spike_times, waveform, features, ...; scalars such as row/col are attributes). */
  readonly units: GroupNode = group()
  readonly metadata: GroupNode = group()
  readonly stimulus: GroupNode = group()
  readonly sourceFiles = new Map<string, string>()
  readonly completedSteps = new Set<string>()
  readonly warnings: SessionWarning[] = []
  createdAt: string
  savedAt: string | null = null
  /** Root and /pipeline attributes read from an archive that this model does not interpret; written back as read. */
  readonly extraRootAttrs = new Map<string, LeafNode>()
  /** Top-level archive objects outside units/metadata/stimulus/source_files/pipeline; written back as read. */
  readonly extraGroups = new Map<string, TreeNode>()
  /** How the archive this session was loaded from looked (null for a new session). */
  loadInfo: { flavour: ArchiveFlavour; derivedSteps: boolean; skipped: string[] } | null = null
  /** True when the session holds data that is not in the file it was last saved to (or it was never saved). */
  private modified = true

  constructor(options: SessionOptions) {
    const id = String(options.datasetId ?? '').trim()
    if (!id) throw new SessionError('dataset_id cannot be empty', { operation: 'create' })
    // The id names the archive and checkpoint files: it must stay one file name inside the output folder.
    if (!isSafeFileStem(id)) {
      throw new ConfigurationError(
        `Invalid dataset_id '${printable(id)}': it must be a plain file name (no / \\ : * ? " < > |, control characters, or '.'/'..')`,
        { parameter: 'dataset_id' },
      )
    }
    this.datasetId = id
    this.outputDir = options.outputDir ?? 'artifacts'
    this.createdAt = options.createdAt ?? isoNow()
  }

  // ---------- properties ----------

  get isSaved(): boolean {
    return this.saveState === SaveState.SAVED
  }

  get isDeferred(): boolean {
    return this.saveState === SaveState.DEFERRED
  }

  /** Saved once, and changed since (the Python model has no such state). */
  get isModifiedSinceSave(): boolean {
    return this.modified
  }

  get unitCount(): number {
    return this.units.children.size
  }

  /** Bytes of every typed array (and string) in units, metadata, stimulus, source files and kept extras. */
  get memoryEstimateBytes(): number {
    let strings = 0
    for (const v of this.sourceFiles.values()) strings += 2 * v.length
    let extras = 0
    for (const v of this.extraGroups.values()) extras += treeBytes(v)
    for (const v of this.extraRootAttrs.values()) extras += treeBytes(v)
    return treeBytes(this.units) + treeBytes(this.metadata) + treeBytes(this.stimulus) + strings + extras
  }

  get memoryEstimateGb(): number {
    return this.memoryEstimateBytes / 1024 ** 3
  }

  unitIds(): string[] {
    return sortUnitIds([...this.units.children.keys()])
  }

  unit(unitId: string): GroupNode {
    const u = this.units.children.get(unitId)
    if (!u || u.kind !== 'group') throw new SessionError(`Unit ${unitId} not found in session`, { operation: 'unit' })
    return u
  }

  // ---------- accumulation (all mark the session modified) ----------

  /** Existing units get their children and attributes updated key by key; new units are stored as a shallow copy. */
  addUnits(units: Record<string, GroupNode> | Map<string, GroupNode>): void {
    const entries = units instanceof Map ? [...units] : Object.entries(units)
    for (const [id, incoming] of entries) {
      const existing = this.units.children.get(id)
      if (existing && existing.kind === 'group') {
        for (const [k, v] of incoming.children) existing.children.set(k, v)
        for (const [k, v] of incoming.attrs) existing.attrs.set(k, v)
      } else {
        this.units.children.set(id, { kind: 'group', children: new Map(incoming.children), attrs: new Map(incoming.attrs) })
      }
    }
    this.touch()
  }

  /** Shallow update of the metadata tree: a nested group given here replaces the old one. */
  addMetadata(metadata: Record<string, TreeNode>): void {
    for (const [k, v] of Object.entries(metadata)) this.metadata.children.set(k, v)
    this.touch()
  }

  /** One-level merge: when both old and new values are groups their children are merged, else replaced. */
  addStimulus(stimulus: Record<string, TreeNode>): void {
    for (const [k, v] of Object.entries(stimulus)) {
      const existing = this.stimulus.children.get(k)
      if (existing?.kind === 'group' && v.kind === 'group') {
        for (const [ck, cv] of v.children) existing.children.set(ck, cv)
        for (const [ak, av] of v.attrs) existing.attrs.set(ak, av)
      } else {
        this.stimulus.children.set(k, v)
      }
    }
    this.touch()
  }

  /** Replaces features/<name> of a unit with {data, metadata}. */
  addFeature(unitId: string, featureName: string, data: TreeNode, metadata: Record<string, TreeNode> = {}): void {
    const unit = this.units.children.get(unitId)
    if (!unit || unit.kind !== 'group') {
      throw new SessionError(`Unit ${unitId} not found in session`, { operation: 'add_feature' })
    }
    let features = unit.children.get('features')
    if (!features || features.kind !== 'group') {
      features = group()
      unit.children.set('features', features)
    }
    features.children.set(featureName, group({ data, metadata: group(metadata) }))
    this.touch()
  }

  markStepComplete(stepName: string): void {
    this.completedSteps.add(stepName)
    this.touch()
  }

  setSourceFiles(cmcrPath?: string | null, cmtrPath?: string | null): void {
    if (cmcrPath) this.sourceFiles.set('cmcr_path', cmcrPath)
    if (cmtrPath) this.sourceFiles.set('cmtr_path', cmtrPath)
    this.touch()
  }

  addWarning(step: string | null, message: string): void {
    this.warnings.push({ step, message })
    this.touch()
  }

  /** Call after changing a tree directly (steps apply their results through this). */
  touch(): void {
    this.modified = true
  }

  hasCompleted(...anyOf: string[]): boolean {
    return anyOf.some((s) => this.completedSteps.has(s))
  }

  // ---------- persistence ----------

  /** The archive content of this session, sharing (not copying) its arrays. */
  toArchiveContent(checkpointName?: string, checkpointTime?: string): ArchiveContent {
    return {
      datasetId: this.datasetId,
      createdAt: this.createdAt,
      savedAt: checkpointTime ?? this.savedAt ?? '',
      checkpointName,
      units: this.units,
      metadata: this.metadata,
      stimulus: this.stimulus,
      sourceFiles: new Map(this.sourceFiles),
      completedSteps: [...this.completedSteps].sort(),
      warnings: this.warnings.map(formatWarning),
      extraRootAttrs: this.extraRootAttrs,
      extraGroups: this.extraGroups,
    }
  }

  /**
   * Writes the whole session to `<outputDir>/<datasetId>.h5` (or `outputPath`) through a temp file and an
   * atomic rename; an existing target is refused unless `overwrite`. The old file is never damaged.
   */
  async save(outputPath?: string, options: { overwrite?: boolean } & ArchiveIoOptions = {}): Promise<string> {
    const target = resolve(outputPath ?? join(this.outputDir, `${this.datasetId}.h5`))
    const savedAt = isoNow()
    await saveArchiveFile(target, this.toArchiveContent(undefined, savedAt), {
      overwrite: options.overwrite ?? false,
      operation: 'save',
      onProgress: options.onProgress,
      signal: options.signal,
    })
    this.savedAt = savedAt
    this.saveState = SaveState.SAVED
    this.hdf5Path = target
    this.modified = false
    return target
  }

  /** Writes the same content as save() to `checkpointPath`; the session's state is left alone. */
  async checkpoint(
    checkpointPath: string,
    options: { checkpointName?: string; overwrite?: boolean } & ArchiveIoOptions = {},
  ): Promise<string> {
    const target = resolve(checkpointPath)
    // The checkpoint records its own time (the Python writes the previous save time instead).
    await saveArchiveFile(target, this.toArchiveContent(options.checkpointName, isoNow()), {
      overwrite: options.overwrite ?? true,
      operation: 'checkpoint',
      onProgress: options.onProgress,
      signal: options.signal,
    })
    return target
  }

  /** Opens any archive (ours, the Python session flavour, immediate or hybrid) as a session to continue. */
  static async load(path: string, options: { outputDir?: string } & ArchiveIoOptions = {}): Promise<PipelineSession> {
    const content = await readArchive(resolve(path), { onProgress: options.onProgress, signal: options.signal })
    let session: PipelineSession
    try {
      session = new PipelineSession({ datasetId: content.datasetId, outputDir: options.outputDir, createdAt: content.createdAt || undefined })
    } catch (err) {
      throw new SessionError(`${resolve(path)}: the archive's dataset_id cannot be used: ${(err as Error).message}`, {
        operation: 'load',
        path: resolve(path),
        code: 'DATA',
        cause: err,
      })
    }
    for (const [k, v] of content.units.children) session.units.children.set(k, v)
    for (const [k, v] of content.metadata.children) session.metadata.children.set(k, v)
    for (const [k, v] of content.metadata.attrs) session.metadata.attrs.set(k, v)
    for (const [k, v] of content.stimulus.children) session.stimulus.children.set(k, v)
    for (const [k, v] of content.stimulus.attrs) session.stimulus.attrs.set(k, v)
    for (const [k, v] of content.sourceFiles) session.sourceFiles.set(k, v)
    for (const s of content.completedSteps) session.completedSteps.add(s)
    for (const w of content.warnings) session.warnings.push(parseWarning(w))
    for (const [k, v] of content.extraRootAttrs) session.extraRootAttrs.set(k, v)
    for (const [k, v] of content.extraGroups ?? []) session.extraGroups.set(k, v)
    session.loadInfo = {
      flavour: content.flavour ?? 'unknown',
      derivedSteps: content.derivedSteps ?? false,
      skipped: content.skipped ?? [],
    }
    session.savedAt = content.savedAt || null
    session.saveState = SaveState.SAVED
    session.hdf5Path = resolve(path)
    session.modified = false
    return session
  }
}

/** create_session: a deferred session whose id is given or derived from the recording paths. */
export function createSession(options: {
  datasetId?: string
  cmcrPath?: string | null
  cmtrPath?: string | null
  outputDir?: string
}): PipelineSession {
  const datasetId = options.datasetId ?? deriveDatasetId(options.cmcrPath, options.cmtrPath)
  const session = new PipelineSession({ datasetId, outputDir: options.outputDir })
  if (options.cmcrPath || options.cmtrPath) session.setSourceFiles(options.cmcrPath, options.cmtrPath)
  return session
}

/** Unit ids in numeric order of their number (unit_2 before unit_10), others alphabetically after. */
export function sortUnitIds(ids: string[]): string[] {
  const num = (id: string) => {
    const m = /(\d+)$/.exec(id)
    return m ? Number(m[1]) : Number.POSITIVE_INFINITY
  }
  return [...ids].sort((a, b) => num(a) - num(b) || (a < b ? -1 : a > b ? 1 : 0))
}

// Warnings are stored as text in the archive (the Python layout); the step prefix keeps their origin.
function formatWarning(w: SessionWarning): string {
  return w.step ? `${w.step}: ${w.message}` : w.message
}

function parseWarning(text: string): SessionWarning {
  const m = /^([a-z_][a-z0-9_]*(?::[a-z0-9_]+)?): (.*)$/s.exec(text)
  return m ? { step: m[1], message: m[2] } : { step: null, message: text }
}
