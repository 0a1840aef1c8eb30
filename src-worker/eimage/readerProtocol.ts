// Messages between the main thread and the sensor reader thread (src-worker/sensorReader.ts). The
// reader writes frames straight into the run's shared store; only offsets and timings travel. The
// thread answers every request, in the order asked.

import type { SensorInfo } from '../mcs/cmcrReader'

export interface ReaderOpen {
  type: 'open'
  /** The .cmcr file. */
  path: string
  /** The sensor dataset as the run planned it (the reader checks the file still has it so). */
  sensor: SensorInfo
  /** Largest slab in frames: the reader reserves one heap buffer of that size. */
  maxFrames: number
  /** The run's shared store: slabs are written into it at the offsets the reads name. */
  store: WebAssembly.Memory | SharedArrayBuffer
}

export interface ReaderRead {
  type: 'read'
  /** Frames [t0, t1) go to the store at byteOffset, as int16 in file order. */
  t0: number
  t1: number
  byteOffset: number
}

export interface ReaderClose {
  type: 'close'
}

export type ReaderRequest = ReaderOpen | ReaderRead | ReaderClose

/** A failure as plain data: a thrown error loses its class, code and path crossing threads. */
export interface ReaderFailure {
  code: string
  message: string
  path?: string
}

export type ReaderReply =
  | { type: 'opened'; thread: number | null }
  /** `ms`: wall time of the HDF5 read and the copy into the store. */
  | { type: 'read'; ms: number }
  /** `cpuMs`: the thread's CPU time from the open on (Linux), reported as it ends. */
  | { type: 'closed'; cpuMs: number | null }
  | { type: 'failed'; error: ReaderFailure }
