// The CLI commands' argument parser: node's util.parseArgs reads argv, each command declares its options
// in one table (adding a flag is one line there), and this module turns what parseArgs let through into
// the commands' usage messages ("--out needs a folder", "--workers must be a whole number >= 1").

import { parseArgs } from 'node:util'

export type OptionSpec =
  | { type: 'boolean'; short?: string }
  /** `needs` completes "--out needs ..." when the value is missing (default "a value"). */
  | { type: 'string'; short?: string; needs?: string; multiple?: boolean }
  /** A whole number >= min. */
  | { type: 'whole'; min: number }

export type OptionTable = Record<string, OptionSpec>

type ValueOf<S extends OptionSpec> = S extends { type: 'boolean' }
  ? boolean
  : S extends { type: 'whole' }
    ? number
    : S extends { multiple: true }
      ? string[]
      : string

export interface ParsedArgs<T extends OptionTable> {
  /** Keyed by the long flag's name without the dashes; absent when not given. */
  values: { [K in keyof T]?: ValueOf<T[K]> }
  positionals: string[]
}

export interface CommandArgs<T extends OptionTable> {
  options: T
  /** Whether the command takes arguments that are not options (inputs). */
  positionals: boolean
  /** The message for an unknown option (or an argument the command does not take), given it as typed. */
  unknown: (arg: string) => string
}

/** A problem with the command line; the command prints the message and its usage, and exits with 2. */
export class UsageError extends Error {}

/** Parses `argv` against the command's table; throws UsageError on the first problem, in argv order. */
export function parseCommandArgs<T extends OptionTable>(argv: string[], command: CommandArgs<T>): ParsedArgs<T> {
  const parseOptions: Record<string, { type: 'string' | 'boolean'; short?: string }> = {}
  for (const [name, spec] of Object.entries(command.options)) {
    parseOptions[name] = { type: spec.type === 'boolean' ? 'boolean' : 'string', ...('short' in spec && spec.short ? { short: spec.short } : {}) }
  }
  // Not strict: unknown options and forgotten values come back as tokens and get the messages below.
  const { tokens } = parseArgs({ args: argv, options: parseOptions, strict: false, allowPositionals: true, tokens: true })
  const values: Record<string, string | number | boolean | string[]> = {}
  const positionals: string[] = []
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue
    if (token.kind === 'positional') {
      if (!command.positionals) throw new UsageError(command.unknown(token.value))
      positionals.push(token.value)
      continue
    }
    const spec = Object.hasOwn(command.options, token.name) ? command.options[token.name] : undefined
    if (!spec) throw new UsageError(command.unknown(argv[token.index]))
    const flag = token.rawName
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${flag} takes no value`)
      values[token.name] = true
      continue
    }
    const v = token.value
    const needs = spec.type === 'string' ? (spec.needs ?? 'a value') : 'a value'
    // parseArgs takes the next argument as the value whatever it is; an option there means it was forgotten.
    const forgotten = !token.inlineValue && v !== undefined && v.startsWith('-') && !(spec.type === 'whole' && Number.isFinite(Number(v)))
    if (v === undefined || v === '' || forgotten) throw new UsageError(`${flag} needs ${needs}`)
    if (spec.type === 'whole') {
      const n = Number(v)
      if (!Number.isInteger(n) || n < spec.min) throw new UsageError(`${flag} must be a whole number >= ${spec.min} (got '${v}')`)
      values[token.name] = n
    } else if (spec.multiple) {
      values[token.name] = [...((values[token.name] as string[] | undefined) ?? []), v] // repeatable: every value, in order
    } else {
      values[token.name] = v
    }
  }
  return { values: values as ParsedArgs<T>['values'], positionals }
}
