// The renderer's mirror of the backend: app info, the step list, the session snapshot, running jobs and
// their outcomes, the log, the settings, recent files and the unit table with the selected unit. It
// changes only from replies and events; what the window shows and what the user typed lives in
// stores/ui.ts, and the commands that combine both (open with the unsaved-work question, save, resume)
// in fileActions.ts. Components never compute science.

import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type {
  AppInfo,
  JobFinished,
  JobProgress,
  LogEntry,
  RecentArchive,
  RecentRecording,
  SessionOperation,
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
  /** The save, checkpoint or resume under way, with its progress. */
  const operation = ref<SessionOperation | null>(null)
  const finished = ref<Record<string, JobFinished>>({})
  const log = ref<LogEntry[]>([])
  const connection = ref<ConnectionState>('open')
  const units = ref<UnitTableData | null>(null)
  /** The unit the charts show; it indexes the unit table above and is reset with it. */
  const selectedUnit = ref<string | null>(null)
  /** Bumped whenever the session's data may have changed (charts reload on it). */
  const dataVersion = ref(0)

  const runningJob = computed(() => session.value?.runningJob ?? null)
  const stepById = computed(() => new Map(steps.value.map((s) => [s.id, s])))

  function applySnapshot(snap: SessionSnapshot | null): void {
    const before = session.value
    session.value = snap
    const other = !before || !snap || before.datasetId !== snap.datasetId || before.createdAt !== snap.createdAt
    // Job outcomes belong to the session they ran in.
    if (other) finished.value = {}
    const changed = other || before.unitCount !== snap.unitCount || before.completedSteps.join() !== snap.completedSteps.join()
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
    api.on('session.operation', (o) => (operation.value = o))
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

  // ---------- requests whose replies update the mirror ----------

  async function openRecording(cmcrPath: string | null, cmtrPath: string | null, datasetId?: string): Promise<void> {
    applySnapshot(await api.invoke('session.open', { cmcrPath, cmtrPath, datasetId }))
    finished.value = {}
    await refreshRecent()
  }

  async function openDemo(): Promise<void> {
    applySnapshot(await api.invoke('session.openDemo', {}))
    finished.value = {}
    await refreshRecent()
  }

  async function resume(path: string): Promise<void> {
    applySnapshot(await api.invoke('session.resume', { path }))
    finished.value = {}
    await refreshRecent()
  }

  async function save(path?: string, overwrite = false): Promise<string> {
    const r = await api.invoke('session.save', { path, overwrite })
    applySnapshot(r.snapshot)
    await refreshRecent()
    return r.path
  }

  async function checkpoint(path?: string): Promise<string> {
    const r = await api.invoke('session.checkpoint', { path })
    await refreshRecent()
    return r.path
  }

  async function runStep(stepId: string, params: Record<string, unknown>): Promise<void> {
    delete finished.value[stepId]
    await api.invoke('step.run', { stepId, params })
  }

  async function cancelOperation(): Promise<void> {
    await api.invoke('session.cancelOperation', {})
  }

  async function cancelJob(): Promise<void> {
    const job = runningJob.value
    if (job) await api.invoke('job.cancel', { jobId: job.jobId })
  }

  async function updateSettings(patch: Partial<Settings>): Promise<void> {
    settings.value = await api.invoke('settings.set', patch)
  }

  return {
    info,
    steps,
    session,
    settings,
    recentRecordings,
    recentArchives,
    progress,
    operation,
    finished,
    log,
    connection,
    units,
    selectedUnit,
    dataVersion,
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
    cancelOperation,
    updateSettings,
  }
})
