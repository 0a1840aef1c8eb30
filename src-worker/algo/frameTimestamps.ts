// Frame timestamps from the frame-sync channel (docs/algorithms.md §1.1, hdmea get_frame_timestamps):
// normalise by the 99.9th percentile (numpy 'linear') when it is > 0, take the first difference,
// keep find_peaks maxima with height >= 0.1, drop the first 4 when there are more than 4.
// Arithmetic follows numpy >= 2 on a float32 signal: np.percentile returns a float64 scalar, and under
// NEP 50 float32 / float64-scalar is float64, so the quotient and the difference are float64 (numpy 1.x
// kept float32 here; see docs/DIFFERENCES.md).

import { percentileLinear } from '../dsp/percentile'

export interface FrameTimestampOptions {
  normalizePercentile?: number
  peakHeight?: number
  excludeInitialFrames?: number
}

/** np.diff(signal / p) in float64, or np.diff(signal) in the signal's float32 when p <= 0. */
export function normalisedDiff(signal: ArrayLike<number>, p: number): Float64Array {
  const n = signal.length
  const d = new Float64Array(Math.max(0, n - 1))
  if (n < 2) return d
  const scale = p > 0 ? p : 1
  let prev = signal[0] / scale
  for (let i = 1; i < n; i++) {
    const cur = signal[i] / scale
    d[i - 1] = p > 0 ? cur - prev : Math.fround(cur - prev)
    prev = cur
  }
  return d
}

/**
 * Local maxima >= height of d = np.diff(signal / p), found in one pass without materialising d
 * (the same scan as dsp/findPeaks localMaxima, on values computed on the fly).
 */
function diffPeaks(signal: Float32Array, p: number, height: number): number[] {
  const n = signal.length
  const N = n - 1 // length of d
  const peaks: number[] = []
  if (N < 3) return peaks
  const scaled = p > 0
  const scale = scaled ? p : 1
  const dAt = (j: number): number => (scaled ? signal[j + 1] / scale - signal[j] / scale : Math.fround(signal[j + 1] - signal[j]))
  let prev = dAt(0)
  let cur = dAt(1)
  let i = 1
  while (i < N - 1) {
    const next = dAt(i + 1)
    if (cur >= height && prev < cur) {
      let ahead = i + 1
      let aheadV = next
      while (ahead < N - 1 && aheadV === cur) {
        ahead++
        aheadV = dAt(ahead)
      }
      if (aheadV < cur) {
        peaks.push((i + ahead - 1) >> 1)
        // continue after the plateau: scipy sets i = ahead, then i += 1
        i = ahead + 1
        if (i >= N - 1) break
        prev = aheadV
        cur = dAt(i)
        continue
      }
    }
    prev = cur
    cur = next
    i++
  }
  return peaks
}

/** Sample index (the sample before each rising edge) of every detected display frame. */
export function detectFrameTimestamps(signal: Float32Array, options: FrameTimestampOptions = {}): Float64Array {
  const q = options.normalizePercentile ?? 99.9
  const height = options.peakHeight ?? 0.1
  const exclude = options.excludeInitialFrames ?? 4
  if (signal.length < 3) return new Float64Array(0)
  const p = percentileLinear(signal, q)
  const peaks = diffPeaks(signal, p, height)
  const kept = peaks.length > exclude ? peaks.slice(exclude) : peaks
  return Float64Array.from(kept)
}
