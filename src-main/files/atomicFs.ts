// The file-system operations an atomic write needs, behind a small interface so tests can simulate a
// locked target (Windows sharing violations) or a file system without hard links.

import { promises as fsp } from 'node:fs'

export interface AtomicFs {
  /** 'file', 'dir', 'other', or null when nothing is there. */
  kind(path: string): Promise<'file' | 'dir' | 'other' | null>
  mkdirp(dir: string): Promise<void>
  /** Flushes a closed file's data to disk. */
  fsyncFile(path: string): Promise<void>
  /** Flushes a folder's entries (the rename) to disk; best effort, not every platform allows it. */
  fsyncDir(dir: string): Promise<void>
  rename(from: string, to: string): Promise<void>
  /** A second name for `from`; fails with EEXIST when `to` exists (the exclusive create of a no-overwrite save). */
  link(from: string, to: string): Promise<void>
  /** Creates `path` only if it does not exist (EEXIST otherwise); used as a lock file. */
  createExclusive(path: string): Promise<void>
  unlink(path: string): Promise<void>
  /** Empties a file (frees its space even if some handle still holds it open). */
  truncate(path: string): Promise<void>
  readdir(dir: string): Promise<string[]>
}

export const nodeAtomicFs: AtomicFs = {
  async kind(path) {
    try {
      const st = await fsp.stat(path)
      return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other'
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
  },
  async mkdirp(dir) {
    await fsp.mkdir(dir, { recursive: true })
  },
  async fsyncFile(path) {
    const h = await fsp.open(path, 'r+')
    try {
      await h.sync()
    } finally {
      await h.close()
    }
  },
  async fsyncDir(dir) {
    let h
    try {
      h = await fsp.open(dir, 'r')
      await h.sync()
    } catch {
      // Windows cannot open folders for sync; the rename is still atomic there.
    } finally {
      await h?.close()
    }
  },
  rename: (from, to) => fsp.rename(from, to),
  link: (from, to) => fsp.link(from, to),
  async createExclusive(path) {
    const h = await fsp.open(path, 'wx')
    await h.close()
  },
  unlink: (path) => fsp.unlink(path),
  truncate: (path) => fsp.truncate(path, 0),
  readdir: (dir) => fsp.readdir(dir),
}
