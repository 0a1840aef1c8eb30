// The renderer's mirror of the batch queue: the open batch's snapshot, kept current by the batch.*
// events, and the per-item logs the user opened. All decisions are the backend's.

import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ItemState } from '../../src-shared/batchModel'
import type { BatchItem, BatchOptions, BatchSnapshot, WireError } from '../../src-shared/contract'
import { api } from '../api'
import { useFileActions } from '../fileActions'
import { errorOf } from './workbench'

export const useBatch = defineStore('batch', () => {
  const snapshot = ref<BatchSnapshot | null>(null)
  /** Logs the user opened, by item id (live lines are appended while open). */
  const logs = ref<Record<string, string>>({})
  const openLog = ref<string | null>(null)
  const error = ref<WireError | null>(null)
  const notes = ref<string[]>([])
  const busy = ref(false)
  let subscribed = false

  const items = computed<BatchItem[]>(() => snapshot.value?.items ?? [])
  const counts = computed(() => {
    const c: Record<ItemState, number> = { queued: 0, running: 0, done: 0, skipped: 0, failed: 0, cancelled: 0 }
    for (const i of items.value) c[i.state]++
    return c
  })

  function subscribe(): void {
    if (subscribed) return
    subscribed = true
    api.on('batch.changed', (snap) => {
      snapshot.value = snap
      if (!snap) {
        logs.value = {}
        openLog.value = null
      }
    })
    api.on('batch.item', (item) => {
      const snap = snapshot.value
      if (!snap) return
      const at = snap.items.findIndex((i) => i.id === item.id)
      if (at >= 0) snap.items.splice(at, 1, item)
    })
    api.on('batch.log', ({ id, line }) => {
      if (id in logs.value) logs.value[id] += `${line}\n`
    })
  }

  /** Runs a request; its error is shown in the view instead of being thrown. */
  async function act<T>(fn: () => Promise<T>): Promise<T | null> {
    busy.value = true
    error.value = null
    try {
      return await fn()
    } catch (err) {
      error.value = errorOf(err)
      return null
    } finally {
      busy.value = false
    }
  }

  async function init(): Promise<void> {
    subscribe()
    await act(async () => (snapshot.value = await api.invoke('batch.get', {})))
  }

  async function open(outputDir: string, options?: Partial<BatchOptions>, fresh = false): Promise<void> {
    subscribe()
    notes.value = []
    await act(async () => (snapshot.value = await api.invoke('batch.open', { outputDir, options, fresh })))
  }

  async function close(): Promise<void> {
    await act(() => api.invoke('batch.close', {}))
    snapshot.value = null
  }

  async function add(paths: string[]): Promise<void> {
    const r = await act(() => api.invoke('batch.add', { paths }))
    if (r) {
      snapshot.value = r.snapshot
      notes.value = r.notes
    }
  }

  const replace = (p: Promise<BatchSnapshot | null>) =>
    act(async () => {
      const snap = await p
      if (snap) snapshot.value = snap
    })

  /** The latest option change in flight: Start waits for it, so a value typed just before counts. */
  let optionsWrite: Promise<unknown> = Promise.resolve()
  const start = async () => {
    await optionsWrite
    return replace(api.invoke('batch.start', {}))
  }
  const stop = () => replace(api.invoke('batch.stop', {}))
  const cancel = (id?: string) => replace(api.invoke('batch.cancel', id ? { id } : {}))
  const retry = (id?: string) => replace(api.invoke('batch.retry', id ? { id } : {}))
  const remove = (id: string) => replace(api.invoke('batch.remove', { id }))
  const setOptions = (o: Partial<BatchOptions>) => (optionsWrite = replace(api.invoke('batch.setOptions', o)))

  async function loadRecipe(path: string): Promise<void> {
    await act(async () => {
      const recipe = await api.invoke('batch.loadRecipe', { path })
      snapshot.value = await api.invoke('batch.setRecipe', { recipe })
    })
  }

  async function saveRecipe(path: string): Promise<string | null> {
    const r = await act(() => api.invoke('batch.saveRecipe', { path }))
    return r?.path ?? null
  }

  async function toggleLog(id: string): Promise<void> {
    if (openLog.value === id) {
      openLog.value = null
      return
    }
    const r = await act(() => api.invoke('batch.log', { id }))
    if (r) {
      logs.value[id] = r.text
      openLog.value = id
    }
  }

  /** Opens a finished archive in the session view (asking first when the open session has unsaved work). */
  async function openArchive(item: BatchItem): Promise<void> {
    const actions = useFileActions()
    await act(async () => {
      await actions.resumeFrom(item.outputPath)
    })
  }

  return {
    snapshot,
    items,
    counts,
    logs,
    openLog,
    error,
    notes,
    busy,
    init,
    open,
    close,
    add,
    start,
    stop,
    cancel,
    retry,
    remove,
    setOptions,
    loadRecipe,
    saveRecipe,
    toggleLog,
    openArchive,
  }
})
