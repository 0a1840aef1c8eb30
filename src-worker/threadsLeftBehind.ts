// Worker threads a cancel left behind. A thread terminated while it waits inside a blocking call (a read
// from a network share that stopped answering) ends only when that call returns, and Node's process.exit
// waits for every thread: the app would never quit, and a desktop app that never quits keeps its
// single-instance lock, so the next launch hands its files to a process without a window. The owners of
// such threads (archive threads, the eimage sensor reader, the worker pool) hand them over here, and the
// process ends through exitProcess, which kills itself instead of waiting when one of them still runs.

/** What is known of a worker thread: Node sets threadId to -1 once the thread has ended. */
export interface LeftThread {
  readonly threadId: number
}

const left = new Set<LeftThread>()

/** Records a thread that was terminated (or abandoned) while possibly stuck in a blocking call. */
export function leaveBehind(thread: LeftThread): void {
  if (thread.threadId !== -1) left.add(thread)
}

/** Threads handed over by leaveBehind that have not ended yet. */
export function threadsStillStuck(): number {
  for (const t of left) if (t.threadId === -1) left.delete(t)
  return left.size
}

export interface ExitDeps {
  exit: (code: number) => void
  /** Ends the process at once without waiting for its threads. */
  kill: () => void
  log: (message: string) => void
  sleep: (ms: number) => Promise<void>
}

/** How long a left-behind thread gets to end on its own: a terminated thread that is not stuck ends within milliseconds. */
export const EXIT_GRACE_MS = 2000

const nodeExit: ExitDeps = {
  exit: (code) => process.exit(code),
  kill: () => process.kill(process.pid, 'SIGKILL'),
  log: (message) => process.stderr.write(`${message}\n`),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
}

/**
 * Ends the process with `code` once every left-behind thread has ended, waiting up to EXIT_GRACE_MS;
 * when one still waits on a file after that, kills the process (the exit code is then the kill's).
 */
export async function exitProcess(code: number, deps: Partial<ExitDeps> = {}): Promise<void> {
  const { exit, kill, log, sleep } = { ...nodeExit, ...deps }
  for (let waited = 0; threadsStillStuck() > 0 && waited < EXIT_GRACE_MS; waited += 50) await sleep(50)
  const stuck = threadsStillStuck()
  if (stuck === 0) {
    exit(code)
    return
  }
  log(`${stuck} thread${stuck === 1 ? ' is' : 's are'} still waiting on a file that does not answer (a hung network share?); ending the process without waiting for ${stuck === 1 ? 'it' : 'them'}`)
  kill()
}
