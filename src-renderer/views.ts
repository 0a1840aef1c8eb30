// The top-level views of the window, in navigation order. A new view (e.g. the batch queue) is one
// entry here; App.vue renders whatever this list holds.

import type { Component } from 'vue'
import BatchQueue from './components/BatchQueue.vue'
import ChartsView from './components/ChartsView.vue'
import LogView from './components/LogView.vue'
import SettingsView from './components/SettingsView.vue'
import WizardView from './components/WizardView.vue'

export interface ViewEntry {
  id: string
  label: string
  component: Component
}

export const VIEWS: ViewEntry[] = [
  { id: 'wizard', label: 'Pipeline', component: WizardView },
  { id: 'charts', label: 'Charts', component: ChartsView },
  { id: 'batch', label: 'Batch', component: BatchQueue },
  { id: 'log', label: 'Log', component: LogView },
  { id: 'settings', label: 'Settings', component: SettingsView },
]
