// Path mapping for a cluster: recordings listed on a Windows PC as `O:\2025\set6\X.cmcr` or
// `\\server\share\...` live on the cluster's nodes under a mount point such as `/mnt/lab/2025/...`.
// Each rule maps a prefix; the first rule whose prefix matches rewrites the path, and a mapped Windows
// path gets forward slashes. Prefixes of Windows paths match without regard to case or slash style.

import { ConfigurationError } from '../../../src-shared/errors'

export interface PathMapRule {
  from: string
  to: string
}

/** `FROM=TO` as given to --path-map (the first '=' splits, so TO may hold '='). */
export function parsePathMapRule(text: string): PathMapRule {
  const at = text.indexOf('=')
  const from = at > 0 ? text.slice(0, at).trim() : ''
  const to = at > 0 ? text.slice(at + 1).trim() : ''
  if (!from || !to) throw new ConfigurationError(`--path-map needs FROM=TO (a prefix on the PC and where it is on the cluster), got '${text}'`)
  return { from, to }
}

const isWindowsStyle = (p: string) => /^[a-zA-Z]:[\\/]/.test(p) || /^[\\/]{2}[^\\/]/.test(p)
const slashes = (p: string) => p.replace(/\\/g, '/')

function withSlash(p: string): string {
  return p.endsWith('/') ? p : `${p}/`
}

/** The path on the cluster, or the path unchanged when no rule applies. */
export function mapPath(path: string, rules: readonly PathMapRule[]): string {
  for (const rule of rules) {
    if (isWindowsStyle(rule.from)) {
      const from = withSlash(slashes(rule.from)).toLowerCase()
      const p = slashes(path)
      if (withSlash(p).toLowerCase().startsWith(from)) {
        const rest = p.length >= from.length ? p.slice(from.length) : ''
        return rest ? `${withSlash(rule.to)}${rest}` : rule.to
      }
    } else {
      const from = withSlash(rule.from)
      if (path === rule.from || path.startsWith(from)) {
        const rest = path.slice(Math.min(path.length, from.length))
        return rest ? `${withSlash(rule.to)}${rest}` : rule.to
      }
    }
  }
  return path
}

/** Every string in a recipe step's parameters mapped (lists of paths included). */
export function mapParams(params: Record<string, unknown>, rules: readonly PathMapRule[]): Record<string, unknown> {
  if (rules.length === 0) return params
  const map = (v: unknown): unknown => (typeof v === 'string' ? mapPath(v, rules) : Array.isArray(v) ? v.map(map) : v)
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, map(v)]))
}
