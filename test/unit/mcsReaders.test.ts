import { mkdirSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import h5wasm from 'h5wasm/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openCmcr } from '../../src-worker/mcs/cmcrReader'
import { openCmtr, unitNumberFromName } from '../../src-worker/mcs/cmtrReader'
import type { GeneratedRecording } from '../../src-worker/synthetic/generator'
import { encodeNpyUint8 } from '../../src-worker/synthetic/npyWriter'
import { SYNC_HIGH, SYNC_LOW } from '../../src-worker/synthetic/syntheticModel'
import { readNpyUint8 } from '../../src-worker/npy'
import { smallRecording, tempDir } from './mcsFixtures'

let tmp: ReturnType<typeof tempDir>
let rec: GeneratedRecording

beforeAll(async () => {
  tmp = tempDir('mcs-readers-')
  rec = await smallRecording(tmp.dir, { silentUnits: [4] })
})
afterAll(() => tmp.cleanup())

describe('openCmcr', () => {
  it('reads root attributes, the Tick-based rate, duration and the stream layout', async () => {
    const f = await openCmcr(rec.cmcrPath)
    try {
      expect(f.meta['ID.Type']).toBe('McsData')
      expect(f.meta['ProgramName']).toBe('CMOS-MEA-Control')
      expect(f.meta['FileVersion']).toBe(1)
      expect(f.meta['LB.RecordingDuration']).toBe(16e6)
      expect(f.samplingRate).toBe(20000)
      expect(f.samplingRateSource).toBe('tick')
      expect(f.samplingRateEstimate).toBe(20000)
      expect(f.durationUs).toBe(16e6)
      expect(f.analog).toMatchObject({ channels: 2, samples: 320000, labels: ['Light', 'FrameSync'] })
      expect(f.sensor).toMatchObject({ frames: 10000, rows: 65, cols: 65, dtype: '<h', axisOrder: 'time,col,row' })
    } finally {
      f.close()
    }
  })

  it('reads the frame-sync row: low before each frame timestamp, high right after it', async () => {
    const f = await openCmcr(rec.cmcrPath)
    try {
      const sync = f.readAnalogRow(1)
      expect(sync).toBeInstanceOf(Float32Array)
      for (const ts of rec.truth.frameTimestamps.slice(0, 50)) {
        expect(Math.abs(sync[ts] - SYNC_LOW)).toBeLessThanOrEqual(3)
        expect(Math.abs(sync[ts + 1] - SYNC_HIGH)).toBeLessThanOrEqual(3)
      }
      expect(Array.from(f.readAnalogRow(1, 1000, 1010))).toEqual(Array.from(sync.subarray(1000, 1010)))
      expect(() => f.readAnalogRow(2)).toThrow(RangeError)
    } finally {
      f.close()
    }
  })

  it('labels sensor axes (time, col, row): each unit’s spike-triggered frame is deepest at its (row, col)', async () => {
    const f = await openCmcr(rec.cmcrPath)
    try {
      const T = f.sensor!.frames
      const frames = f.readSensorFrames(0, T)
      expect(frames.length).toBe(T * 65 * 65)
      let checked = 0
      for (const u of rec.truth.units) {
        const spikes = u.spikeTimesUs!.filter((_, i) => u.include![i] === 1).map((t) => t / 50).filter((s) => s < T)
        if (spikes.length < 3) continue
        const avg = new Float64Array(65 * 65)
        for (const s of spikes) for (let e = 0; e < avg.length; e++) avg[e] += frames[s * 4225 + e] / spikes.length
        let arg = 0
        for (let e = 1; e < avg.length; e++) if (avg[e] < avg[arg]) arg = e
        expect(arg).toBe((u.col - 1) * 65 + (u.row - 1))
        expect(u.row).not.toBe(u.col)
        expect(avg[arg]).toBeLessThan(-0.5 * u.amplitude)
        checked++
      }
      expect(checked).toBeGreaterThanOrEqual(4)
      expect(Array.from(f.readSensorFrames(5, 7))).toEqual(Array.from(frames.subarray(5 * 4225, 7 * 4225)))
      expect(() => f.readSensorFrames(0, T + 1)).toThrow(RangeError)
    } finally {
      f.close()
    }
  })

  it('refuses slabs over 256 MB', async () => {
    const f = await openCmcr(rec.cmcrPath)
    try {
      // fake a long recording: the check is on the requested size, before any read
      ;(f.sensor as { frames: number }).frames = 1e6
      expect(() => f.readSensorFrames(0, 40000)).toThrow(/256 MB/)
    } finally {
      f.close()
    }
  })
})

describe('openCmtr', () => {
  it('lists units by number, reads Unit Info, attributes and the external link name', async () => {
    const f = await openCmtr(rec.cmtrPath)
    try {
      expect(f.meta['ProgramName']).toBe('CMOS-MEA-Tools')
      expect(f.linkedCmcrName).toBe('small_rec.cmcr')
      expect(f.units.map((u) => u.unitNum)).toEqual([1, 2, 3, 4, 5, 6])
      for (const t of rec.truth.units) {
        const u = f.readUnit(f.units[t.unitNum - 1])
        expect([u.row, u.col, u.sensorId]).toEqual([t.row, t.col, t.sensorId])
        expect(u.sensorId).toBe(65 * (t.col - 1) + t.row)
        expect(u.unitInfo!['UnitID']).toBe(t.unitNum)
        expect(u.unitInfoKinds['SNR']).toBe('float')
        expect(u.unitInfoKinds['Row']).toBe('int')
        expect(u.attrs['ID.Type']).toBe('SingleUnit')
      }
    } finally {
      f.close()
    }
  })

  it('reads Peaks by field name: µs timestamps, IncludePeak flags and cutouts equal the truth', async () => {
    const f = await openCmtr(rec.cmtrPath)
    try {
      for (const t of rec.truth.units) {
        const p = f.readPeaks(f.units[t.unitNum - 1], { cutouts: true })!
        expect(Array.from(p.timestampUs)).toEqual(t.spikeTimesUs)
        expect(Array.from(p.includePeak)).toEqual(t.include)
        expect(p.cutoutFields).toEqual(Array.from({ length: 16 }, (_, k) => String(k + 1)))
        expect(p.fieldTypes['Timestamp']).toBe('int64')
        expect(p.fieldTypes['IncludePeak']).toBe('int16')
        expect(p.attrs['Tick']).toBe(50)
        if (t.nIncluded > 0) {
          const K = 16
          const mean = new Float64Array(K)
          let n = 0
          p.includePeak.forEach((inc, r) => {
            if (!inc) return
            n++
            for (let k = 0; k < K; k++) mean[k] += p.cutouts![r * K + k]
          })
          for (let k = 0; k < K; k++) expect(mean[k] / n).toBeCloseTo(t.meanWaveform[k], 3)
        }
      }
      const silent = f.readPeaks(f.units[3])!
      expect(silent.timestampUs.length).toBe(0)
    } finally {
      f.close()
    }
  })

  it('takes the unit number from the group name', () => {
    expect(unitNumberFromName('Unit 12')).toBe(12)
    expect(unitNumberFromName('Unit_7')).toBe(7)
    expect(unitNumberFromName('Units')).toBeNull()
    expect(unitNumberFromName('Unit Info')).toBeNull()
    expect(unitNumberFromName('Unit x')).toBeNull()
  })

  it('tolerates variants: other field widths and order, scalar and vlen attributes, no Unit Info', async () => {
    await h5wasm.ready
    const path = join(tmp.dir, 'variant.cmtr')
    const file = new h5wasm.File(path, 'w')
    try {
      file.create_attribute('ID.Type', 'McsData') // vlen string
      file.create_attribute('LB.RecordingDuration', 5e6, [], '<d') // scalar, not a 1-element array
      const sorter = file.create_group('Spike Sorter')
      for (const n of [10, 3]) {
        const g = sorter.create_group(`Unit ${n}`)
        g.create_attribute('SensorID', n === 3 ? 65 * 4 + 9 : 65 * 1 + 2, [], '<i') // scalar int: (col 5, row 9) / (col 2, row 2)
        const peaks = new Map<string, unknown>([
          ['PeakAmplitude', new Float32Array([-50, -20, -60])],
          ['Timestamp', new BigUint64Array([100n, 250n, 1000n])],
          ['IncludePeak', new Uint8Array([1, 0, 1])],
          ['1', new Float32Array([1, 2, 3])],
          ['2', new Float32Array([4, 5, 6])],
        ])
        g.create_dataset({
          name: 'Peaks',
          data: peaks as any,
          shape: [3],
          dtype: [['PeakAmplitude', '<f'], ['Timestamp', '<Q'], ['IncludePeak', '<B'], ['1', '<f'], ['2', '<f']],
        })
      }
    } finally {
      file.close()
    }
    const f = await openCmtr(path)
    try {
      expect(f.meta['ID.Type']).toBe('McsData')
      expect(f.meta['LB.RecordingDuration']).toBe(5e6)
      expect(f.units.map((u) => u.unitNum)).toEqual([3, 10])
      const u3 = f.readUnit(f.units[0])
      expect(u3.unitInfo).toBeNull()
      expect([u3.row, u3.col]).toEqual([9, 5])
      const p = f.readPeaks(f.units[0], { cutouts: true })!
      expect(Array.from(p.timestampUs)).toEqual([100, 250, 1000])
      expect(Array.from(p.includePeak)).toEqual([1, 0, 1])
      expect(Array.from(p.peakAmplitude!)).toEqual([-50, -20, -60])
      expect(p.cutoutFields).toEqual(['1', '2'])
      expect(Array.from(p.cutouts!)).toEqual([1, 4, 2, 5, 3, 6])
    } finally {
      f.close()
    }
  })
})

describe('bad input', () => {
  it('names the file and the problem', async () => {
    const folder = join(tmp.dir, 'folder.cmcr')
    mkdirSync(folder, { recursive: true })
    const text = join(tmp.dir, 'text.cmcr')
    writeFileSync(text, 'not an hdf5 file at all')
    const truncated = join(tmp.dir, 'truncated.cmcr')
    writeFileSync(truncated, readFileSync(rec.cmcrPath).subarray(0, 200_000))
    const swappedCmcr = join(tmp.dir, 'swapped.cmcr')
    copyFileSync(rec.cmtrPath, swappedCmcr)
    const swappedCmtr = join(tmp.dir, 'swapped.cmtr')
    copyFileSync(rec.cmcrPath, swappedCmtr)
    const cases: Array<[() => Promise<unknown>, string, RegExp, string]> = [
      [() => openCmcr(join(tmp.dir, 'missing.cmcr')), 'FILE_NOT_FOUND', /not found/, 'missing.cmcr'],
      [() => openCmcr(folder), 'FILE_KIND', /folder/, folder],
      [() => openCmcr(text), 'FILE_KIND', /not an HDF5 file/, text],
      [() => openCmcr(truncated), 'FILE_CORRUPT', /truncated or corrupt.*HDF5: truncated file: eof = 200000/, truncated],
      [() => openCmcr(swappedCmcr), 'FILE_KIND', /\.cmtr/, swappedCmcr],
      [() => openCmtr(swappedCmtr), 'FILE_KIND', /\.cmcr/, swappedCmtr],
    ]
    for (const [open, code, message, path] of cases) {
      const err = await open().then(
        () => null,
        (e) => e,
      )
      expect(err, path).not.toBeNull()
      expect(err.code).toBe(code)
      expect(err.message).toMatch(message)
      expect(err.path).toContain(path.split('/').pop())
    }
  })

  it('reports a missing Spike Sorter group and a missing sensor stream', async () => {
    await h5wasm.ready
    const noSorter = join(tmp.dir, 'nosorter.cmtr')
    const a = new h5wasm.File(noSorter, 'w')
    a.create_attribute('ID.Type', 'McsData', [], 'A8')
    a.create_attribute('ProgramName', 'CMOS-MEA-Tools', [], 'A15')
    a.close()
    const err = await openCmtr(noSorter).then(
      () => null,
      (e) => e,
    )
    expect(err.code).toBe('DATA')
    expect(err.message).toContain("'/Spike Sorter' is missing")

    const noSensor = join(tmp.dir, 'nosensor.cmcr')
    const b = new h5wasm.File(noSensor, 'w')
    b.create_attribute('ID.Type', 'McsData', [], 'A8')
    b.create_group('Acquisition').create_group('Analog Data')
    b.close()
    const f = await openCmcr(noSensor)
    try {
      expect(f.sensor).toBeNull()
      expect(f.analog).toBeNull()
      expect(f.samplingRateSource).toBe('default')
      expect(() => f.readSensorFrames(0, 1)).toThrow(/SensorData 1 1/)
    } finally {
      f.close()
    }

    const notMcs = join(tmp.dir, 'plain.cmcr')
    const c = new h5wasm.File(notMcs, 'w')
    c.create_group('Data')
    c.close()
    const err2 = await openCmcr(notMcs).then(
      () => null,
      (e) => e,
    )
    expect(err2.code).toBe('FILE_KIND')
    expect(err2.message).toMatch(/not an MCS CMOS-MEA raw file/)
  })
})

describe('npy writer', () => {
  it('writes NPY 1.0 that the reader reads back, data 64-byte aligned', async () => {
    const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 37) % 256)
    const bytes = encodeNpyUint8(data, [2, 3, 4])
    expect(bytes[6]).toBe(1)
    expect((bytes.length - data.length) % 64).toBe(0)
    const path = join(tmp.dir, 'movie.npy')
    writeFileSync(path, bytes)
    const back = await readNpyUint8(path)
    expect(back.shape).toEqual([2, 3, 4])
    expect(Array.from(back.data)).toEqual(Array.from(data))
    expect(rec.npyPath).toBeNull()
  })
})
