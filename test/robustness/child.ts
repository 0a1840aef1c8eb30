// One operation on possibly bad input, in its own process so the parent can cap its memory and time:
// prints one JSON line {ok, error?: {code, message, path}, summary?, maxRssMb}.
//   load:   a step (load_recording or load_recording_with_eimage_sta) on a .cmcr/.cmtr pair, then a save into `out`
//   resume: an archive opened as a session, then saved into `out`

import { join } from 'node:path'
import { describeError } from '../../src-shared/errors'
import { createTaskPool } from '../../src-main/pool/taskPool'
import { PipelineSession, createSession } from '../../src-main/session/session'
import { runStep } from '../../src-main/steps/framework'
import { STEPS } from '../../src-main/steps/index'

interface Command {
  op: 'load' | 'resume'
  cmcr?: string | null
  cmtr?: string | null
  step?: string
  params?: Record<string, unknown>
  path?: string
  out: string
}

async function main(cmd: Command): Promise<Record<string, unknown>> {
  if (cmd.op === 'resume') {
    const session = await PipelineSession.load(cmd.path!, { outputDir: cmd.out })
    const saved = await session.save(undefined, { overwrite: false })
    return { summary: `${session.datasetId}: ${session.unitCount} units`, saved }
  }
  const def = STEPS.find((s) => s.id === (cmd.step ?? 'load_recording'))!
  const session = createSession({ datasetId: 'rec', outputDir: cmd.out })
  const pool = createTaskPool({ threads: 1 })
  try {
    const params: Record<string, unknown> = { ...(cmd.params ?? {}) }
    if (cmd.cmcr) params.cmcr_path = cmd.cmcr
    if (cmd.cmtr) params.cmtr_path = cmd.cmtr
    const report = await runStep(def, session, params, { pool })
    const saved = await session.save(join(cmd.out, 'rec.h5'), { overwrite: false })
    return { summary: report.summary, warnings: report.warnings, units: session.unitIds(), saved }
  } finally {
    await pool.destroy()
  }
}

const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024)

/** One command, or a list run one after the other: prints one JSON line per command. */
async function runAll(arg: Command | Command[]): Promise<void> {
  for (const cmd of Array.isArray(arg) ? arg : [arg]) {
    const line = await main(cmd).then(
      (r) => ({ ok: true, ...r }),
      (err) => ({ ok: false, error: describeError(err) }),
    )
    process.stdout.write(`${JSON.stringify({ ...line, maxRssMb: rssMb() })}\n`)
  }
}

runAll(JSON.parse(process.argv[2]) as Command | Command[]).then(
  () => process.exit(0),
  () => process.exit(1),
)
