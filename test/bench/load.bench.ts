// load_recording on a recording shaped like a 20-minute session: two 24 M-sample analog channels
// (int32), 300 units x ~20,000 included spikes (+15 % IncludePeak = 0 peaks, 16-sample cutouts) and a
// tiny sensor span. The recording is generated once into a cache folder (HDMEA_BENCH_CACHE, default
// <tmpdir>/hdmea-bench-load) and reused. Run with `npm run bench:load`; prints seconds and MB/s.

import { existsSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateRecording } from '../../src-worker/synthetic/generator'
import { createTaskPool } from '../../src-main/pool/taskPool'
import { createSession } from '../../src-main/session/session'
import { type NumericNode } from '../../src-shared/tree'
import { runStep } from '../../src-main/steps/framework'
import { loadRecordingStep } from '../../src-main/steps/loadRecording'

const CACHE = process.env.HDMEA_BENCH_CACHE ?? join(tmpdir(), 'hdmea-bench-load')
const STEM = 'bench_20min_v1'
const UNITS = 300
const DURATION_S = 1200
const SPIKES_PER_UNIT = 20_000

async function ensureRecording(): Promise<{ cmcrPath: string; cmtrPath: string }> {
  const cmcrPath = join(CACHE, `${STEM}.cmcr`)
  const cmtrPath = join(CACHE, `${STEM}-.cmtr`)
  if (existsSync(cmcrPath) && existsSync(cmtrPath) && existsSync(join(CACHE, `${STEM}.truth.json`))) return { cmcrPath, cmtrPath }
  console.log(`generating the benchmark recording in ${CACHE} (once) ...`)
  const t0 = performance.now()
  await generateRecording({
    dir: CACHE,
    stem: STEM,
    seed: 1200,
    analogDurationS: DURATION_S,
    sensorDurationS: 0.05,
    nUnits: UNITS,
    rfUnits: 0,
    baseRateHz: SPIKES_PER_UNIT / DURATION_S,
    cutoutLength: 16,
    analogSteps: { count: 2, durationS: 60, firstDelayS: 10, intervalS: 80 },
    truthSpikes: false,
  })
  console.log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  return { cmcrPath, cmtrPath }
}

async function main(): Promise<void> {
  const { cmcrPath, cmtrPath } = await ensureRecording()
  const mb = (p: string) => statSync(p).size / 1e6
  const pool = createTaskPool()
  try {
    // Warm the workers (thread start, wasm init) so the figure is the load itself; the start-up cost is
    // measured by test/bench/startup.bench.ts.
    await pool.warmUp!()
    for (const [run, peaksData] of [[1, true], [2, true], [3, false]] as const) {
      const session = createSession({ datasetId: 'bench' })
      const t0 = performance.now()
      const cpu0 = process.cpuUsage()
      const report = await runStep(loadRecordingStep, session, { cmcr_path: cmcrPath, cmtr_path: cmtrPath, peaks_data: peaksData }, { pool })
      const s = (performance.now() - t0) / 1000
      const cpu = process.cpuUsage(cpu0)
      const cpuS = (cpu.user + cpu.system) / 1e6
      let spikes = 0
      for (const id of session.unitIds()) spikes += (session.unit(id).children.get('spike_times') as NumericNode).data.length
      // Bytes the step reads: both analog rows and every Peaks table (the sensor data is not read).
      const analogMb = (2 * 4 * DURATION_S * 20000) / 1e6
      const cmtrMb = mb(cmtrPath)
      console.log(
        `load_recording run ${run}${peaksData ? '' : ' (peaks_data off)'}: ${s.toFixed(2)} s, ${session.unitCount} units, ${spikes} spikes, ` +
          `${(session.metadata.children.get('frame_timestamps') as NumericNode).data.length} frames; ` +
          `read ${analogMb.toFixed(0)} MB analog + ${cmtrMb.toFixed(0)} MB .cmtr = ${((analogMb + cmtrMb) / s).toFixed(0)} MB/s ` +
          `(CPU ${cpuS.toFixed(2)} s over all threads; ${pool.threads} worker threads; session ${(session.memoryEstimateBytes / 1e6).toFixed(0)} MB; ${report.warnings.length} warnings)`,
      )
    }
  } finally {
    await pool.destroy()
  }
}

await main()
