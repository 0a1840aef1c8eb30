// Declared sizes are checked before anything is allocated: a damaged or hostile file can declare a
// 2 x 4e9 analog dataset or a 3e9-row table in a few kilobytes, and reading it would exhaust memory.
// Two rules: (1) a dataset cannot hold more bytes than the file could store — its size on disk, times
// deflate's best compression ratio (~1032:1) when the dataset is filtered; (2) what a step is about to
// read must fit in half of this computer's memory.

import { totalmem } from 'node:os'
import type { Dataset } from 'h5wasm/node'
import { FileAccessError } from '../../src-shared/errors'

/** Deflate cannot shrink data by more than about 1032:1; rounded up. */
const MAX_COMPRESSION_RATIO = 1100

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`
  if (n >= 1024) return `${(n / 1024).toFixed(1)} kB`
  return `${n} bytes`
}

/** Bytes the dataset declares: the product of its shape times its element size. */
export function declaredBytes(ds: Dataset): number {
  const shape = ds.shape ?? []
  const elem = Number(ds.metadata?.size ?? 1)
  return shape.reduce((a, b) => a * Number(b), 1) * elem
}

function isFiltered(ds: Dataset): boolean {
  try {
    return (ds.filters ?? []).length > 0
  } catch {
    return false
  }
}

/** Throws FILE_CORRUPT when `ds` declares more data than a file of `fileSize` bytes can hold. */
export function assertDeclaredSizeFits(path: string, fileSize: number, ds: Dataset): void {
  const bytes = declaredBytes(ds)
  const limit = fileSize * (isFiltered(ds) ? MAX_COMPRESSION_RATIO : 1)
  if (!Number.isFinite(bytes) || bytes > limit) {
    throw new FileAccessError(
      'FILE_CORRUPT',
      `${path}: ${ds.path} declares shape [${(ds.shape ?? []).join(' x ')}] (${formatBytes(bytes)}), more than this ${formatBytes(fileSize)} file can hold; the file is truncated or corrupt`,
      { path },
    )
  }
}

/** Throws DATA when reading `bytes` (for `what`) would take more than half of this computer's memory. */
export function assertReadFits(path: string, bytes: number, what: string, memory = totalmem()): void {
  const limit = memory / 2
  if (!Number.isFinite(bytes) || bytes > limit) {
    throw new FileAccessError(
      'DATA',
      `${path}: reading ${what} needs ${formatBytes(bytes)} of memory, more than half of this computer's ${formatBytes(memory)}; it cannot be loaded here`,
      { path },
    )
  }
}
