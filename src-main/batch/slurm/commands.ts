// The SLURM commands the cluster engine uses (sbatch, squeue, sacct, scancel), run as programs with
// their machine-readable output formats. Nothing here keeps state.

import { execFile } from 'node:child_process'
import { ConfigurationError } from '../../../src-shared/errors'

export interface TaskSchedulerState {
  /** `<jobId>_<arrayTaskId>` */
  key: string
  jobId: string
  arrayTaskId: number
  /** PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, ... */
  state: string
  reason: string
  node: string
}

/** States in which an array task will not run (again). */
export const ENDED_STATES = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'SPECIAL_EXIT'])

function run(cmd: string, args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code
        const why = code === 'ENOENT' ? `${cmd} is not installed or not on PATH (is this a SLURM login node?)` : (stderr.trim() || err.message)
        reject(new ConfigurationError(`${cmd} failed: ${why}`))
      } else resolve({ stdout, stderr })
    })
    if (input !== undefined) child.stdin?.end(input)
  })
}

/** Submits a batch script; returns the job id. */
export async function sbatch(scriptPath: string, args: string[]): Promise<string> {
  const { stdout } = await run('sbatch', ['--parsable', ...args, scriptPath])
  const jobId = stdout.trim().split(';')[0]
  if (!/^\d+$/.test(jobId)) throw new ConfigurationError(`sbatch did not return a job id (it said '${stdout.trim()}')`)
  return jobId
}

function parseTaskLines(text: string): TaskSchedulerState[] {
  const out: TaskSchedulerState[] = []
  for (const line of text.split('\n')) {
    const [key, state, reason, node] = line.trim().split('|')
    const m = /^(\d+)_(\d+)$/.exec(key ?? '')
    if (!m) continue
    out.push({ key, jobId: m[1], arrayTaskId: Number(m[2]), state: (state ?? '').split(' ')[0], reason: reason ?? '', node: node ?? '' })
  }
  return out
}

/** What squeue knows of the array tasks of these jobs (pending ones expanded; ended ones for MinJobAge). */
export async function squeueTasks(jobIds: readonly string[]): Promise<TaskSchedulerState[]> {
  if (jobIds.length === 0) return []
  try {
    const { stdout } = await run('squeue', ['-h', '-r', '--states=all', '-j', jobIds.join(','), '-o', '%i|%T|%r|%N'])
    return parseTaskLines(stdout)
  } catch (err) {
    // squeue says "Invalid job id specified" when it has forgotten every one of them.
    if (/Invalid job id/i.test((err as Error).message)) return []
    throw err
  }
}

/** What accounting knows, or null where accounting is off (as on a one-node test cluster). */
export async function sacctTasks(jobIds: readonly string[]): Promise<TaskSchedulerState[] | null> {
  if (jobIds.length === 0) return []
  try {
    const { stdout } = await run('sacct', ['-n', '-P', '-X', '-j', jobIds.join(','), '-o', 'JobID,State,Reason,NodeList'])
    return parseTaskLines(stdout)
  } catch {
    return null
  }
}

/** squeue's view, completed by sacct's for tasks squeue no longer shows. */
export async function taskStates(jobIds: readonly string[]): Promise<Map<string, TaskSchedulerState>> {
  const states = new Map<string, TaskSchedulerState>()
  const fromAccounting = await sacctTasks(jobIds)
  for (const t of fromAccounting ?? []) states.set(t.key, t)
  for (const t of await squeueTasks(jobIds)) states.set(t.key, t)
  return states
}

export async function scancel(jobIds: readonly string[]): Promise<void> {
  if (jobIds.length) await run('scancel', [...jobIds])
}

/** Whether sbatch is there at all (for a clear message before anything is written). */
export async function slurmAvailable(): Promise<boolean> {
  return run('sbatch', ['--version']).then(
    () => true,
    () => false,
  )
}
