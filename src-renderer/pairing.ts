// A recording is a pair: the raw X.cmcr and its spike sorting X-.cmtr (CMOS-MEA-Tools appends "-"; some
// exports write X.cmtr) in the same folder. Pure path arithmetic for the start page: which partner to
// look for, and whether two chosen files belong together. Works on POSIX and Windows paths alike.

function splitPath(path: string): { dir: string; name: string; sep: string } {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'))
  const sep = path.lastIndexOf('\\') > path.lastIndexOf('/') ? '\\' : '/'
  return { dir: i >= 0 ? path.slice(0, i) : '', name: path.slice(i + 1), sep }
}

export function kindOf(path: string): 'cmcr' | 'cmtr' | null {
  const m = /\.(cmcr|cmtr)$/i.exec(path.trim())
  return m ? (m[1].toLowerCase() as 'cmcr' | 'cmtr') : null
}

/** The recording's name: the file name without extension and without the .cmtr's trailing "-". */
export function recordingStem(path: string): string {
  const { name } = splitPath(path.trim())
  return name.replace(/\.(cmcr|cmtr)$/i, '').replace(/-$/, '')
}

/** The partner files to look for, most likely first (same folder, same stem). */
export function partnerCandidates(path: string): string[] {
  const p = path.trim()
  const kind = kindOf(p)
  if (!kind) return []
  const { dir, sep } = splitPath(p)
  const stem = recordingStem(p)
  const at = (name: string) => (dir ? `${dir}${sep}${name}` : name)
  return kind === 'cmcr' ? [at(`${stem}-.cmtr`), at(`${stem}.cmtr`)] : [at(`${stem}.cmcr`)]
}

function sameFolder(a: string, b: string): boolean {
  const norm = (d: string) => d.replace(/\\/g, '/').replace(/\/+$/, '')
  const da = norm(splitPath(a).dir)
  const db = norm(splitPath(b).dir)
  // Windows paths compare without case; the drive letter and share names are case-insensitive there.
  return /^[a-z]:|^\/\//i.test(da) ? da.toLowerCase() === db.toLowerCase() : da === db
}

/** Why a .cmcr and a .cmtr may belong to different recordings, or null when they pair. */
export function pairMismatch(cmcr: string, cmtr: string): string | null {
  if (!cmcr.trim() || !cmtr.trim()) return null
  const problems: string[] = []
  if (!sameFolder(cmcr, cmtr)) problems.push('they are in different folders')
  if (recordingStem(cmcr) !== recordingStem(cmtr)) problems.push(`their names differ (${recordingStem(cmcr)} / ${recordingStem(cmtr)})`)
  return problems.length ? `The raw file and the spike sorting may belong to different recordings: ${problems.join(' and ')}.` : null
}

/** Each recording once (the same folder and name; a raw-only opening and a paired one are one recording), most recent first. */
export function uniqueRecordings<T extends { cmcrPath: string | null; cmtrPath: string | null }>(recent: readonly T[]): T[] {
  const seen = new Set<string>()
  return recent.filter((r) => {
    const path = (r.cmtrPath ?? r.cmcrPath ?? '').trim()
    const folder = splitPath(path).dir.replace(/\\/g, '/').replace(/\/+$/, '')
    const key = `${/^[a-z]:|^\/\//i.test(folder) ? folder.toLowerCase() : folder}/${recordingStem(path)}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
