// The generator of bad inputs: a small valid .cmcr/.cmtr pair and archive, then make_bad_inputs.py
// (h5py) writes one damaged or hostile variant per kind beside them.

import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSession } from '../../src-main/session/session'
import { f32, group, u64 } from '../../src-shared/tree'
import { smallRecording } from '../unit/mcsFixtures'

export interface BadInputs {
  root: string
  good: { cmcr: string; cmtr: string; archive: string }
  /** A variant written by make_bad_inputs.py, by file name. */
  bad: (name: string) => string
  cleanup: () => void
}

export const PYTHON = '/usr/bin/python3'

export async function makeBadInputs(prefix: string): Promise<BadInputs> {
  if (!existsSync('out/main/task.js')) execFileSync('npx', ['electron-vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' })
  const root = mkdtempSync(join(tmpdir(), prefix))
  const rec = await smallRecording(join(root, 'good'), { analogDurationS: 6, sensorDurationS: 0.01, nUnits: 3, playlist: [] })
  const session = createSession({ datasetId: 'good_archive', outputDir: join(root, 'good') })
  session.addUnits({
    unit_001: group({ spike_times: u64([1, 5, 9]) }),
    unit_002: group({ spike_times: u64([2, 4]), waveform: f32([0.5, -1, 0.25]) }),
  })
  const archive = await session.save()
  const badDir = join(root, 'bad')
  execFileSync(PYTHON, ['test/robustness/make_bad_inputs.py', rec.cmcrPath, rec.cmtrPath, archive, badDir], { stdio: ['ignore', 'ignore', 'inherit'] })
  return {
    root,
    good: { cmcr: rec.cmcrPath, cmtr: rec.cmtrPath, archive },
    bad: (name) => join(badDir, name),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  }
}
