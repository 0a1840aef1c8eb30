// The step plugins as the backend found them (folders, loaded and refused plugins with their errors),
// and "Reload plugins", after which the wizard's step list follows.

import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { PluginReport } from '../../src-shared/contract'
import { api } from '../api'
import { errorOf, useWorkbench } from './workbench'

export const usePlugins = defineStore('plugins', () => {
  const report = ref<PluginReport | null>(null)
  const busy = ref(false)
  const error = ref<string | null>(null)

  async function refreshSteps(): Promise<void> {
    const wb = useWorkbench()
    wb.steps = await api.invoke('steps.list', {})
  }

  async function load(): Promise<void> {
    try {
      report.value = await api.invoke('plugins.list', {})
      error.value = null
    } catch (err) {
      error.value = errorOf(err).message
    }
  }

  async function reload(): Promise<void> {
    busy.value = true
    try {
      report.value = await api.invoke('plugins.reload', {})
      error.value = null
      await refreshSteps()
    } catch (err) {
      error.value = errorOf(err).message
    } finally {
      busy.value = false
    }
  }

  /** After a settings change of the folders (the backend rediscovered already). */
  async function afterSettingsChange(): Promise<void> {
    await load()
    await refreshSteps()
  }

  return { report, busy, error, load, reload, afterSettingsChange }
})
