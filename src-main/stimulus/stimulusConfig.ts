// Stimulus configs (<movie>.json with a `section_kwargs` object) used by section_spike_times, and the
// folders they are looked up in.

import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigurationError } from '../../src-shared/errors'
import { resourcesDir } from '../resources'
import type { TrialConfig } from '../../src-worker/algo/spikeSectioning'
import { readConfigText } from './playlistCsv'

/** A number written with a fraction or exponent (240.0, 2e2): JSON.parse cannot tell it from 240. */
export class NonIntegerLiteral {
  constructor(
    readonly value: number,
    readonly text: string,
  ) {}
}

export type StrictJson = null | boolean | number | NonIntegerLiteral | string | StrictJson[] | { [k: string]: StrictJson }

/** JSON.parse that keeps whether a number was written as an integer (then a plain number) or not. */
export function parseStrictJson(text: string): StrictJson {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  let i = 0
  const fail = (why: string): never => {
    const before = src.slice(0, i)
    const line = before.split('\n').length
    const col = i - before.lastIndexOf('\n')
    throw new SyntaxError(`${why} at line ${line}, column ${col}`)
  }
  const ws = () => {
    while (i < src.length && ' \t\r\n'.includes(src[i])) i++
  }
  const value = (): StrictJson => {
    ws()
    const c = src[i]
    if (c === '{') {
      i++
      const obj: { [k: string]: StrictJson } = {}
      ws()
      if (src[i] === '}') {
        i++
        return obj
      }
      for (;;) {
        ws()
        if (src[i] !== '"') fail('expected a quoted key')
        const key = string()
        ws()
        if (src[i] !== ':') fail("expected ':'")
        i++
        obj[key] = value()
        ws()
        if (src[i] === ',') {
          i++
          continue
        }
        if (src[i] === '}') {
          i++
          return obj
        }
        fail("expected ',' or '}'")
      }
    }
    if (c === '[') {
      i++
      const arr: StrictJson[] = []
      ws()
      if (src[i] === ']') {
        i++
        return arr
      }
      for (;;) {
        arr.push(value())
        ws()
        if (src[i] === ',') {
          i++
          continue
        }
        if (src[i] === ']') {
          i++
          return arr
        }
        fail("expected ',' or ']'")
      }
    }
    if (c === '"') return string()
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (src.startsWith(word, i)) {
        i += word.length
        return v
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i, i + 400))
    if (!m) return fail('unexpected character')
    i += m[0].length
    const v = Number(m[0])
    return m[2] || m[3] ? new NonIntegerLiteral(v, m[0]) : v
  }
  const string = (): string => {
    const start = i
    i++
    while (i < src.length && src[i] !== '"') i += src[i] === '\\' ? 2 : 1
    if (i >= src.length) fail('unclosed string')
    i++
    return JSON.parse(src.slice(start, i)) as string
  }
  const result = value()
  ws()
  if (i < src.length) fail('unexpected text after the end of the JSON value')
  return result
}

const FIELDS: Array<{ key: string; field: keyof TrialConfig; min: number; default?: number }> = [
  { key: 'start_frame', field: 'startFrame', min: 0 },
  { key: 'trial_length_frame', field: 'trialLengthFrame', min: 1 },
  { key: 'repeat', field: 'repeat', min: 1 },
  { key: 'group_count', field: 'groupCount', min: 1, default: 1 },
  { key: 'group_gap', field: 'groupGap', min: 0, default: 0 },
]

function describeValue(v: StrictJson | undefined): string {
  return v instanceof NonIntegerLiteral ? v.text : JSON.stringify(v)
}

/** The trial config of a stimulus JSON; every problem names the file and the field. */
export function parseStimulusConfig(text: string, file: string): TrialConfig {
  let doc: StrictJson
  try {
    doc = parseStrictJson(text)
  } catch (err) {
    throw new ConfigurationError(`${file} is not valid JSON: ${(err as Error).message}`, { path: file })
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc) || doc instanceof NonIntegerLiteral) {
    throw new ConfigurationError(`${file}: the top level must be a JSON object`, { path: file })
  }
  const kwargs = doc.section_kwargs
  if (kwargs === undefined) throw new ConfigurationError(`${file}: required object 'section_kwargs' is missing`, { path: file })
  if (!kwargs || typeof kwargs !== 'object' || Array.isArray(kwargs) || kwargs instanceof NonIntegerLiteral) {
    throw new ConfigurationError(`${file}: 'section_kwargs' must be an object`, { path: file })
  }
  const out = {} as TrialConfig
  for (const f of FIELDS) {
    const v = kwargs[f.key]
    if (v === undefined && f.default !== undefined) {
      out[f.field] = f.default
      continue
    }
    if (v === undefined) throw new ConfigurationError(`${file}: section_kwargs.${f.key} is missing`, { path: file })
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < f.min) {
      throw new ConfigurationError(
        `${file}: section_kwargs.${f.key} must be a JSON integer >= ${f.min} (got ${describeValue(v)})`,
        { path: file },
      )
    }
    out[f.field] = v
  }
  return out
}

/**
 * Folders searched for <movie>.json, first match wins: the bundled lab configs (resources/stimuli),
 * then the demo set's (resources/demo/stimuli, resources/demo). Only folders that exist are listed.
 */
export async function defaultStimulusConfigDirs(): Promise<string[]> {
  const root = resourcesDir()
  const candidates = [join(root, 'stimuli'), join(root, 'demo', 'stimuli'), join(root, 'demo')]
  const present = await Promise.all(candidates.map(exists))
  return candidates.filter((_, i) => present[i])
}

/** The path of <movie>.json in the first folder holding it, or undefined. */
export async function findStimulusConfig(movie: string, dirs: readonly string[]): Promise<string | undefined> {
  for (const path of dirs.map((d) => join(d, `${movie}.json`))) if (await exists(path)) return path
  return undefined
}

const exists = (path: string) => access(path).then(() => true, () => false)

export interface LoadedConfigs {
  configs: Map<string, { config: TrialConfig; path: string }>
  /** movie -> why it has no config (no <movie>.json in any folder). */
  missing: Map<string, string>
}

/**
 * The configs of several movies. A movie without a file is reported in `missing`; a file that exists
 * but is invalid is an error (it needs fixing, and guessing would section wrongly).
 */
export async function loadStimulusConfigs(movies: readonly string[], dirs: readonly string[]): Promise<LoadedConfigs> {
  const configs: LoadedConfigs['configs'] = new Map()
  const missing = new Map<string, string>()
  for (const movie of movies) {
    const path = await findStimulusConfig(movie, dirs)
    if (!path) {
      missing.set(movie, `no stimulus config ${movie}.json in ${dirs.join(', ') || '(no folders)'}`)
      continue
    }
    configs.set(movie, { config: parseStimulusConfig(await readConfigText(path, 'Stimulus config'), path), path })
  }
  return { configs, missing }
}
