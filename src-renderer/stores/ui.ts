// What the window shows and what the user has typed or chosen but not sent: the view and wizard page,
// the alternative chosen in each wizard stage, the step forms, errors of runs that did not start, the
// session panel's inline forms, the short-lived activity line and the one modal question. The backend
// mirror (stores/workbench.ts) never holds any of this; this store never holds backend state.

import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { WireError } from '../../src-shared/contract'
import { useWorkbench } from './workbench'

export interface DialogButton {
  id: string
  label: string
  kind?: 'primary' | 'danger'
}

export interface Dialog {
  title: string
  message: string
  detail?: string
  buttons: DialogButton[]
  /** The answer when the dialog is dismissed (Escape). */
  cancelId: string
  testid: string
  /** An error shown inside the dialog (a failed Save), the buttons stay. */
  error?: string
  resolve(id: string): void
}

export const useUi = defineStore('ui', () => {
  const wb = useWorkbench()
  /** The top-level view (VIEWS in views.ts). */
  const view = ref<string>('wizard')
  /** The wizard page: 'recording' (the start page), a stage id (wizardPlan.ts) or 'review'. */
  const page = ref<string>('recording')
  /** The chosen alternative of each wizard stage that has some (stage id -> step id). */
  const choices = ref<Record<string, string>>({})
  /** The wizard's form values per step (kept while navigating; reset when another session opens). */
  const forms = ref<Record<string, Record<string, unknown>>>({})
  /** Errors of runs the backend refused before they started (they never reach the session). */
  const runErrors = ref<Record<string, WireError>>({})
  const skipped = ref<string[]>([])
  /** Inline forms of the session panel (browser mode has no native dialogs): save-as or resume picker. */
  const panelMode = ref<null | 'saveAs' | 'resume'>(null)
  /** Asks the start page to open its file browser (Ctrl+O in browser mode). */
  const browseRequest = ref(0)
  const browseHandled = ref(0)
  /** A short-lived operation (saving, checkpointing, opening) with its outcome. */
  const activity = ref<{ text: string; kind: 'busy' | 'ok' | 'error'; error?: WireError } | null>(null)
  const dialog = ref<Dialog | null>(null)

  const sessionKey = computed(() => (wb.session ? `${wb.session.datasetId}|${wb.session.createdAt}` : ''))
  // Another session: forms, skips, choices and refused runs belonged to the old one.
  watch(sessionKey, () => {
    forms.value = {}
    runErrors.value = {}
    skipped.value = []
    choices.value = {}
  })

  /** Shows a modal question and resolves to the id of the button chosen. */
  function ask(d: Omit<Dialog, 'resolve'>): Promise<string> {
    // A second question replaces the first, which counts as cancelled.
    dialog.value?.resolve(dialog.value.cancelId)
    return new Promise((resolve) => {
      dialog.value = {
        ...d,
        resolve: (id) => {
          dialog.value = null
          resolve(id)
        },
      }
    })
  }

  function skip(stepId: string): void {
    if (!skipped.value.includes(stepId)) skipped.value.push(stepId)
  }

  return { view, page, choices, forms, runErrors, skipped, panelMode, browseRequest, browseHandled, activity, dialog, ask, skip }
})
