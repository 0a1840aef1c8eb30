// Piscina worker entry: every named export is a task the main process can run by name.
// Each worker thread has its own h5wasm instance (ES modules are per isolate).

import { threadId } from 'node:worker_threads'

/** Which thread answered; used to check that the pool really spreads work. */
export function workerInfo(): { threadId: number } {
  return { threadId }
}
export * from './tasks/warmUpTasks'
export * from './tasks/staTasks'
export * from './tasks/eimageTasks'
export * from './tasks/mcsTasks'
export * from './tasks/syntheticTasks'
