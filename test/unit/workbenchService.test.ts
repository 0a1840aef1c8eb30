// The backend both transports call: sessions, steps as jobs (progress, cancel, failure), save / save as /
// checkpoint / resume through real archives, browser-mode folder limits, settings.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { EventName, Events, JobFinished, SessionSnapshot } from '../../src-shared/contract'
import type { TaskPool } from '../../src-main/pool/taskPool'
import { FileAccessError } from '../../src-shared/errors'
import { f64, group, u64 } from '../../src-shared/tree'
import type { StepDefinition } from '../../src-main/steps/framework'
import { WorkbenchService } from '../../src-main/workbench/service'
import { resourcePath } from '../../src-main/resources'

const noPool: TaskPool = {
  threads: 1,
  run: async () => {
    throw new Error('no pool in this test')
  },
  destroy: async () => {},
}

let gate: { release: () => void; promise: Promise<void> }
function newGate() {
  let release!: () => void
  const promise = new Promise<void>((r) => (release = r))
  gate = { release, promise }
}

const loadStep: StepDefinition<{ n_units: number; cmtr_path: string }> = {
  id: 'load_recording',
  title: 'Load',
  description: 'adds n units',
  params: [
    { name: 'n_units', label: 'Units', type: 'integer', default: 3, help: 'how many', min: 1, max: 50 },
    { name: 'cmtr_path', label: 'CMTR', type: 'path', default: null, help: 'sorting file' },
  ],
  prerequisites: [],
  async run(_s, p, ctx) {
    ctx.progress({ fraction: 0.5, message: 'half' })
    ctx.warn('one unit has no waveform')
    const units = Object.fromEntries(Array.from({ length: p.n_units }, (_, i) => [`unit_${i + 1}`, group({ spike_times: u64([i, i + 10]) })]))
    return { apply: (s) => s.addUnits(units), summary: `${p.n_units} units from ${p.cmtr_path}` }
  },
}

const pacedStep: StepDefinition<Record<string, never>> = {
  id: 'paced_step',
  title: 'Paced',
  description: 'reports a quarter done after a pause',
  params: [],
  prerequisites: [],
  async run(_s, _p, ctx) {
    await new Promise((r) => setTimeout(r, 400))
    ctx.progress({ fraction: 0.25, message: 'a quarter' })
    return { apply: () => {}, summary: 'paced' }
  },
}

const slowStep: StepDefinition<{ fail: boolean }> = {
  id: 'slow_step',
  title: 'Slow',
  description: 'waits for the gate or a cancel',
  optional: true,
  params: [{ name: 'fail', label: 'Fail', type: 'boolean', default: false, help: '' }],
  prerequisites: [['load_recording']],
  async run(_s, p, ctx) {
    await Promise.race([gate.promise, new Promise((r) => ctx.signal.addEventListener('abort', r))])
    if (p.fail) throw new FileAccessError('FILE_NOT_FOUND', 'File not found: /nowhere/movie.npy', { path: '/nowhere/movie.npy' })
    return { apply: (s) => s.addMetadata({ slow: f64([1]) }), summary: 'slow done' }
  },
}

let workdir: string
let service: WorkbenchService
let events: Array<{ name: EventName; payload: unknown }>

function make(transport: 'web' | 'electron' = 'web'): WorkbenchService {
  const s = new WorkbenchService({ transport, workdir, steps: [loadStep, slowStep, pacedStep], createPool: () => noPool })
  s.onEvent(<E extends EventName>(name: E, payload: Events[E]) => events.push({ name, payload }))
  return s
}

const call = (name: string, params: unknown = {}) => service.dispatch(name, params) as Promise<any>

async function finished(stepId: string): Promise<JobFinished> {
  for (let i = 0; i < 500; i++) {
    const e = events.find((x) => x.name === 'job.finished' && (x.payload as JobFinished).stepId === stepId)
    if (e) return e.payload as JobFinished
    await new Promise((r) => setTimeout(r, 5))
  }
  throw new Error(`no job.finished for ${stepId}`)
}

async function openPair(): Promise<SessionSnapshot> {
  const rec = join(workdir, 'rec')
  mkdirSync(rec, { recursive: true })
  writeFileSync(join(rec, '2025.04.10-11.12.57-Rec.cmcr'), 'x')
  writeFileSync(join(rec, '2025.04.10-11.12.57-Rec-.cmtr'), 'x')
  return call('session.open', { cmcrPath: join(rec, '2025.04.10-11.12.57-Rec.cmcr'), cmtrPath: join(rec, '2025.04.10-11.12.57-Rec-.cmtr') })
}

beforeEach(() => {
  workdir = mkdtempSync(join(tmpdir(), 'wb-service-'))
  events = []
  newGate()
  service = make()
})

afterEach(async () => {
  gate.release()
  await service.close()
  rmSync(workdir, { recursive: true, force: true })
})

describe('requests', () => {
  it('lists the registry with the parameter schema', async () => {
    const steps = await call('steps.list')
    expect(steps.map((s: { id: string }) => s.id)).toEqual(['load_recording', 'slow_step', 'paced_step'])
    expect(steps[0].params[0]).toEqual({ name: 'n_units', label: 'Units', type: 'integer', default: 3, help: 'how many', optional: false, min: 1, max: 50, exclusiveMin: undefined, choices: undefined, integer: undefined })
    expect(steps[1]).toMatchObject({ optional: true, prerequisites: [['load_recording']] })
  })

  it('keeps delivering events when one listener throws, and logs that once', async () => {
    service.onEvent(() => {
      throw new Error('socket closed')
    })
    await openPair()
    expect(events.some((e) => e.name === 'session.changed')).toBe(true)
    const log = (await call('log.list', {})) as Array<{ message: string }>
    expect(log.filter((e) => e.message === 'event listener failed: socket closed').length).toBeGreaterThan(0)
  })

  it('refuses unknown requests and non-object params', async () => {
    await expect(call('nope')).rejects.toMatchObject({ code: 'UNKNOWN_REQUEST' })
    await expect(service.dispatch('app.info', [1])).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(call('chart.units')).rejects.toMatchObject({ code: 'NO_SESSION' })
  })
})

describe('a session', () => {
  it('opens from a recording pair with the dataset id of the .cmtr stem, deferred, and suggests its paths', async () => {
    const snap = await openPair()
    expect(snap.datasetId).toBe('2025.04.10-11.12.57-Rec')
    expect(snap).toMatchObject({ saveState: 'deferred', modifiedSinceSave: true, unitCount: 0, completedSteps: [] })
    expect(snap.steps.map((s) => [s.id, s.state])).toEqual([
      ['load_recording', 'ready'],
      ['slow_step', 'blocked'],
      ['paced_step', 'ready'],
    ])
    expect(snap.suggestedParams.load_recording).toEqual({ n_units: 3, cmtr_path: join(workdir, 'rec', '2025.04.10-11.12.57-Rec-.cmtr') })
    const recent = await call('recent.list')
    expect(recent.recordings[0].datasetId).toBe('2025.04.10-11.12.57-Rec')
  })

  it('refuses a missing file with a message naming it', async () => {
    await expect(call('session.open', { cmcrPath: join(workdir, 'missing.cmcr') })).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      message: `File not found: ${join(workdir, 'missing.cmcr')}`,
    })
  })

  it('validates parameters field by field', async () => {
    await openPair()
    const v = await call('step.validate', { stepId: 'load_recording', params: { n_units: '0', cmtr_path: '' } })
    expect(v.ok).toBe(false)
    expect(v.errors).toEqual({
      n_units: "load_recording: parameter 'n_units' must be >= 1 (got 0)",
      cmtr_path: "load_recording: parameter 'cmtr_path' is required",
    })
    const ok = await call('step.validate', { stepId: 'load_recording', params: { n_units: '4', cmtr_path: '/x.cmtr' } })
    expect(ok).toEqual({ ok: true, errors: {}, general: null, missing: [] })
    const blocked = await call('step.validate', { stepId: 'slow_step', params: {} })
    expect(blocked.missing).toEqual([['load_recording']])
    await expect(call('step.run', { stepId: 'load_recording', params: { n_units: 99, cmtr_path: join(workdir, 'x') } })).rejects.toMatchObject({
      code: 'CONFIGURATION',
      parameter: 'n_units',
    })
  })

  it('runs a step as a job with progress events, then commits it', async () => {
    await openPair()
    const job = await call('step.run', { stepId: 'load_recording', params: { n_units: 5, cmtr_path: join(workdir, 'data', 'x.cmtr') } })
    expect(job.stepId).toBe('load_recording')
    const done = await finished('load_recording')
    expect(done).toMatchObject({ jobId: job.jobId, status: 'done', summary: `5 units from ${join(workdir, 'data', 'x.cmtr')}`, warnings: ['one unit has no waveform'] })
    const names = events.map((e) => e.name)
    expect(names.indexOf('job.started')).toBeLessThan(names.indexOf('job.progress'))
    const half = events.find((e) => e.name === 'job.progress' && (e.payload as { fraction: number }).fraction === 0.5)!.payload as { message: string; etaSeconds: number | null }
    expect(half.message).toBe('half')
    const snap = (await call('session.get')) as SessionSnapshot
    expect(snap.unitCount).toBe(5)
    expect(snap.completedSteps).toEqual(['load_recording'])
    expect(snap.warnings).toEqual([{ step: 'load_recording', message: 'one unit has no waveform' }])
    expect(snap.steps.map((s) => s.state)).toEqual(['done', 'ready', 'ready'])
    // The parameters are remembered for this dataset; the file stays the session's own (issue 13 item 2).
    expect(snap.suggestedParams.load_recording).toEqual({ n_units: 5, cmtr_path: join(workdir, 'rec', '2025.04.10-11.12.57-Rec-.cmtr') })
    // 5 units x 2 uint64 spike times, plus the two source paths as UTF-16 text.
    const paths = Object.values(snap.sourceFiles).join('').length
    expect(snap.memoryBytes).toBe(5 * 2 * 8 + 2 * paths)
  })

  it("fills a step from the session's own files, never from paths remembered for another copy of the dataset", async () => {
    // A recording with the same name in another folder ran with its own files and parameters.
    const other = join(workdir, 'other')
    mkdirSync(other, { recursive: true })
    writeFileSync(join(other, '2025.04.10-11.12.57-Rec-.cmtr'), 'x')
    await call('session.open', { cmtrPath: join(other, '2025.04.10-11.12.57-Rec-.cmtr') })
    await call('step.run', { stepId: 'load_recording', params: { n_units: 7, cmtr_path: join(other, '2025.04.10-11.12.57-Rec-.cmtr') } })
    await finished('load_recording')
    // Same dataset id, this folder: the remembered unit count applies, the remembered path does not.
    const snap = await openPair()
    expect(snap.datasetId).toBe('2025.04.10-11.12.57-Rec')
    expect(snap.suggestedParams.load_recording).toEqual({ n_units: 7, cmtr_path: join(workdir, 'rec', '2025.04.10-11.12.57-Rec-.cmtr') })
    // A session without a .cmtr (raw only) suggests none, whatever was remembered.
    const raw = await call('session.open', { cmcrPath: join(workdir, 'rec', '2025.04.10-11.12.57-Rec.cmcr') })
    expect(raw.suggestedParams.load_recording.cmtr_path).toBeNull()
  })

  it('lists the playlist names of a playlist file, and of the bundled one by default', async () => {
    writeFileSync(join(workdir, 'playlist.csv'), 'playlist_name,movie_names\nset_a,"[\'m1.mov\']"\nset_b,"[\'m2.mov\', \'m3.mov\']"\nset_a,"[\'m4.mov\']"\n')
    expect(await call('stimulus.playlists', { path: join(workdir, 'playlist.csv') })).toEqual({ path: join(workdir, 'playlist.csv'), names: ['set_a', 'set_b'] })
    // resources/demo/playlist.csv holds the demo's one playlist.
    expect((await call('stimulus.playlists', {})).names).toEqual(['demo_playlist'])
    // Browser mode reads no file outside the allowed folders.
    await expect(call('stimulus.playlists', { path: '/etc/passwd' })).rejects.toMatchObject({ code: 'FORBIDDEN' })
  })

  it("lets a step read the bundled resources in browser mode (the demo's playlist), nothing else outside", async () => {
    await openPair()
    await expect(call('step.run', { stepId: 'load_recording', params: { cmtr_path: '/etc/passwd' } })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    const job = await call('step.run', { stepId: 'load_recording', params: { cmtr_path: resourcePath('demo', 'playlist.csv') } })
    expect((await finished('load_recording')).jobId).toBe(job.jobId)
  })

  it('estimates the time left from the pace so far', async () => {
    await openPair()
    await call('step.run', { stepId: 'paced_step', params: {} })
    await finished('paced_step')
    const p = events.find((e) => e.name === 'job.progress' && (e.payload as { fraction: number }).fraction === 0.25)!.payload as {
      elapsedSeconds: number
      etaSeconds: number
    }
    expect(p.elapsedSeconds).toBeGreaterThanOrEqual(0.39)
    // A quarter done in t seconds leaves three quarters: 3t at the same pace.
    expect(p.etaSeconds).toBeCloseTo(3 * p.elapsedSeconds, 9)
  })

  it('is busy while a job runs, and a cancel leaves the session unchanged', async () => {
    await openPair()
    await call('step.run', { stepId: 'load_recording', params: { cmtr_path: join(workdir, 'x') } })
    await finished('load_recording')
    const job = await call('step.run', { stepId: 'slow_step', params: {} })
    expect(((await call('session.get')) as SessionSnapshot).steps[1].state).toBe('running')
    await expect(call('step.run', { stepId: 'load_recording', params: { cmtr_path: join(workdir, 'x') } })).rejects.toMatchObject({ code: 'BUSY' })
    await expect(call('session.save')).rejects.toMatchObject({ code: 'BUSY' })
    expect(await call('job.cancel', { jobId: 'other' })).toEqual({ cancelled: false })
    expect(await call('job.cancel', { jobId: job.jobId })).toEqual({ cancelled: true })
    expect((await finished('slow_step')).status).toBe('cancelled')
    const snap = (await call('session.get')) as SessionSnapshot
    expect(snap.completedSteps).toEqual(['load_recording'])
    expect(snap.steps[1].state).toBe('ready')
  })

  it('shows a failed step with its error and stays usable', async () => {
    await openPair()
    await call('step.run', { stepId: 'load_recording', params: { cmtr_path: join(workdir, 'x') } })
    await finished('load_recording')
    gate.release()
    await call('step.run', { stepId: 'slow_step', params: { fail: true } })
    const f = await finished('slow_step')
    expect(f).toMatchObject({ status: 'failed', error: { code: 'FILE_NOT_FOUND', message: 'File not found: /nowhere/movie.npy', path: '/nowhere/movie.npy' } })
    let snap = (await call('session.get')) as SessionSnapshot
    expect(snap.steps[1]).toMatchObject({ state: 'failed', lastError: { code: 'FILE_NOT_FOUND' } })
    expect(snap.completedSteps).toEqual(['load_recording'])
    events = []
    await call('step.run', { stepId: 'slow_step', params: { fail: false } })
    expect((await finished('slow_step')).status).toBe('done')
    snap = (await call('session.get')) as SessionSnapshot
    expect(snap.steps[1].state).toBe('done')
    expect(snap.completedSteps).toEqual(['load_recording', 'slow_step'])
  })
})

describe('saving', () => {
  it('saves, asks before overwriting another file, checkpoints, and resumes from the checkpoint', async () => {
    await openPair()
    await call('step.run', { stepId: 'load_recording', params: { n_units: 4, cmtr_path: join(workdir, 'x') } })
    await finished('load_recording')
    const saved = await call('session.save')
    const expected = join(workdir, 'artifacts', '2025.04.10-11.12.57-Rec.h5')
    expect(saved.path).toBe(expected)
    expect(existsSync(expected)).toBe(true)
    expect(saved.snapshot).toMatchObject({ saveState: 'saved', modifiedSinceSave: false, hdf5Path: expected })
    // Saving again to its own file needs no confirmation.
    await expect(call('session.save')).resolves.toMatchObject({ path: expected })
    // Save as onto an existing other file needs overwrite.
    const other = join(workdir, 'artifacts', 'other.h5')
    writeFileSync(other, 'old')
    await expect(call('session.save', { path: other })).rejects.toMatchObject({ code: 'FILE_EXISTS', path: other })
    await expect(call('session.save', { path: other, overwrite: true })).resolves.toMatchObject({ path: other })

    const cp = await call('session.checkpoint', {})
    expect(cp.path.startsWith(join(workdir, 'artifacts', 'checkpoints', '2025.04.10-11.12.57-Rec_after_load_recording_'))).toBe(true)

    // A new backend (as after a restart) resumes from the checkpoint.
    await service.close()
    service = make()
    const snap = await call('session.resume', { path: cp.path })
    expect(snap).toMatchObject({ datasetId: '2025.04.10-11.12.57-Rec', unitCount: 4, completedSteps: ['load_recording'], saveState: 'saved', modifiedSinceSave: false })
    // Resumed from the checkpoint, but a plain Save goes to the output folder (as in the Python), not over the checkpoint.
    expect(snap).toMatchObject({ openedFrom: cp.path, hdf5Path: null })
    await expect(call('session.save')).rejects.toMatchObject({ code: 'FILE_EXISTS', path: expected })
    expect(snap.warnings).toEqual([{ step: 'load_recording', message: 'one unit has no waveform' }])
    expect((await call('recent.list')).archives[0]).toMatchObject({ path: cp.path, kind: 'opened' })
  })
})

describe('browser mode limits and settings', () => {
  it('lists only allowed folders, filtered by extension', async () => {
    mkdirSync(join(workdir, 'rec'))
    writeFileSync(join(workdir, 'rec', 'a.cmcr'), 'x')
    writeFileSync(join(workdir, 'rec', 'notes.txt'), 'x')
    const top = await call('files.list', {})
    expect(top.dir).toBe(workdir)
    expect(top.parent).toBeNull()
    const rec = await call('files.list', { dir: join(workdir, 'rec'), extensions: ['cmcr'] })
    expect(rec.entries.map((e: { name: string }) => e.name)).toEqual(['a.cmcr'])
    expect(rec.parent).toBe(workdir)
    await expect(call('files.list', { dir: tmpdir() })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(call('session.open', { cmcrPath: '/etc/hostname' })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(call('dialog.open', {})).rejects.toMatchObject({ code: 'UNSUPPORTED' })
  })

  it('does not follow a symlink out of the allowed folders', async () => {
    symlinkSync(tmpdir(), join(workdir, 'escape'))
    await expect(call('files.list', { dir: join(workdir, 'escape') })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    const top = await call('files.list', {})
    expect(top.entries.map((e: { name: string }) => e.name)).toContain('escape')
  })

  it('cannot widen its own reach: allowed folders are fixed, the output folder stays inside them', async () => {
    await expect(call('settings.set', { allowedFolders: ['/'] })).rejects.toMatchObject({ code: 'FORBIDDEN', parameter: 'allowedFolders' })
    await expect(call('settings.set', { outputDir: '/tmp' })).rejects.toMatchObject({ code: 'FORBIDDEN', parameter: 'outputDir' })
    await expect(call('settings.set', { outputDir: join(workdir, 'out2') })).resolves.toMatchObject({ outputDir: join(workdir, 'out2') })
    await openPair()
    await expect(call('session.save', { path: '/tmp/escape.h5' })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    service.allowFolders([join(workdir, '..')])
    expect((await call('settings.get')).allowedFolders).toEqual([workdir, join(workdir, '..')])
    // A new start in browser mode begins again from the working folder.
    await service.close()
    service = make()
    expect((await call('settings.get')).allowedFolders).toEqual([workdir])
    // The desktop app has no such limit (it has native dialogs instead of the browser).
    await service.close()
    service = make('electron')
    await expect(call('settings.set', { outputDir: join(tmpdir(), 'wb-elsewhere') })).resolves.toMatchObject({ outputDir: join(tmpdir(), 'wb-elsewhere') })
    await expect(call('files.list', {})).rejects.toMatchObject({ code: 'UNSUPPORTED' })
  })

  it('warns about memory above the configured threshold', async () => {
    await openPair()
    await call('step.run', { stepId: 'load_recording', params: { n_units: 2, cmtr_path: join(workdir, 'x') } })
    await finished('load_recording')
    expect(((await call('session.get')) as SessionSnapshot).memoryWarning).toBe(false)
    await expect(call('settings.set', { memoryWarningGb: -1 })).rejects.toMatchObject({ code: 'CONFIGURATION', parameter: 'memoryWarningGb' })
    const threshold = 16 / 1024 ** 3 // 16 bytes: below the 32 bytes of spike times
    await call('settings.set', { memoryWarningGb: threshold })
    const snap = (await call('session.get')) as SessionSnapshot
    expect(snap.memoryWarning).toBe(true)
    expect(snap.memoryWarningBytes).toBe(16)
    // Settings persist across a restart of the backend.
    await service.close()
    service = make()
    expect((await call('settings.get')).memoryWarningGb).toBe(threshold)
  })
})
