// Resume from an archive written the way the Python pipeline writes it (h5py, test/python/archive_make.py):
// the session panel and the charts work on it. Needs Debian python3-h5py for /usr/bin/python3.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SessionSnapshot } from '../../src-shared/contract'
import { WorkbenchService } from '../../src-main/workbench/service'

let dir: string
let service: WorkbenchService

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wb-pyarchive-'))
  const r = spawnSync('/usr/bin/python3', [resolve(import.meta.dirname, '../python/archive_make.py'), dir], { encoding: 'utf8', timeout: 60_000 })
  if (r.status !== 0) throw new Error(`archive_make.py failed (needs python3-h5py): ${r.stderr}${r.error ?? ''}`)
  service = new WorkbenchService({ transport: 'electron', workdir: dir, steps: [] })
})

afterAll(async () => {
  await service?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('resuming a Python archive', () => {
  it('shows its dataset, units, steps and warnings', async () => {
    const snap = (await service.dispatch('session.resume', { path: join(dir, 'session.h5') })) as SessionSnapshot
    expect(snap.datasetId).toBe('2025.04.10-11.12.57-Rec')
    expect(snap.unitCount).toBe(2)
    expect(snap.saveState).toBe('saved')
    expect(snap.modifiedSinceSave).toBe(false)
    expect(snap.completedSteps).toEqual(['add_cmtr_unit_info', 'add_section_time', 'load_recording_with_eimage_sta', 'section_spike_times'])
    expect(snap.warnings).toEqual([{ step: 'add_section_time', message: 'no template for movie' }])
    expect(snap.sourceFiles).toEqual({ cmcr_path: 'O:\\20250410\\set6\\rec.cmcr', cmtr_path: 'O:\\20250410\\set6\\rec-.cmtr' })
  })

  it('feeds the unit table, raster (12 trials in numeric order) and the electrical image', async () => {
    const table = (await service.dispatch('chart.units', {})) as { units: Array<{ id: string; row: number; col: number; spikeCount: number }> }
    expect(table.units.map((u) => [u.id, u.row, u.col, u.spikeCount])).toEqual([
      ['unit_007', 12, 40, 4],
      ['unit_010', null, null, 0],
    ])
    const raster = (await service.dispatch('chart.raster', { unitId: 'unit_007', binS: 0.01 })) as { movie: string; trials: number[][] }
    expect(raster.movie).toBe('movie')
    // Trial i holds the sample i*100+1, its window starts at 0: (i*100+1)/20000 s, in the order 0, 1, ..., 11 (not "10" before "2").
    expect(raster.trials).toEqual(Array.from({ length: 12 }, (_, i) => [(i * 100 + 1) / 20000]))
    const cube = (await service.dispatch('chart.eimage', { unitId: 'unit_007' })) as { frames: number; rows: number; cols: number; data: number[][]; firstOffset: number }
    expect([cube.frames, cube.rows, cube.cols]).toEqual([2, 3, 4])
    expect(cube.data[1]).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23])
    expect(cube.firstOffset).toBe(-10)
    const light = (await service.dispatch('chart.lightReference', {})) as { y: number[]; t: number[]; durationS: number; frames: number[]; frameCount: number; sections: unknown[] }
    // 6 samples at 20 kHz: the frames (samples 100-300) and the section lie after its end, so none is drawn.
    expect(light.y).toEqual([0, 1, 2, 3, 4, 5])
    expect(light.t).toEqual([0, 0.00005, 0.0001, 0.00015, 0.0002, 0.00025])
    expect(light.durationS).toBe(0.0003)
    expect(light.frameCount).toBe(3)
    expect(light.frames).toEqual([])
    expect(light.sections).toEqual([])
  })
})
