// The tiny recording the pool's warm-up loads in every thread (src-worker/tasks/warmUpTasks.ts): a
// synthetic .cmcr/.cmtr pair of half a second and four units, generated once per machine (in a pool
// thread, by the demo's generator) into the temp folder and reused by every later start.

import { access, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SyntheticWritten } from '../../src-worker/tasks/syntheticTasks'
import type { TaskError } from '../../src-worker/tasks/taskError'
import type { TaskPool } from './taskPool'

/** Versioned: a change to the generator's options below gets a folder of its own. */
export const WARM_UP_DIR = join(tmpdir(), 'hdmea-workbench-warmup-v1')
const STEM = 'warmup'

export interface WarmUpRecording {
  cmcrPath: string
  cmtrPath: string
}

const exists = (path: string) => access(path).then(
  () => true,
  () => false,
)

/** The warm-up pair in `dir`, written by one of `pool`'s threads if it is not there yet. */
export async function warmUpRecording(pool: Pick<TaskPool, 'run'>, dir = WARM_UP_DIR): Promise<WarmUpRecording> {
  const rec = { cmcrPath: join(dir, `${STEM}.cmcr`), cmtrPath: join(dir, `${STEM}-.cmtr`) }
  if ((await exists(rec.cmcrPath)) && (await exists(rec.cmtrPath))) return rec
  // Written beside the folder and renamed into place, so a half-written pair is never used.
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`
  try {
    const written = await pool.run<SyntheticWritten | TaskError>('syntheticRecording', {
      dir: tmp,
      stem: STEM,
      seed: 1,
      analogDurationS: 0.5,
      sensorDurationS: 0.0005,
      nUnits: 4,
      rfUnits: 0,
    })
    if ('error' in written) throw new Error(`the warm-up recording could not be written in ${tmp}: ${written.error.message}`)
    // Another start may have put a complete pair there meanwhile: then that one is used.
    if (!((await exists(rec.cmcrPath)) && (await exists(rec.cmtrPath)))) {
      await rm(dir, { recursive: true, force: true }) // an incomplete earlier pair
      await rename(tmp, dir)
    }
  } finally {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined)
  }
  return rec
}
