// From full depth to 8 bits, once: 16-bit and float images (PNG, TIFF, PGM, DICOM) keep their values
// until a window is chosen, the DICOM file's own VOI LUT or window where it has one, else a robust
// percentile window of the image; only then are they reduced to 8 bits. An image whose window is
// empty or constant is skipped with a reason, never stored black. Which window each image got is
// counted in the import report.
import { SkipError } from './skip-error.ts'

/** Share of the pixels below the low end and above the high end of the percentile window (per cent). */
export const PERCENTILE_LOW = 0.5
export const PERCENTILE_HIGH = 99.5

/** Where an image's window came from (counted in the import report). */
export type WindowSource = '8-bit' | 'dicom-voi-lut' | 'dicom-window' | 'percentile' | 'min-max'

/** One sentence per window source, for the report. */
export const WINDOW_DESCRIPTIONS: Record<WindowSource, string> = {
  '8-bit': '8-bit image, values kept as they are',
  'dicom-voi-lut': "the DICOM file's VOI LUT",
  'dicom-window': "the DICOM file's window centre and width",
  percentile: `percentile window ${PERCENTILE_LOW}-${PERCENTILE_HIGH}% of the image's values, mapped to 0-255`,
  'min-max': "the image's minimum to maximum (the percentile window was a single value)",
}

/** The window chosen for one image. */
export interface Window {
  source: WindowSource
  /** Value mapped to 0. */
  lo: number
  /** Value mapped to 255. */
  hi: number
}

/** Pixel values at full depth. */
export type Samples = Float32Array | Float64Array | Uint16Array | Int16Array | Uint8Array

/** The k-th smallest value (0-based) without sorting the whole array where the values are 16-bit integers. */
function kth(values: Samples, ks: number[]): number[] {
  if (values instanceof Uint16Array || values instanceof Uint8Array || values instanceof Int16Array) {
    const offset = values instanceof Int16Array ? 32768 : 0
    const hist = new Uint32Array(65536)
    for (let i = 0; i < values.length; i++) hist[values[i]! + offset]!++
    return ks.map((k) => {
      let seen = 0
      for (let v = 0; v < 65536; v++) {
        seen += hist[v]!
        if (seen > k) return v - offset
      }
      return 65535 - offset
    })
  }
  const sorted = Float64Array.from(values).sort()
  return ks.map((k) => sorted[k]!)
}

/**
 * The robust window of an image: the values at PERCENTILE_LOW and PERCENTILE_HIGH per cent, as
 * numpy's `np.percentile(v, PERCENTILE_LOW, method='lower')` and
 * `np.percentile(v, PERCENTILE_HIGH, method='higher')`. When those coincide (a flat image with a
 * few bright pixels) the window widens to the minimum and maximum; a constant image is skipped.
 * NaN and infinite values (float TIFF) take no part and are written as 0.
 */
export function percentileWindow(values: Samples): Window {
  const finite = values instanceof Float32Array || values instanceof Float64Array ? values.filter(Number.isFinite) : values
  const n = finite.length
  if (n === 0) throw new SkipError('empty-window', 'the image holds no finite value (every pixel is NaN or infinite)')
  const [lo, hi] = kth(finite, [Math.floor((PERCENTILE_LOW / 100) * (n - 1)), Math.ceil((PERCENTILE_HIGH / 100) * (n - 1))]) as [number, number]
  if (hi > lo) return { source: 'percentile', lo, hi }
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < n; i++) {
    const v = finite[i]!
    if (v < min) min = v
    if (v > max) max = v
  }
  if (max > min) return { source: 'min-max', lo: min, hi: max }
  throw new SkipError('empty-window', `every pixel of the image has the value ${min}: there is nothing to window, so the image is left out rather than stored as a flat grey or black`)
}

/**
 * Maps values through a linear window to 8 bits: round(clip((v - lo) / (hi - lo), 0, 1) * 255).
 * Skips the image when the window leaves every pixel on one side (the image would be one flat value).
 */
export function applyWindow(values: Samples, w: Window, what = 'the window'): Uint8Array {
  if (!(w.hi > w.lo)) throw new SkipError('empty-window', `${what} is empty (from ${w.lo} to ${w.hi}); the image is left out rather than stored black`)
  const out = new Uint8Array(values.length)
  const scale = 255 / (w.hi - w.lo)
  let min = 255
  let max = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    const y = Number.isFinite(v) ? Math.round(Math.min(255, Math.max(0, (v - w.lo) * scale))) : 0
    out[i] = y
    if (y < min) min = y
    if (y > max) max = y
  }
  if (min === max) throw new SkipError('empty-window', `${what} (${w.lo} to ${w.hi}) leaves every pixel at ${min}: the image's values lie outside it, so the image is left out rather than stored as one flat value`)
  return out
}
