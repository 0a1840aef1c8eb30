// Deterministic synthetic MCS recording: a .cmcr/.cmtr pair in the vendor layout of
// docs/mcs-format.md §3, §4, §5, a dense-noise movie (.npy) and a truth JSON, all from one seed.
//
// What the files hold (ground truth by construction, see syntheticModel.ts):
// * .cmcr: root attrs (ID.*, FileVersion, DateTime, ProgramName, ProgramVersion, LB.RecordingDuration),
//   /Acquisition (From, To) with 'Analog Data' (ChannelData 1 int32 (2, T): row 0 light, row 1 frame
//   sync; ChannelMeta) and 'Sensor Data' (SensorData 1 1 int16 (frames, 65, 65) stored
//   [t, col−1, row−1], chunked, written in slabs; SensorMeta).
// * .cmtr: root attrs, /Acquisition as an external link to the .cmcr's /Acquisition, /Spike Sorter
//   with Units, Projection Matrix and 'Unit N' groups (Peaks with Timestamp µs, PeakAmplitude,
//   IncludePeak, cutout fields '1'..'K'; Unit Info; RoiSTAs; Source; Unmixing).
// * Source is a chunked float32 dataset of one value per analog sample with only its first chunk
//   written (zeros): the real shape at almost no disk cost.
// Every object carries ID.Type/ID.TypeID/ID.Instance/ID.InstanceID; strings are fixed-length; numeric
// attributes are 1-element arrays; compound tables have no vlen strings (h5wasm cannot write them).

import { mkdir, rename, writeFile, rm } from 'node:fs/promises'
import { basename, join } from 'node:path'
import h5wasm, { type Group } from 'h5wasm/node'
import { Rng } from './random'
import { createCompoundDataset, compoundLayout, identity, numAttr, putField, strAttr, timeSpanAttrs, writeCompoundTable, type CompoundField } from './mcsWriter'
import { writeNpyUint8 } from './npyWriter'
import { h5ready } from '../mcs/h5util'
import {
  FOOTPRINT_POST,
  FOOTPRINT_PRE,
  FOOTPRINT_RADIUS,
  RF_LAG_FRAMES,
  RF_RATE_HZ,
  type PlacedUnit,
  type SynthMovie,
  type Timeline,
  type UnitTruth,
  buildAnalogChannels,
  buildTimeline,
  generateSpikes,
  placeUnits,
  spatialWeight,
  spikeTimeCourse,
} from './syntheticModel'

export const TYPE_ID = {
  root: 'cabb6cdd-47e0-417a-8e04-5664cbbc449b',
  acquisition: '650d88ce-9f24-4b20-ac2b-254defd12761',
  channelStream: '9217aeb4-59a0-4d7f-bdcd-0371c9fd66eb',
  channelMeta: '9e8ac9cd-5571-4ee5-bbfa-8e9d9c436daa',
  channelData: '5efe7932-dcfe-49ff-ba53-25accff5d622',
  sensorStream: '15e5a1fe-df2f-421b-8b60-23eeb2213c45',
  sensorMeta: 'ab2aa189-2e72-4148-a2ef-978119223412',
  sensorData: '49da47df-f397-4121-b5da-35317a93e705',
  spikeSorter: '7263d1b7-f57a-42de-8f51-5d6326d22f2a',
  unit: '0e5a97df-9de0-4a22-ab8c-54845c1ff3b9',
  units: '7cffd022-c99e-42c2-b9f7-f79be7b4dfe6',
  projectionMatrix: '3fa908a3-fac9-4a80-96a1-310d9bcdf617',
  peaks: '147721c1-1ca8-4a16-b697-08fbefddc180',
  roiStas: '58c6e2a7-281c-4ace-884c-69f706bbc75e',
  source: '4b383ee7-f561-4dbd-abc9-1c0bf831c02c',
  unmixing: '1dc2e95d-f66e-4a95-b3f9-a40da9533601',
  unitInfo: 'ae5e3dbc-cca6-4565-8647-e681821a1801',
} as const

export interface GeneratorOptions {
  /** Output folder (created) and file stem: writes <stem>.cmcr, <stem>-.cmtr, <stem>.truth.json. */
  dir: string
  stem: string
  seed?: number
  /** Sampling rate in Hz; 1e6 / rate must be a whole number of µs (the Tick). Default 20000. */
  samplingRate?: number
  /** Length of the analog (light) channels, i.e. the recording, in seconds. */
  analogDurationS: number
  /** Length of the sensor movie from time 0, in seconds (0 = a sensor dataset of one frame). */
  sensorDurationS: number
  nUnits: number
  /** Units 1..rfUnits get a receptive field in the noise movie (default: half of the units). */
  rfUnits?: number
  baseRateHz?: number
  /** IncludePeak = 0 peaks added per included spike (default 0.15). */
  excludedFraction?: number
  cutoutLength?: number
  fps?: number
  playlist?: SynthMovie[]
  analogSteps?: { count: number; durationS: number; firstDelayS: number; intervalS: number }
  noiseSize?: number
  /** Where the noise movie .npy is written (default: dir). */
  stimulusDir?: string
  /** Override the .cmtr's LB.RecordingDuration (µs) to make a mismatched pair. */
  cmtrRecordingDurationUs?: number
  /** Include every unit's spike times in the truth JSON (default true). */
  truthSpikes?: boolean
  sensorNoiseSd?: number
  /** Unit numbers that get an empty Peaks table (a sorter unit without peaks). */
  silentUnits?: number[]
}

export interface GeneratedRecording {
  cmcrPath: string
  cmtrPath: string
  truthPath: string
  npyPath: string | null
  truth: RecordingTruth
}

export interface RecordingTruth {
  seed: number
  samplingRate: number
  tickUs: number
  nSamples: number
  recordingDurationUs: number
  sensorFrames: number
  sensorGrid: number
  sensorAxisOrder: 'time,col,row'
  footprint: { pre: number; post: number; radius: number; timeCourse: string; spatial: string }
  rfModel: { lagFrames: number; patch: string; rateHz: string }
  frameTimestamps: number[]
  droppedPulseEdges: number[]
  sections: Array<{ movie: string; startFrame: number; endFrame: number; contentStartFrame: number; frames: number }>
  analogOnsets: number[]
  analogStepSamples: number
  /** file: the .npy's name inside the stimulus folder. */
  noiseMovie: { name: string; file: string; frames: number; size: number } | null
  units: Array<
    PlacedUnit & {
      id: string
      nPeaks: number
      nIncluded: number
      spikeTimesUs?: number[]
      include?: number[]
      meanWaveform: number[]
      ratesPerMovie: Record<string, number>
    }
  >
}

const GRID = 65

/** The columns ChannelMeta and SensorMeta share, between their own id columns and their own extras. */
const STREAM_META_FIELDS: CompoundField[] = [
  { name: 'GroupID', dtype: '<i' },
  { name: 'Label', dtype: 'A16' },
  { name: 'Unit', dtype: 'A4' },
  { name: 'Exponent', dtype: '<i' },
  { name: 'ADZero', dtype: '<i' },
  { name: 'Tick', dtype: '<q' },
]
const SENSOR_SLAB_FRAMES = 1024
const SENSOR_CHUNK_FRAMES = 64
const SOURCE_CHUNK = 65536
const ROI = 9
const EMBEDDING = 4

const UNIT_INFO_FIELDS: CompoundField[] = [
  { name: 'UnitID', dtype: '<i' },
  { name: 'SensorID', dtype: '<i' },
  { name: 'Row', dtype: '<i' },
  { name: 'Column', dtype: '<i' },
  { name: 'RoiID', dtype: '<i' },
  { name: 'SDScore', dtype: '<d' },
  { name: 'AmplitudeSD', dtype: '<d' },
  { name: 'RSTD', dtype: '<d' },
  { name: 'Separability', dtype: '<d' },
  { name: 'IsoINN', dtype: '<d' },
  { name: 'IsoIBg', dtype: '<d' },
  { name: 'NoiseStd', dtype: '<d' },
  { name: 'SNR', dtype: '<d' },
  { name: 'Skewness', dtype: '<d' },
  { name: 'Kurtosis', dtype: '<d' },
  { name: 'IcaConverged', dtype: '<i' },
  { name: 'IcaIterations', dtype: '<i' },
]

function unitInfoValues(u: UnitTruth, noiseSd: number): Array<number> {
  return [u.unitNum, u.sensorId, u.row, u.col, u.unitNum, 1.5, 0.1 * u.amplitude, 0.2, 0.9, 0.8, 0.7, noiseSd, u.amplitude / noiseSd, -1.2, 4.5, 1, 12]
}

/** µs timestamp of a sample index (From = 0). */
const usOf = (sample: number, tickUs: number) => sample * tickUs

async function atomicWrite(final: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${final}.tmp-${process.pid}-${Date.now()}`
  try {
    await write(tmp)
    await rename(tmp, final)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

export async function generateRecording(opts: GeneratorOptions): Promise<GeneratedRecording> {
  await h5ready()
  const seed = opts.seed ?? 1
  const rate = opts.samplingRate ?? 20000
  const tickUs = 1e6 / rate
  if (!Number.isInteger(tickUs)) throw new RangeError(`samplingRate ${rate} Hz gives a Tick of ${tickUs} µs; it must be whole`)
  const nSamples = Math.round(opts.analogDurationS * rate)
  const sensorFrames = Math.max(1, Math.min(nSamples, Math.round(opts.sensorDurationS * rate)))
  const playlist = opts.playlist ?? []
  const noiseSize = opts.noiseSize ?? 15
  const cutoutLength = opts.cutoutLength ?? 32
  const noiseSd = opts.sensorNoiseSd ?? 8
  await mkdir(opts.dir, { recursive: true })

  const timeline = buildTimeline({
    rate,
    nSamples,
    fps: opts.fps ?? 60.5,
    leadInSamples: Math.round(0.25 * rate),
    playlist,
    analogSteps: opts.analogSteps,
    noiseSize,
    seed,
  })
  const placed = placeUnits(opts.nUnits, GRID, opts.rfUnits ?? Math.ceil(opts.nUnits / 2), noiseSize, seed, opts.baseRateHz ?? 4)
  const silent = new Set(opts.silentUnits ?? [])
  const units: UnitTruth[] = placed.map((u) =>
    silent.has(u.unitNum)
      ? { ...u, peakSamples: new Float64Array(0), include: new Uint8Array(0) }
      : { ...u, ...generateSpikes(timeline, playlist, u, opts.excludedFraction ?? 0.15, seed) },
  )

  const cmcrPath = join(opts.dir, `${opts.stem}.cmcr`)
  const cmtrPath = join(opts.dir, `${opts.stem}-.cmtr`)
  const truthPath = join(opts.dir, `${opts.stem}.truth.json`)
  const durationUs = nSamples * tickUs

  await atomicWrite(cmcrPath, (tmp) => writeCmcr(tmp, `${opts.stem}.cmcr`, { seed, tickUs, timeline, units, sensorFrames, durationUs, noiseSd }))
  const cutoutMeans = new Map<number, Float64Array>()
  await atomicWrite(cmtrPath, (tmp) =>
    writeCmtr(tmp, `${opts.stem}-.cmtr`, `${opts.stem}.cmcr`, {
      seed,
      tickUs,
      units,
      nSamples,
      cutoutLength,
      durationUs: opts.cmtrRecordingDurationUs ?? durationUs,
      noiseSd,
      cutoutMeans,
    }),
  )

  let npyPath: string | null = null
  if (timeline.noiseMovie) {
    const stimDir = opts.stimulusDir ?? opts.dir
    await mkdir(stimDir, { recursive: true })
    npyPath = join(stimDir, `${timeline.noiseMovie.name}.npy`)
    const nm = timeline.noiseMovie
    await atomicWrite(npyPath, (tmp) => writeNpyUint8(tmp, nm.data, [nm.frames, nm.size, nm.size]))
  }

  const truth = buildTruth(opts, seed, rate, tickUs, timeline, units, sensorFrames, cutoutMeans, npyPath)
  await atomicWrite(truthPath, (tmp) => writeFile(tmp, JSON.stringify(truth)))
  return { cmcrPath, cmtrPath, truthPath, npyPath, truth }
}

function buildTruth(
  opts: GeneratorOptions,
  seed: number,
  rate: number,
  tickUs: number,
  t: Timeline,
  units: UnitTruth[],
  sensorFrames: number,
  cutoutMeans: Map<number, Float64Array>,
  npyPath: string | null,
): RecordingTruth {
  const withSpikes = opts.truthSpikes ?? true
  return {
    seed,
    samplingRate: rate,
    tickUs,
    nSamples: t.nSamples,
    recordingDurationUs: t.nSamples * tickUs,
    sensorFrames,
    sensorGrid: GRID,
    sensorAxisOrder: 'time,col,row',
    footprint: {
      pre: FOOTPRINT_PRE,
      post: FOOTPRINT_POST,
      radius: FOOTPRINT_RADIUS,
      timeCourse: 'amplitude * (-exp(-k^2/(2*1.2^2)) + 0.3*exp(-(k-5)^2/(2*3^2))), k = sample - spike sample in [-pre, post)',
      spatial: 'exp(-sqrt(dRow^2 + dCol^2) / 1.2) for |dRow|,|dCol| <= radius; added to SensorData[t, col-1, row-1] (1-based row/col)',
    },
    rfModel: { lagFrames: RF_LAG_FRAMES, patch: '3x3 centred on rfCentre (x = column, y = row, 0-based) of the frame shown lagFrames earlier', rateHz: `${RF_RATE_HZ} * p^2 + 0.5, p = white fraction of the patch` },
    frameTimestamps: Array.from(t.frameTimestamps),
    droppedPulseEdges: Array.from(t.pulseEdges.subarray(0, 4), (e) => e - 1),
    sections: t.sections,
    analogOnsets: t.analogOnsets,
    analogStepSamples: t.analogStepSamples,
    noiseMovie: t.noiseMovie && npyPath ? { name: t.noiseMovie.name, file: basename(npyPath), frames: t.noiseMovie.frames, size: t.noiseMovie.size } : null,
    units: units.map((u) => {
      const nIncluded = u.include.reduce((a, b) => a + b, 0)
      const ratesPerMovie: Record<string, number> = {}
      for (const sec of t.sections) {
        const a = t.frameTimestamps[sec.contentStartFrame]
        const bFrame = sec.contentStartFrame + sec.frames
        const b = bFrame < t.frameTimestamps.length ? t.frameTimestamps[bFrame] : t.nSamples
        let c = 0
        for (let i = 0; i < u.peakSamples.length; i++) if (u.include[i] && u.peakSamples[i] >= a && u.peakSamples[i] < b) c++
        ratesPerMovie[sec.movie] = c / ((b - a) / rate)
      }
      return {
        id: `unit_${String(u.unitNum).padStart(3, '0')}`,
        unitNum: u.unitNum,
        row: u.row,
        col: u.col,
        sensorId: u.sensorId,
        amplitude: u.amplitude,
        onCell: u.onCell,
        baseRateHz: u.baseRateHz,
        rfCentre: u.rfCentre,
        nPeaks: u.peakSamples.length,
        nIncluded,
        ...(withSpikes ? { spikeTimesUs: Array.from(u.peakSamples, (s) => usOf(s, tickUs)), include: Array.from(u.include) } : {}),
        meanWaveform: Array.from(cutoutMeans.get(u.unitNum) ?? []),
        ratesPerMovie,
      }
    }),
  }
}

// ---------- .cmcr ----------

interface CmcrInput {
  seed: number
  tickUs: number
  timeline: Timeline
  units: UnitTruth[]
  sensorFrames: number
  durationUs: number
  noiseSd: number
}

function rootAttrs(file: Group, rng: Rng, instance: string, program: string, version: string, durationUs: number): void {
  identity(file, 'McsData', TYPE_ID.root, instance, rng)
  numAttr(file, 'FileVersion', 1, '<i')
  strAttr(file, 'DateTime', '24.11.2026 06:00:00')
  strAttr(file, 'ProgramName', program)
  strAttr(file, 'ProgramVersion', version)
  numAttr(file, 'LB.RecordingDuration', durationUs, '<q')
}

async function writeCmcr(path: string, instance: string, inp: CmcrInput): Promise<void> {
  const rng = new Rng(inp.seed ^ 0xc3c7)
  const file = new h5wasm.File(path, 'w')
  try {
    rootAttrs(file, rng, instance, 'CMOS-MEA-Control', '2.0.0.0', inp.durationUs)
    const acq = file.create_group('Acquisition')
    identity(acq, 'Acquisition', TYPE_ID.acquisition, 'Acquisition', rng)
    timeSpanAttrs(acq, inp.durationUs)

    // Analog Data
    const analog = acq.create_group('Analog Data')
    identity(analog, 'ChannelStream', TYPE_ID.channelStream, 'Analog Data', rng)
    strAttr(analog, 'SubType', 'Auxiliary')
    const { ch1, ch2 } = buildAnalogChannels(inp.timeline, inp.seed)
    const n = inp.timeline.nSamples
    const both = new Int32Array(2 * n)
    both.set(ch1, 0)
    both.set(ch2, n)
    const cd = analog.create_dataset({ name: 'ChannelData 1', data: both, shape: [2, n], dtype: '<i' })
    identity(cd, 'ChannelData', TYPE_ID.channelData, 'ChannelData 1', rng)
    timeSpanAttrs(cd, inp.durationUs)
    const cmFields: CompoundField[] = [
      { name: 'ChannelID', dtype: '<i' },
      { name: 'RowIndex', dtype: '<i' },
      ...STREAM_META_FIELDS,
      { name: 'ConversionFactor', dtype: '<q' },
      { name: 'RawDataType', dtype: 'A8' },
    ]
    const labels = ['Light', 'FrameSync']
    const cm = writeCompoundTable(analog, 'ChannelMeta', cmFields, 2, (r, f) => [r + 1, r, 1, labels[r], 'V', -9, 0, inp.tickUs, 1, 'Int'][f])
    identity(cm, 'ChannelMeta', TYPE_ID.channelMeta, 'ChannelMeta', rng)

    // Sensor Data
    const sensor = acq.create_group('Sensor Data')
    identity(sensor, 'SensorStream', TYPE_ID.sensorStream, 'Sensor Data', rng)
    strAttr(sensor, 'SubType', 'CMosSensor')
    const factors = Array.from({ length: GRID * GRID }, () => '1 ').join('')
    const smFields: CompoundField[] = [
      { name: 'RegionID', dtype: '<i' },
      ...STREAM_META_FIELDS,
      { name: 'RegionLeft', dtype: '<i' },
      { name: 'RegionTop', dtype: '<i' },
      { name: 'RegionRight', dtype: '<i' },
      { name: 'RegionBottom', dtype: '<i' },
      { name: 'SensorSpacing', dtype: '<i' },
      { name: 'RawDataType', dtype: 'A8' },
      { name: 'Conversion Factors', dtype: `A${factors.length + 1}` },
    ]
    const sm = writeCompoundTable(sensor, 'SensorMeta', smFields, 1, (_r, f) =>
      [1, 1, 'Sensor', 'V', -9, 0, inp.tickUs, 1, 1, GRID, GRID, 16, 'Short', factors][f],
    )
    identity(sm, 'SensorMeta', TYPE_ID.sensorMeta, 'SensorMeta', rng)
    writeSensorData(sensor, inp, rng)
  } finally {
    file.close()
  }
}

/** Writes SensorData 1 1 slab by slab: table noise plus each included spike's footprint. */
function writeSensorData(sensor: Group, inp: CmcrInput, rng: Rng): void {
  const frameSize = GRID * GRID
  const T = inp.sensorFrames
  // A table of Gaussian noise read at a random offset per frame is much faster than a draw per value.
  const noiseRng = new Rng(inp.seed ^ 0x5e45)
  const TABLE = 1 << 20
  const table = new Int16Array(TABLE + frameSize)
  for (let i = 0; i < table.length; i++) table[i] = Math.round(noiseRng.normal() * inp.noiseSd)
  // Footprint stamps per unit: (frames PRE+POST) x (2R+1)^2 offsets.
  const R = FOOTPRINT_RADIUS
  const stamps = inp.units.map((u) => {
    const cells: Array<{ idx: number; w: number }> = []
    for (let dr = -R; dr <= R; dr++) {
      for (let dc = -R; dc <= R; dc++) {
        const row = u.row + dr
        const col = u.col + dc
        if (row < 1 || row > GRID || col < 1 || col > GRID) continue
        cells.push({ idx: (col - 1) * GRID + (row - 1), w: spatialWeight(dr, dc) })
      }
    }
    const spikes = [] as number[]
    for (let i = 0; i < u.peakSamples.length; i++) if (u.include[i] && u.peakSamples[i] - FOOTPRINT_PRE < T) spikes.push(u.peakSamples[i])
    return { u, cells, spikes }
  })
  let ds: ReturnType<Group['create_dataset']> | null = null
  for (let t0 = 0; t0 < T; t0 += SENSOR_SLAB_FRAMES) {
    const t1 = Math.min(T, t0 + SENSOR_SLAB_FRAMES)
    const nf = t1 - t0
    const slab = new Int16Array(nf * frameSize)
    for (let f = 0; f < nf; f++) {
      const off = noiseRng.int(0, TABLE)
      slab.set(table.subarray(off, off + frameSize), f * frameSize)
    }
    for (const { u, cells, spikes } of stamps) {
      for (const s of spikes) {
        const ka = Math.max(-FOOTPRINT_PRE, t0 - s)
        const kb = Math.min(FOOTPRINT_POST, t1 - s)
        for (let k = ka; k < kb; k++) {
          const base = (s + k - t0) * frameSize
          const g = u.amplitude * spikeTimeCourse(k)
          for (const c of cells) {
            const v = slab[base + c.idx] + Math.round(g * c.w)
            slab[base + c.idx] = v > 32767 ? 32767 : v < -32768 ? -32768 : v
          }
        }
      }
    }
    if (!ds) {
      ds = sensor.create_dataset({
        name: 'SensorData 1 1',
        data: slab,
        shape: [nf, GRID, GRID],
        dtype: '<h',
        maxshape: [null, GRID, GRID],
        chunks: [Math.min(SENSOR_CHUNK_FRAMES, nf), GRID, GRID],
      })
    } else {
      ds.resize([t1, GRID, GRID])
      ds.write_slice([[t0, t1], [], []], slab)
    }
  }
  identity(ds!, 'SensorData', TYPE_ID.sensorData, 'SensorData 1 1', rng)
  numAttr(ds!, 'RegionID', 1, '<i')
  numAttr(ds!, 'GroupID', 1, '<i')
  timeSpanAttrs(ds!, T * inp.tickUs)
}

// ---------- .cmtr ----------

interface CmtrInput {
  seed: number
  tickUs: number
  units: UnitTruth[]
  nSamples: number
  cutoutLength: number
  durationUs: number
  noiseSd: number
  cutoutMeans: Map<number, Float64Array>
}

async function writeCmtr(path: string, instance: string, cmcrName: string, inp: CmtrInput): Promise<void> {
  const rng = new Rng(inp.seed ^ 0xc37e)
  const file = new h5wasm.File(path, 'w')
  try {
    rootAttrs(file, rng, instance, 'CMOS-MEA-Tools', '2.4.0.0', inp.durationUs)
    file.create_external_link(cmcrName, '/Acquisition', 'Acquisition')
    const sorter = file.create_group('Spike Sorter')
    identity(sorter, 'SpikeSorter', TYPE_ID.spikeSorter, 'Spike Sorter', rng)

    const table = writeCompoundTable(sorter, 'Units', UNIT_INFO_FIELDS, inp.units.length, (r, f) => unitInfoValues(inp.units[r], inp.noiseSd)[f])
    identity(table, 'Units', TYPE_ID.units, 'Units', rng)
    const nu = Math.max(1, inp.units.length)
    const proj = new Float32Array(EMBEDDING * nu * ROI)
    for (let i = 0; i < proj.length; i++) proj[i] = rng.normal() * 0.1
    const pm = sorter.create_dataset({ name: 'Projection Matrix', data: proj, shape: [EMBEDDING, nu, ROI], dtype: '<f' })
    identity(pm, 'Projection Matrix', TYPE_ID.projectionMatrix, 'Projection Matrix', rng)

    const K = inp.cutoutLength
    const pre = Math.floor(K / 4)
    const peakFields: CompoundField[] = [
      { name: 'Timestamp', dtype: '<q' },
      { name: 'PeakAmplitude', dtype: '<d' },
      { name: 'IncludePeak', dtype: '<h' },
      ...Array.from({ length: K }, (_, k) => ({ name: String(k + 1), dtype: '<d' as const })),
    ]
    const { offsets, rowSize } = compoundLayout(peakFields)
    const course = Array.from({ length: K }, (_, k) => spikeTimeCourse(k - pre))

    for (const u of inp.units) {
      const g = sorter.create_group(`Unit ${u.unitNum}`)
      identity(g, 'SingleUnit', TYPE_ID.unit, `Unit ${u.unitNum}`, rng)
      numAttr(g, 'UnitID', u.unitNum, '<i')
      numAttr(g, 'SensorID', u.sensorId, '<i')
      numAttr(g, 'Row', u.row, '<i')
      numAttr(g, 'Column', u.col, '<i')

      const n = u.peakSamples.length
      const bytes = new Uint8Array(rowSize * n)
      const view = new DataView(bytes.buffer)
      const mean = new Float64Array(K)
      let nInc = 0
      const urng = new Rng(inp.seed ^ (u.unitNum * 104729))
      for (let i = 0; i < n; i++) {
        const r = i * rowSize
        const inc = u.include[i]
        const amp = inc ? u.amplitude * (1 + 0.1 * urng.normal()) : u.amplitude * 0.35 * (1 + 0.1 * urng.normal())
        putField(view, r + offsets[0], '<q', u.peakSamples[i] * inp.tickUs)
        let peak = Infinity
        for (let k = 0; k < K; k++) {
          const v = amp * course[k] + urng.normal() * 3
          view.setFloat64(r + offsets[3 + k], v, true)
          if (v < peak) peak = v
          if (inc) mean[k] += v
        }
        view.setFloat64(r + offsets[1], peak, true)
        view.setInt16(r + offsets[2], inc, true)
        if (inc) nInc++
      }
      if (nInc > 0) for (let k = 0; k < K; k++) mean[k] /= nInc
      inp.cutoutMeans.set(u.unitNum, nInc > 0 ? mean : new Float64Array(0))
      const peaks = createCompoundDataset(g, 'Peaks', peakFields, bytes, n)
      identity(peaks, 'Peaks', TYPE_ID.peaks, 'Peaks', rng)
      numAttr(peaks, 'AmplitudeThreshold', -5 * inp.noiseSd, '<d')
      numAttr(peaks, 'Tick', inp.tickUs, '<q')

      const info = writeCompoundTable(g, 'Unit Info', UNIT_INFO_FIELDS, 1, (_r, f) => unitInfoValues(u, inp.noiseSd)[f])
      identity(info, 'Unit Info', TYPE_ID.unitInfo, 'Unit Info', rng)

      const roi = new Float32Array(ROI * K)
      const ids: number[] = []
      let j = 0
      for (let dc = -1; dc <= 1; dc++) {
        for (let dr = -1; dr <= 1; dr++) {
          ids.push(65 * (u.col + dc - 1) + (u.row + dr))
          for (let k = 0; k < K; k++) roi[j * K + k] = u.amplitude * spatialWeight(dr, dc) * course[k]
          j++
        }
      }
      const rs = g.create_dataset({ name: 'RoiSTAs', data: roi, shape: [ROI, K], dtype: '<f' })
      identity(rs, 'RoiSTAs', TYPE_ID.roiStas, 'RoiSTAs', rng)
      strAttr(rs, 'ChannelIDs', ids.join(' '))

      const src = g.create_dataset({ name: 'Source', data: new Float32Array(1), shape: [1], dtype: '<f', maxshape: [null], chunks: [SOURCE_CHUNK] })
      src.resize([inp.nSamples])
      identity(src, 'Source', TYPE_ID.source, 'Source', rng)

      const unmix = new Float32Array(ROI * EMBEDDING)
      for (let i = 0; i < unmix.length; i++) unmix[i] = rng.normal() * 0.1
      const um = g.create_dataset({ name: 'Unmixing', data: unmix, shape: [ROI, EMBEDDING], dtype: '<f' })
      identity(um, 'Unmixing', TYPE_ID.unmixing, 'Unmixing', rng)
      strAttr(um, 'ChannelIDs', ids.join(' '))
    }
  } finally {
    file.close()
  }
}
