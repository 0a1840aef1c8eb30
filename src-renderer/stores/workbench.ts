// The renderer's mirror of the backend: app info, the step list, the session snapshot, running jobs,
// the log and the settings. It changes only from replies and events; components never compute science.

import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type {
  AppInfo,
  JobFinished,
  JobProgress,
  LogEntry,
  RecentArchive,
  RecentRecording,
  SessionSnapshot,
  Settings,
  StepInfo,
  UnitTableData,
  WireError,
} from '../../src-shared/contract'
import { api, onConnectionChange, RemoteError, type ConnectionState } from '../api'

const MAX_LOG = 1000

export function errorOf(err: unknown): WireError {
  if (err instanceof RemoteError) return { code: err.code, message: err.message, path: err.path, parameter: err.parameter, retryable: err.retryable }
  return { code: 'ERROR', message: err instanceof Error ? err.message : String(err) }
}

export const useWorkbench = defineStore('workbench', () => {
  const info = ref<AppInfo | null>(null)
  const steps = ref<StepInfo[]>([])
  const session = ref<SessionSnapshot | null>(null)
  const settings = ref<Settings | null>(null)
  const recentRecordings = ref<RecentRecording[]>([])
  const recentArchives = ref<RecentArchive[]>([])
  const progress = ref<Record<string, JobProgress>>({})
  const finished = ref<Record<string, JobFinished>>({})
  const log = ref<LogEntry[]>([])
  const connection = ref<ConnectionState>('open')
  const units = ref<UnitTableData | null>(null)
  const selectedUnit = ref<string | null>(null)
  /** Bumped whenever the session's data may have changed (charts reload on it). */
  const dataVersion = ref(0)
  /** A short-lived operation of the panel (saving, checkpointing) with its outcome. */
  const activity = ref<{ text: string; kind: 'busy' | 'ok' | 'error'; error?: WireError } | null>(null)
  const skipped = ref<string[]>([])
  /** The wizard page: 'recording' or a step id. */
  const page = ref<string>('recording')
  const view = ref<string>('wizard')
  /** Inline forms of the session panel (browser mode has no native dialogs): save-as or resume picker. */
  const panelMode = ref<null | 'saveAs' | 'resume'>(null)
  /** Asks the recording page to open its file browser (Ctrl+O in browser mode). */
  const browseRequest = ref(0)
  const browseHandled = ref(0)
  /** The wizard's form values per step (kept while navigating; reset when another session opens). */
  const forms = ref<Record<string, Record<string, unknown>>>({})

  const runningJob = computed(() => session.value?.runningJob ?? null)
  const stepById = computed(() => new Map(steps.value.map((s) => [s.id, s])))

  function applySnapshot(snap: SessionSnapshot | null): void {
    const before = session.value
    session.value = snap
    if (!snap || before?.datasetId !== snap.datasetId || before?.createdAt !== snap.createdAt) forms.value = {}
    const changed =
      !before ||
      !snap ||
      before.datasetId !== snap.datasetId ||
      before.unitCount !== snap.unitCount ||
      before.completedSteps.join() !== snap.completedSteps.join() ||
      before.createdAt !== snap.createdAt
    if (changed) {
      dataVersion.value++
      void refreshUnits()
    }
  }

  async function refreshUnits(): Promise<void> {
    if (!session.value || session.value.unitCount === 0) {
      units.value = session.value ? { units: [], durationS: null } : null
      selectedUnit.value = null
      return
    }
    try {
      const table = await api.invoke('chart.units', {})
      units.value = table
      if (!selectedUnit.value || !table.units.some((u) => u.id === selectedUnit.value)) {
        // Start from the unit with the most spikes: the one most likely to show structure.
        const best = [...table.units].sort((a, b) => b.spikeCount - a.spikeCount)[0]
        selectedUnit.value = best?.id ?? null
      }
    } catch (err) {
      addLocalLog('error', `Unit table: ${errorOf(err).message}`)
    }
  }

  function addLocalLog(level: LogEntry['level'], message: string): void {
    log.value.push({ seq: 0, time: new Date().toISOString(), level, message })
  }

  async function refreshAll(): Promise<void> {
    const [i, s, st, snap, recent, entries] = await Promise.all([
      api.invoke('app.info', {}),
      api.invoke('steps.list', {}),
      api.invoke('settings.get', {}),
      api.invoke('session.get', {}),
      api.invoke('recent.list', {}),
      api.invoke('log.list', {}),
    ])
    info.value = i
    steps.value = s
    settings.value = st
    recentRecordings.value = recent.recordings
    recentArchives.value = recent.archives
    log.value = entries.slice(-MAX_LOG)
    applySnapshot(snap)
  }

  async function refreshRecent(): Promise<void> {
    const recent = await api.invoke('recent.list', {})
    recentRecordings.value = recent.recordings
    recentArchives.value = recent.archives
  }

  let started = false
  async function init(): Promise<void> {
    if (started) return
    started = true
    onConnectionChange((s) => (connection.value = s))
    api.on('session.changed', (snap) => applySnapshot(snap))
    api.on('job.started', (j) => {
      delete finished.value[j.stepId]
      progress.value[j.stepId] = { jobId: j.jobId, stepId: j.stepId, fraction: 0, elapsedSeconds: 0, etaSeconds: null }
    })
    api.on('job.progress', (p) => (progress.value[p.stepId] = p))
    api.on('job.finished', (f) => {
      finished.value[f.stepId] = f
      delete progress.value[f.stepId]
    })
    api.on('log', (e) => {
      log.value.push(e)
      if (log.value.length > MAX_LOG) log.value.splice(0, log.value.length - MAX_LOG)
    })
    api.onReconnect(() => void refreshAll().catch(() => {}))
    await refreshAll()
  }

  async function openRecording(cmcrPath: string | null, cmtrPath: string | null, datasetId?: string): Promise<void> {
    applySnapshot(await api.invoke('session.open', { cmcrPath, cmtrPath, datasetId }))
    skipped.value = []
    finished.value = {}
    await refreshRecent()
  }

  async function openDemo(): Promise<void> {
    activity.value = { text: 'Preparing the demo recording…', kind: 'busy' }
    try {
      applySnapshot(await api.invoke('session.openDemo', {}))
      skipped.value = []
      finished.value = {}
      activity.value = { text: 'Demo recording opened', kind: 'ok' }
      await refreshRecent()
    } catch (err) {
      activity.value = { text: 'The demo could not be opened', kind: 'error', error: errorOf(err) }
      throw err
    }
  }

  async function resume(path: string): Promise<void> {
    activity.value = { text: `Resuming from ${path}…`, kind: 'busy' }
    try {
      applySnapshot(await api.invoke('session.resume', { path }))
      finished.value = {}
      skipped.value = []
      // Continue where the archive left off: the first step that can run and has not.
      const next = session.value?.steps.find((s) => s.state === 'ready')
      if (next && view.value === 'wizard') page.value = next.id
      activity.value = { text: `Resumed from ${path}`, kind: 'ok' }
      await refreshRecent()
    } catch (err) {
      activity.value = { text: 'Resume failed', kind: 'error', error: errorOf(err) }
      throw err
    }
  }

  /** Saves; resolves to the error when the target exists and needs a confirmation (FILE_EXISTS). */
  async function save(path?: string, overwrite = false): Promise<WireError | null> {
    activity.value = { text: 'Saving…', kind: 'busy' }
    try {
      const r = await api.invoke('session.save', { path, overwrite })
      applySnapshot(r.snapshot)
      activity.value = { text: `Saved ${r.path}`, kind: 'ok' }
      await refreshRecent()
      return null
    } catch (err) {
      const e = errorOf(err)
      activity.value = e.code === 'FILE_EXISTS' ? null : { text: 'Save failed', kind: 'error', error: e }
      return e
    }
  }

  async function checkpoint(path?: string): Promise<string | null> {
    activity.value = { text: 'Writing checkpoint…', kind: 'busy' }
    try {
      const r = await api.invoke('session.checkpoint', { path })
      activity.value = { text: `Checkpoint written: ${r.path}`, kind: 'ok' }
      await refreshRecent()
      return r.path
    } catch (err) {
      activity.value = { text: 'Checkpoint failed', kind: 'error', error: errorOf(err) }
      return null
    }
  }

  async function runStep(stepId: string, params: Record<string, unknown>): Promise<void> {
    delete finished.value[stepId]
    skipped.value = skipped.value.filter((s) => s !== stepId)
    await api.invoke('step.run', { stepId, params })
  }

  async function cancelJob(): Promise<void> {
    const job = runningJob.value
    if (job) await api.invoke('job.cancel', { jobId: job.jobId })
  }

  async function updateSettings(patch: Partial<Settings>): Promise<void> {
    settings.value = await api.invoke('settings.set', patch)
  }

  function skip(stepId: string): void {
    if (!skipped.value.includes(stepId)) skipped.value.push(stepId)
  }

  return {
    info,
    steps,
    session,
    settings,
    recentRecordings,
    recentArchives,
    progress,
    finished,
    log,
    connection,
    units,
    selectedUnit,
    dataVersion,
    activity,
    skipped,
    page,
    view,
    panelMode,
    browseRequest,
    browseHandled,
    forms,
    runningJob,
    stepById,
    init,
    refreshAll,
    refreshUnits,
    openRecording,
    openDemo,
    resume,
    save,
    checkpoint,
    runStep,
    cancelJob,
    updateSettings,
    skip,
  }
})
