// A fully computed demo session through the backend's API (no clicking): open the demo, then run every
// step that can run, with the parameters the session suggests, until none is left. Chart and
// accessibility specs start from it; the wizard flow itself is covered by workbench.spec.ts.
import type { RunningHost } from './host'

/** The alternatives not taken: the eimage load replaces the plain load, playlist sectioning the analog one. */
const SKIP = new Set(['load_recording', 'add_section_time_analog'])

interface StepStatus {
  id: string
  state: string
  lastError?: { message: string }
}

interface Snapshot {
  steps: StepStatus[]
  runningJob: unknown
  suggestedParams: Record<string, Record<string, unknown>>
}

export async function callApi<T>(host: RunningHost, name: string, params: unknown = {}): Promise<T> {
  const res = await fetch(`${host.base}/api/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-workbench-token': host.token },
    body: JSON.stringify(params),
  })
  const body = (await res.json()) as { ok: boolean; result?: T; error?: { message: string } }
  if (!body.ok) throw new Error(`${name}: ${body.error?.message}`)
  return body.result as T
}

/** Runs the demo through every step; resolves to the ids that ran. Throws naming a step that failed. */
export async function computeDemoSession(host: RunningHost): Promise<string[]> {
  let snap = await callApi<Snapshot>(host, 'session.openDemo')
  const ran: string[] = []
  for (;;) {
    const next = snap.steps.find((s) => s.state === 'ready' && !SKIP.has(s.id) && !ran.includes(s.id))
    if (!next) return ran
    await callApi(host, 'step.run', { stepId: next.id, params: snap.suggestedParams[next.id] ?? {} })
    do {
      await new Promise((r) => setTimeout(r, 250))
      snap = await callApi<Snapshot>(host, 'session.get')
    } while (snap.runningJob)
    const status = snap.steps.find((s) => s.id === next.id)
    if (status?.state !== 'done') throw new Error(`demo step ${next.id} ended ${status?.state}: ${status?.lastError?.message ?? ''}`)
    ran.push(next.id)
  }
}
