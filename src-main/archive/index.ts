// The HDF5 archive codec: session archives in the Python layout, read tolerant of every flavour.

export type { ArchiveContent, ArchiveFlavour } from './content'
export { HDMEA_VERSION, SCHEMA, SCHEMA_ATTR, WRITER_VERSION, WRITER_VERSION_ATTR, PIPELINE_PREFIX, SESSION_INFO_PREFIX } from './content'
export { readArchive, checkHdf5File, type ReadOptions } from './reader'
export { writeArchive, type WriteOptions } from './writer'
export { saveArchiveFile, tempPathFor, RENAME_RETRY_DELAYS_MS, type SaveOptions, type SaveDeps } from './saveFile'
export { type AtomicFs as ArchiveFs, nodeAtomicFs as nodeArchiveFs } from '../files/atomicFs'
export { deriveCompletedSteps } from './derive'
