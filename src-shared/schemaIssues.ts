// zod's findings in the words of our other messages: the field as a path (`steps[1].params`), what it
// must be, and what was given (`must be a number (got "1")`). Used wherever a schema checks input: the
// contract's transport, settings.json, the batch recipe.

import type { z } from 'zod'

const EXPECTED: Record<string, string> = {
  string: 'a text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'null',
}

/** `a.b[2].c`, or '' for the top level. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '')
}

function given(issue: z.core.$ZodIssue): string {
  if (!('input' in issue)) return ''
  const input = issue.input
  if (input === undefined) return ' (it is missing)'
  const text = JSON.stringify(input)
  return ` (got ${text === undefined ? String(input) : text.length > 60 ? `${text.slice(0, 57)}...` : text})`
}

/** What is wrong, without the field: "must be a number (got "1")". */
export function issueText(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${EXPECTED[issue.expected] ?? issue.expected}${given(issue)}`
    case 'invalid_value':
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}${given(issue)}`
    case 'unrecognized_keys':
      return `has unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string'
        ? `must not be empty${given(issue)}`
        : `must be ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}${given(issue)}`
    case 'too_big':
      return `must be ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}${given(issue)}`
    default:
      return issue.message
  }
}

/**
 * The first problem as "'field' must be ...", or "must be ..." at the top level, and the field. `at` is
 * where the checked value sits in a larger document ('settings.python', 'steps[2]').
 */
export function describeFirstIssue(error: z.ZodError, at = ''): { field: string | null; message: string } {
  const issue = error.issues[0]
  const inner = issuePath(issue.path)
  const field = !at ? inner : !inner ? at : inner.startsWith('[') ? `${at}${inner}` : `${at}.${inner}`
  return { field: field || null, message: field ? `'${field}' ${issueText(issue)}` : issueText(issue) }
}
