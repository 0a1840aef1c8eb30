// What is wrong with a JSON text, for an error message. The parser's own message quotes the text
// ("Unexpected token 'r', "root:x:0:0..." is not valid JSON"), and a message must never show a file's
// content: only the kind of problem and, where the parser knows it, the line and column.

export function jsonProblem(err: unknown, text?: string): string {
  const message = err instanceof Error ? err.message : String(err)
  const at = /position (\d+)/.exec(message)
  let where = ''
  if (at && text !== undefined) {
    const before = text.slice(0, Number(at[1]))
    const line = before.split('\n').length
    where = ` at line ${line}, column ${before.length - before.lastIndexOf('\n')}`
  } else if (at) {
    where = ` at character ${Number(at[1]) + 1}`
  }
  if (/Unexpected end of JSON input/i.test(message)) return 'invalid JSON: the text ends before the value is complete'
  if (/Unexpected token|Unexpected character/i.test(message)) return `invalid JSON: a character is out of place${where}`
  if (/after JSON/i.test(message)) return `invalid JSON: more text follows the value${where}`
  if (/property name/i.test(message)) return `invalid JSON: a property name is missing or not in double quotes${where}`
  // Any other parser reason, without the quoted excerpt of the text it may carry.
  const reason = message
    .replace(/"(?:[^"\\]|\\.)*"(?:\.\.\.)?/g, '')
    .replace(/,?\s*is not valid JSON.*$/s, '')
    .replace(/\s*in JSON at position.*$/s, '')
    .trim()
  return reason ? `invalid JSON: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}${where}` : `invalid JSON${where}`
}
