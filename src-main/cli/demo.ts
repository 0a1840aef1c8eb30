// `npm run demo [-- --out DIR]`: generates the synthetic demo recording (once), runs the Quick Start
// through the same steps as the app (real worker pool), checkpoints after the load, saves the archive
// and prints a summary. Progress goes to stderr, the summary to stdout; Ctrl+C cancels the running step.

import { mkdirSync } from 'node:fs'
import { join, resolve, sep } from 'node:path'
import { assertReplaceable, recordOwnFiles } from '../demoManifest'
import { DEMO_STEM, ensureDemoRecording } from '../demoSet'
import { startCliLog } from '../logging/cliLog'
import { createTaskPool, type TaskPool } from '../pool/taskPool'
import { prepareSensorReader } from '../../src-worker/eimage/readerThread'
import { CancelledError, describeError } from '../../src-shared/errors'
import { createSession, type PipelineSession } from '../session/session'
import { type Progress, type StepDefinition, runStep } from '../steps/framework'
import { cliSteps } from '../plugins/cliSteps'
import { type CommandArgs, type OptionTable, parseCommandArgs } from './args'

const USAGE = `usage: npm run demo [-- --out DIR] [--plugins DIR]... [--python PATH]
       node out/main/cli.js demo [--out DIR] [--plugins DIR]... [--python PATH]

Generates the synthetic demo recording in DIR/recording (only if absent), then runs the Quick Start:
load, add_section_time, section_spike_times, compute_sta, extract_features (frif). Writes a checkpoint
after the load to DIR/checkpoints/<id>.after_load.h5 and the archive to DIR/<id>.h5.

Then every step plugin of each --plugins DIR runs on the session too, with its default parameters.

options:
  --out DIR       output folder (default: ./demo-output)
  --plugins DIR   load the step plugins in DIR and run them after the Quick Start (repeatable; docs/plugins.md)
  --python PATH   the Python interpreter for Python step plugins (default python3, python on Windows)
  -h, --help      show this help
`

export interface DemoArgs {
  out: string
  plugins: string[]
  python?: string
}

const DEMO_ARGS = {
  options: {
    out: { type: 'string', short: 'o', needs: 'a folder' },
    plugins: { type: 'string', multiple: true, needs: 'a folder' },
    python: { type: 'string', needs: 'an interpreter' },
    help: { type: 'boolean', short: 'h' },
  },
  positionals: false,
  unknown: (arg: string) => `unknown argument '${arg}'`,
} satisfies CommandArgs<OptionTable>

/** Parses the demo's arguments; returns null after --help, throws on a bad argument. */
export function parseDemoArgs(args: string[]): DemoArgs | null {
  const { values } = parseCommandArgs(args, DEMO_ARGS)
  if (values.help) return null
  return { out: resolve(values.out ?? 'demo-output'), plugins: (values.plugins ?? []).map((d) => resolve(d)), python: values.python }
}

let STEPS: StepDefinition<any>[] = []

function findStep(id: string): StepDefinition<any> | undefined {
  return STEPS.find((s) => s.id === id)
}

/** Only the parameters a step declares, so a recommendation meant for another loader cannot trip it. */
function paramsFor(def: StepDefinition<any>, ...sources: Array<Record<string, unknown> | undefined>): Record<string, unknown> {
  const declared = new Set(def.params.map((p) => p.name))
  const out: Record<string, unknown> = {}
  for (const src of sources) {
    for (const [k, v] of Object.entries(src ?? {})) if (declared.has(k) && v !== undefined && v !== null) out[k] = v
  }
  return out
}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GB`
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`
  return `${(n / 1024).toFixed(1)} kB`
}

/** Progress on stderr: one line when the message changes or every 10 %, never more than 5 a second. */
function progressPrinter(step: string): (p: Progress) => void {
  let lastPct = -100
  let lastMsg = ''
  let lastTime = 0
  const started = Date.now()
  return (p) => {
    const pct = Math.round(p.fraction * 100)
    const now = Date.now()
    // The time left, estimated as the workbench's progress line does (steps no longer put it in messages).
    const elapsed = (now - started) / 1000
    const left = p.fraction >= 0.02 && p.fraction < 1 && elapsed >= 0.3 ? Math.ceil((elapsed * (1 - p.fraction)) / p.fraction) : null
    const msg = p.message ?? ''
    if (pct < 100 && now - lastTime < 200) return
    if (pct - lastPct < 10 && msg === lastMsg && pct < 100) return
    lastPct = pct
    lastMsg = msg
    lastTime = now
    process.stderr.write(`  [${step}] ${String(pct).padStart(3)}%${msg ? ` ${msg}` : ''}${left !== null ? `, about ${left} s left` : ''}\n`)
  }
}

interface StepTiming {
  step: string
  seconds: number
  summary: string
}

export async function runDemoCommand(args: string[]): Promise<number> {
  let parsed: DemoArgs | null
  try {
    parsed = parseDemoArgs(args)
  } catch (err) {
    process.stderr.write(`demo: ${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (!parsed) {
    process.stdout.write(USAGE)
    return 0
  }
  const out = parsed.out
  let pluginSteps: string[]
  try {
    const found = await cliSteps({ plugins: parsed.plugins, python: parsed.python })
    STEPS = found.steps
    const given = parsed.plugins
    const inGiven = (location: string) => given.some((dir) => location.startsWith(dir + sep))
    pluginSteps = found.report.plugins.filter((p) => p.status === 'loaded' && inGiven(p.location)).map((p) => p.id!)
  } catch (err) {
    process.stderr.write(`demo: ${(err as Error).message}\n`)
    return 2
  }
  const cliLog = startCliLog(out, 'demo', args) // <out>/demo.log
  const controller = new AbortController()
  let currentStep = 'setup'
  const onSigint = () => {
    if (controller.signal.aborted) {
      process.stderr.write('\ndemo: interrupted again, exiting now\n')
      process.exit(130)
    }
    process.stderr.write(`\ndemo: cancelling ${currentStep} (Ctrl+C again to quit at once)\n`)
    controller.abort()
  }
  process.on('SIGINT', onSigint)
  let pool: TaskPool | null = null
  const timings: StepTiming[] = []
  let session: PipelineSession | null = null
  try {
    const loader = findStep('load_recording_with_eimage_sta') ?? findStep('load_recording')
    if (!loader) throw new Error('no loader step (load_recording) is registered')
    const plan = [loader.id, 'add_section_time', 'section_spike_times', 'compute_sta', 'extract_features', ...pluginSteps]
    const missing = plan.filter((id) => !findStep(id))
    if (missing.length > 0) throw new Error(`the step(s) ${missing.join(', ')} are not registered`)
    // The worker threads start now and ready themselves (h5wasm) while the demo recording is prepared.
    const warmPool = createTaskPool()
    pool = warmPool
    warmPool.warmUp?.().catch((err) => {
      if (pool === warmPool) process.stderr.write(`demo: note: the worker threads could not be pre-warmed (${(err as Error).message}); the first step starts them\n`)
    })
    prepareSensorReader() // the electrical-image load's reader thread, booted by the time the load needs it

    // The archive and checkpoint names are known before anything runs: refuse at once if a file the
    // demo did not write sits there (it would be replaced at the end).
    const outputs = [`${DEMO_STEM}.h5`, `checkpoints/${DEMO_STEM}.after_load.h5`]
    await assertReplaceable(out, outputs, 'the demo archive')
    mkdirSync(join(out, 'checkpoints'), { recursive: true })
    currentStep = 'preparing the demo recording'
    process.stderr.write(`demo: preparing the demo recording in ${join(out, 'recording')}\n`)
    const demo = await ensureDemoRecording(join(out, 'recording'), { pool: warmPool })
    if (controller.signal.aborted) throw new CancelledError()
    currentStep = 'creating the session'
    session = createSession({ cmcrPath: demo.cmcrPath, cmtrPath: demo.cmtrPath, outputDir: out })
    const recommended = demo.recommendedParams ?? {}
    const base: Record<string, Record<string, unknown>> = {
      [loader.id]: { cmcr_path: demo.cmcrPath, cmtr_path: demo.cmtrPath },
      add_section_time: {
        playlist_file: demo.playlistFile,
        movie_length_file: demo.movieLengthFile,
        playlist_name: demo.playlistName,
      },
      section_spike_times: { stimulus_config_dir: demo.stimulusConfigDir },
      compute_sta: { stimulus_dir: demo.stimulusDir, movie_name: demo.noiseMovie },
      extract_features: { features: ['frif'] },
    }
    for (const id of plan) {
      const def = findStep(id)!
      currentStep = id
      process.stderr.write(`demo: running ${id}\n`)
      const report = await runStep(def, session, paramsFor(def, base[id], recommended[id]), {
        pool,
        signal: controller.signal,
        onProgress: progressPrinter(id),
      })
      timings.push({ step: id, seconds: report.seconds, summary: report.summary })
      if (id === loader.id) {
        currentStep = 'checkpoint'
        const t0 = performance.now()
        const cp = await session.checkpoint(join(out, 'checkpoints', `${session.datasetId}.after_load.h5`), {
          checkpointName: 'after_load',
          overwrite: true,
        })
        await recordOwnFiles(out, [outputs[1]])
        timings.push({ step: '(checkpoint after load)', seconds: (performance.now() - t0) / 1000, summary: cp })
        process.stderr.write(`demo: checkpoint ${cp}\n`)
      }
    }
    currentStep = 'save'
    const t0 = performance.now()
    const saved = await session.save(join(out, `${session.datasetId}.h5`), { overwrite: true })
    await recordOwnFiles(out, [`${session.datasetId}.h5`])
    timings.push({ step: '(save)', seconds: (performance.now() - t0) / 1000, summary: saved })
    printSummary(session, timings, saved)
    return 0
  } catch (err) {
    if (err instanceof CancelledError || controller.signal.aborted) {
      process.stderr.write(`demo: cancelled during ${currentStep}; nothing further was written\n`)
      return 130
    }
    const e = describeError(err)
    process.stderr.write(`demo: failed during ${currentStep}: ${e.message}${e.path && !e.message.includes(e.path) ? ` (${e.path})` : ''}\n`)
    return 1
  } finally {
    process.off('SIGINT', onSigint)
    const closing = pool
    pool = null
    await closing?.destroy()
    cliLog.close()
  }
}

function printSummary(session: PipelineSession, timings: StepTiming[], saved: string): void {
  const lines: string[] = []
  lines.push(`Demo finished: ${session.datasetId}`)
  lines.push(`  units:            ${session.unitCount}`)
  lines.push(`  completed steps:  ${[...session.completedSteps].join(', ')}`)
  lines.push(`  memory estimate:  ${formatBytes(session.memoryEstimateBytes)}`)
  lines.push(`  archive:          ${saved}`)
  lines.push('  seconds per step:')
  for (const t of timings) lines.push(`    ${t.step.padEnd(32)} ${t.seconds.toFixed(2).padStart(8)}  ${t.summary}`)
  if (session.warnings.length === 0) {
    lines.push('  warnings:         none')
  } else {
    lines.push(`  warnings (${session.warnings.length}):`)
    for (const w of session.warnings) lines.push(`    [${w.step ?? 'session'}] ${w.message}`)
  }
  process.stdout.write(lines.join('\n') + '\n')
}
