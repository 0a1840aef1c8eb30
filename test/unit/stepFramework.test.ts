import { describe, expect, it } from 'vitest'
import {
  assertPrerequisites,
  missingPrerequisites,
  resolveParams,
  runStep,
  type StepDefinition,
} from '../../src-main/steps/framework'
import { PipelineSession } from '../../src-main/session/session'
import { CancelledError, ConfigurationError } from '../../src-shared/errors'
import { f64, getNode, i64Scalar } from '../../src-shared/tree'
import type { TaskPool } from '../../src-main/pool/taskPool'

// Steps here never reach the pool; a pool that refuses keeps that honest.
const noPool: TaskPool = {
  threads: 1,
  run: async () => {
    throw new Error('no pool in this test')
  },
  destroy: async () => {},
}

const scale: StepDefinition<{ factor: number; window: [number, number]; label: string | null; mode: string }> = {
  id: 'scale_things',
  title: 'Scale',
  description: 'test step',
  params: [
    { name: 'factor', label: 'Factor', type: 'number', default: 2, help: '', min: 0, exclusiveMin: true },
    { name: 'window', label: 'Window', type: 'range', default: [-10, 40], help: '', integer: true },
    { name: 'label', label: 'Label', type: 'string', default: null, help: '', optional: true },
    { name: 'mode', label: 'Mode', type: 'enum', default: 'a', help: '', choices: ['a', 'b'] },
  ],
  prerequisites: [['load_recording', 'load_recording_with_eimage_sta']],
  validate(p) {
    if (p.window[0] >= p.window[1]) throw new ConfigurationError('scale_things: window must not be empty or reversed')
  },
  async run(_session, params, ctx) {
    ctx.warn(`factor ${params.factor}`)
    ctx.progress({ fraction: 0.5 })
    return {
      summary: 'scaled',
      alsoCompleted: ['scale_extra'],
      apply(session) {
        session.addMetadata({ factor: f64([params.factor], []) })
      },
    }
  },
}

describe('resolveParams', () => {
  it('fills defaults and coerces text from forms', () => {
    expect(resolveParams(scale, {})).toEqual({ factor: 2, window: [-10, 40], label: null, mode: 'a' })
    expect(resolveParams(scale, { factor: '0.5', window: '-5, 5', mode: 'b' })).toEqual({
      factor: 0.5,
      window: [-5, 5],
      label: null,
      mode: 'b',
    })
  })

  it('names the parameter and the problem', () => {
    expect(() => resolveParams(scale, { factor: 0 })).toThrow(/parameter 'factor' must be > 0 \(got 0\)/)
    expect(() => resolveParams(scale, { factor: 'abc' })).toThrow(/'factor' must be a number/)
    expect(() => resolveParams(scale, { window: [1.5, 3] })).toThrow(/'window' must hold whole numbers/)
    expect(() => resolveParams(scale, { window: [40, -10] })).toThrow(/window must not be empty or reversed/)
    expect(() => resolveParams(scale, { mode: 'c' })).toThrow(/'mode' must be one of a, b/)
    expect(() => resolveParams(scale, { factr: 3 })).toThrow(/unknown parameter 'factr'/)
  })
})

describe('prerequisites', () => {
  it('accepts any of the alternatives and names what is missing', () => {
    const s = new PipelineSession({ datasetId: 'rec' })
    expect(missingPrerequisites(scale, s)).toEqual([['load_recording', 'load_recording_with_eimage_sta']])
    expect(() => assertPrerequisites(scale, s)).toThrow(
      'scale_things needs load_recording or load_recording_with_eimage_sta to have run first',
    )
    s.markStepComplete('load_recording_with_eimage_sta')
    expect(missingPrerequisites(scale, s)).toEqual([])
  })
})

describe('runStep', () => {
  it('commits results, warnings with their step, and completion together', async () => {
    const s = new PipelineSession({ datasetId: 'rec' })
    s.markStepComplete('load_recording')
    const fractions: number[] = []
    const report = await runStep(scale, s, { factor: 3 }, { pool: noPool, onProgress: (p) => fractions.push(p.fraction) })
    expect(report.summary).toBe('scaled')
    expect(getNode(s.metadata, 'factor')).toMatchObject({ dtype: 'float64', shape: [], data: Float64Array.of(3) })
    expect(s.warnings).toEqual([{ step: 'scale_things', message: 'factor 3' }])
    expect([...s.completedSteps].sort()).toEqual(['load_recording', 'scale_extra', 'scale_things'])
    expect(fractions).toEqual([0.5, 1])
  })

  it('leaves the session untouched when the step fails or is cancelled', async () => {
    const s = new PipelineSession({ datasetId: 'rec' })
    s.markStepComplete('load_recording')
    s.addMetadata({ kept: i64Scalar(7) })
    const failing: StepDefinition = {
      ...(scale as unknown as StepDefinition),
      validate: undefined,
      async run(_session, _p, ctx) {
        ctx.warn('should not survive')
        throw new Error('disk on fire')
      },
    }
    await expect(runStep(failing, s, {}, { pool: noPool })).rejects.toThrow('disk on fire')

    const controller = new AbortController()
    const cancelled: StepDefinition = {
      ...(scale as unknown as StepDefinition),
      validate: undefined,
      async run() {
        controller.abort()
        return { summary: 'x', apply: (session) => session.addMetadata({ leaked: i64Scalar(1) }) }
      },
    }
    await expect(runStep(cancelled, s, {}, { pool: noPool, signal: controller.signal })).rejects.toBeInstanceOf(
      CancelledError,
    )
    expect([...s.metadata.children.keys()]).toEqual(['kept'])
    expect(s.warnings).toEqual([])
    expect([...s.completedSteps]).toEqual(['load_recording'])
  })

  it('refuses to run without its prerequisites', async () => {
    const s = new PipelineSession({ datasetId: 'rec' })
    await expect(runStep(scale, s, {}, { pool: noPool })).rejects.toMatchObject({ code: 'PREREQUISITE' })
  })
})
