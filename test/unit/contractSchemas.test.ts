// Requests whose params do not match the contract are refused before any handler runs, naming the
// request and the parameter; event payloads off the contract are reported.
import { describe, expect, it } from 'vitest'
import { RequestRegistry } from '../../src-main/workbench/requestRegistry'
import { EventHub } from '../../src-main/workbench/eventHub'
import { REQUEST_NAMES } from '../../src-shared/contract'
import { REQUEST_PARAMS } from '../../src-shared/contractSchemas'

function registry(seen: unknown[]) {
  const r = new RequestRegistry()
  for (const name of REQUEST_NAMES) r.register(name, (params: unknown) => (seen.push(params), null) as never)
  return r
}

describe('request params at the transport', () => {
  it('has a schema for every request of the table', () => {
    expect(Object.keys(REQUEST_PARAMS).sort()).toEqual([...REQUEST_NAMES].sort())
  })

  it('refuses wrong types and missing fields with BAD_REQUEST naming the parameter', async () => {
    const seen: unknown[] = []
    const r = registry(seen)
    await expect(r.dispatch('files.check', { path: 42 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      parameter: 'path',
      message: "Request 'files.check': parameter 'path' must be a text (got 42)",
    })
    await expect(r.dispatch('step.run', { params: {} })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      parameter: 'stepId',
      message: "Request 'step.run': parameter 'stepId' is required",
    })
    await expect(r.dispatch('batch.add', { paths: ['a', 3] })).rejects.toMatchObject({ parameter: 'paths[1]' })
    await expect(r.dispatch('log.report', { level: 'fatal', source: 'renderer', message: 'x' })).rejects.toMatchObject({
      message: `Request 'log.report': parameter 'level' must be "warn" or "error" (got "fatal")`,
    })
    await expect(r.dispatch('dialog.open', { filters: [{ name: 'x', extensions: 'h5' }] })).rejects.toMatchObject({ parameter: 'filters[0].extensions' })
    expect(seen).toEqual([])
  })

  it('passes what matches, without keys the contract does not know, and {} for no params', async () => {
    const seen: unknown[] = []
    const r = registry(seen)
    await r.dispatch('session.open', { cmcrPath: 'O:\\a.cmcr', cmtrPath: null, sneaky: true })
    await r.dispatch('app.info', undefined)
    expect(seen).toEqual([{ cmcrPath: 'O:\\a.cmcr', cmtrPath: null }, {}])
  })
})

describe('event payloads', () => {
  it('reports a payload that does not match the contract and still delivers it', () => {
    const problems: string[] = []
    const hub = new EventHub((m) => problems.push(m))
    const got: unknown[] = []
    hub.on((_name, payload) => got.push(payload))
    hub.emit('batch.log', { id: 'a', line: 'ok' })
    expect(problems).toEqual([])
    hub.emit('job.started', { jobId: 'j1', stepId: 'load_recording' } as never)
    expect(problems).toEqual([`event 'job.started' does not match the contract: 'startedAt' is required`])
    expect(got).toHaveLength(2)
  })
})
