// The HDF5 archive codec: session archives in the Python layout, read tolerant of every flavour. Reads
// and writes run in archive threads owned by the main process (thread/archiveThreads.ts); the codec run
// in the calling thread is in ./codec.

export type { ArchiveContent, ArchiveFlavour } from './content'
export { HDMEA_VERSION, SCHEMA, SCHEMA_ATTR, WRITER_VERSION, WRITER_VERSION_ATTR, PIPELINE_PREFIX, SESSION_INFO_PREFIX } from './content'
export type { ReadOptions } from './reader'
export type { WriteOptions } from './writer'
export { readArchive, writeArchive, closeArchiveThreads, type ArchiveReadOptions, type ArchiveWriteOptions } from './thread/archiveThreads'
export { saveArchiveFile, tempPathFor, RENAME_RETRY_DELAYS_MS, type SaveOptions, type SaveDeps } from './saveFile'
export { type AtomicFs as ArchiveFs, nodeAtomicFs as nodeArchiveFs } from '../files/atomicFs'
export { deriveCompletedSteps } from './derive'
