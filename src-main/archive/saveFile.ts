// Safe saving of an archive: written to `<target>.tmp-<pid>-<rand>` beside the target with progress and
// cancel, then put in place by the one atomic-write helper (src-main/files/atomicWrite.ts). The previous
// archive stays byte-identical unless the whole save succeeded (the Python deletes it first; docs/archive-format.md §1.9).
// The HDF5 writing runs in an archive thread (thread/archiveThreads.ts); the file operations around it
// are asynchronous on the main thread.

import { SessionError } from '../../src-shared/errors'
import type { AtomicFs } from '../files/atomicFs'
import { writeFileAtomically } from '../files/atomicWrite'
import type { ArchiveContent } from './content'
import type { WriteOptions } from './writer'
import { writeArchive } from './thread/archiveThreads'

export { RENAME_RETRY_DELAYS_MS, tempPathFor } from '../files/atomicWrite'

export interface SaveOptions {
  overwrite: boolean
  operation: 'save' | 'checkpoint'
  /** Bytes of array data written so far, and in total. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void
  /** Cancels the save (CancelledError) before the target is replaced; the old file stays as it was. */
  signal?: AbortSignal
}

export interface SaveDeps {
  fs?: AtomicFs
  /** Writes the archive at a path (default: the HDF5 writer in an archive thread). */
  write?: (path: string, content: ArchiveContent) => Promise<void>
  sleep?: (ms: number) => Promise<void>
  /** Only `slabBytes` is used: progress and cancel come from SaveOptions. */
  writeOptions?: WriteOptions
}

export async function saveArchiveFile(target: string, content: ArchiveContent, opts: SaveOptions, deps: SaveDeps = {}): Promise<void> {
  const write =
    deps.write ??
    ((p: string, c: ArchiveContent) => writeArchive(p, c, { slabBytes: deps.writeOptions?.slabBytes, onProgress: opts.onProgress, signal: opts.signal }))
  await writeFileAtomically(target, (temp) => write(temp, content), {
    overwrite: opts.overwrite,
    what: opts.operation === 'checkpoint' ? 'checkpoint' : 'archive',
    signal: opts.signal,
    fs: deps.fs,
    sleep: deps.sleep,
    existsError: (path) => {
      const what = opts.operation === 'checkpoint' ? 'Checkpoint file' : 'File'
      return new SessionError(`${what} already exists: ${path}. Use overwrite=True to replace.`, { operation: opts.operation, path, code: 'FILE_EXISTS' })
    },
  })
}
