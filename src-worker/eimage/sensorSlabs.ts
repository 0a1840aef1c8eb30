// Sequential reads of sensor frames straight into a caller's buffer (a slab of the shared store), in the
// sensor reader thread (src-worker/sensorReader.ts).
//
// h5wasm's Dataset.slice() reads into its wasm heap and then copies out into a fresh ArrayBuffer;
// copying that again into the shared slab would cost a second copy and leave a dead slab per read
// for the garbage collector. Here the frames are read into one reused heap buffer and copied once
// into the target. int16 and uint16 storage are both taken bit for bit as int16 (numpy's astype wraps
// the same way); other dtypes fall back to the reader's converting slab read.

import h5wasm, { Module, type Dataset, type File as H5File } from 'h5wasm/node'
import { FileAccessError } from '../../src-shared/errors'
import type { CmcrFile } from '../mcs/cmcrReader'
import { h5ready, openHdf5ReadOnly } from '../mcs/h5util'

export interface SensorSlabSource {
  readonly frames: number
  /** Values per frame, in file order. */
  readonly frameSize: number
  /** Frames [t0, t1) into target[0 .. (t1 - t0) * frameSize). */
  readInto(t0: number, t1: number, target: Int16Array): void
  close(): void
}

/**
 * Opens the sensor dataset of an already opened .cmcr for slab reads of up to maxFrames frames.
 * `cmcr` stays the caller's to close; this source holds its own HDF5 handle.
 */
export async function openSensorSlabs(cmcr: CmcrFile, maxFrames: number): Promise<SensorSlabSource> {
  await h5ready()
  const sensor = cmcr.sensor
  if (!sensor) {
    throw new FileAccessError('DATA', `${cmcr.path}: no sensor dataset (Acquisition/Sensor Data/SensorData 1 1): an electrical image needs the raw sensor movie`, { path: cmcr.path })
  }
  const frameSize = sensor.shape[1] * sensor.shape[2]
  const twoByteInt = /^[<>|=]?[hH]$/.test(sensor.dtype)
  if (!twoByteInt) {
    return {
      frames: sensor.frames,
      frameSize,
      readInto(t0, t1, target) {
        target.set(cmcr.readSensorFrames(t0, t1))
      },
      close() {},
    }
  }
  const file: H5File = openHdf5ReadOnly(cmcr.path, 'CMCR')
  let ds: Dataset
  try {
    const obj = file.get(sensor.path)
    if (!(obj instanceof h5wasm.Dataset)) throw new Error('not a dataset')
    ds = obj
  } catch (err) {
    file.close()
    throw new FileAccessError('FILE_CORRUPT', `${cmcr.path}: cannot open ${sensor.path}`, { path: cmcr.path, cause: err })
  }
  const bytes = maxFrames * frameSize * 2
  const ptr = Module._malloc(bytes)
  if (!ptr) {
    file.close()
    throw new FileAccessError('DATA', `${cmcr.path}: cannot reserve ${bytes} bytes in the HDF5 heap for a slab`, { path: cmcr.path })
  }
  let closed = false
  return {
    frames: sensor.frames,
    frameSize,
    readInto(t0: number, t1: number, target: Int16Array) {
      if (closed) throw new Error('sensor slab source is closed')
      if (!(Number.isInteger(t0) && Number.isInteger(t1) && t0 >= 0 && t1 > t0 && t1 <= sensor.frames && t1 - t0 <= maxFrames)) {
        throw new RangeError(`${cmcr.path}: sensor frames [${t0}, ${t1}) outside [0, ${sensor.frames}) or above ${maxFrames} per slab`)
      }
      const count = [BigInt(t1 - t0), BigInt(sensor.shape[1]), BigInt(sensor.shape[2])]
      const offset = [BigInt(t0), 0n, 0n]
      const strides = [1n, 1n, 1n]
      const status = Module.get_dataset_data(file.file_id, ds.path, count, offset, strides, BigInt(ptr))
      if (status < 0) {
        throw new FileAccessError('FILE_CORRUPT', `${cmcr.path}: reading ${sensor.path} frames [${t0}, ${t1}) failed (HDF5 status ${status})`, { path: cmcr.path })
      }
      const n = (t1 - t0) * frameSize
      // HEAPU8 is re-read after the call: the heap may have grown and moved its buffer.
      target.set(new Int16Array(Module.HEAPU8.buffer, ptr, n))
    },
    close() {
      if (closed) return
      closed = true
      Module._free(ptr)
      file.close()
    },
  }
}
