// The archive codec itself, run in the calling thread: used inside the archive thread
// (thread/threadEntry.ts), and by tests and benchmarks that measure or probe the codec without the
// thread around it. Everything else uses the index, whose readArchive/writeArchive run in an archive thread.

export { readArchive, checkHdf5File, type ReadOptions } from './reader'
export { writeArchive, type WriteOptions } from './writer'
