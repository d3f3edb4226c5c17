// DICOM grey images (CBIS-DDSM, INbreast, VinDr-Mammo, RSNA) through dicom-parser: the first frame,
// uncompressed or decoded by the codecs of dicom-codecs.ts; the stored bits only (BitsStored and
// HighBit, so overlay bits in the unused high bits do not count); the modality rescale, checked;
// then the file's VOI LUT or window, else the percentile window of window.ts; MONOCHROME1 inversion;
// 8 bits last.
import { inflateRawSync } from 'node:zlib'
import dicomParser from 'dicom-parser'
import { canDecode, decodeFrame, describeError, NATIVE_SYNTAXES, syntaxName, unsupportedSyntax, type FrameLayout, type FrameSamples } from './dicom-codecs.ts'
import type { GreyImage } from './pgm.ts'
import { SkipError } from './skip-error.ts'
import { applyWindow, percentileWindow, type Window } from './window.ts'

/** Laterality from the header ('L' / 'R'), when present. */
export function dicomLaterality(ds: dicomParser.DataSet): 'L' | 'R' | null {
  const v = (ds.string('x00200062') ?? ds.string('x00200060') ?? '').trim().toUpperCase()
  return v === 'L' || v === 'R' ? v : null
}

/** A decoded DICOM image with what the import report counts. */
export interface DicomImage extends GreyImage {
  laterality: 'L' | 'R' | null
  /** The window that took it to 8 bits. */
  window: Window
  /** Transfer syntax UID. */
  transferSyntax: string
  /** Frames in the file (only the first is imported). */
  frames: number
}

/** Deflated Explicit VR Little Endian: the data set after the file meta group is raw deflate. */
function inflater(byteArray: Uint8Array, position: number): Uint8Array {
  const inflated = inflateRawSync(byteArray.subarray(position))
  const full = new Uint8Array(position + inflated.length)
  full.set(byteArray.subarray(0, position), 0)
  full.set(inflated, position)
  return full
}

/** A DS value: undefined when absent, NaN when present but not a number. */
function decimal(ds: dicomParser.DataSet, tag: string): number | undefined {
  const el = ds.elements[tag]
  if (!el || el.length === 0) return undefined
  const text = (ds.string(tag) ?? '').split('\\')[0]!.trim()
  if (text === '') return undefined
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : NaN
}

/** The stored values of a DICOM file's first frame (BitsStored honoured, no rescale or window yet). */
export interface DicomValues {
  ds: dicomParser.DataSet
  values: Uint16Array | Int16Array | Uint8Array
  rows: number
  cols: number
  transferSyntax: string
  frames: number
  photometric: string
}

/** Decodes the first frame of a grey DICOM file to 8 bits. */
export async function decodeDicom(buf: Buffer): Promise<DicomImage> {
  const { ds, values, rows, cols, transferSyntax: ts, frames, photometric } = await readDicomValues(buf)
  const n = rows * cols
  // Modality rescale (0028,1052-1053): checked, since a slope of 0 or text would flatten the image.
  const slope = decimal(ds, 'x00281053')
  const intercept = decimal(ds, 'x00281052')
  if (slope !== undefined && (!Number.isFinite(slope) || slope === 0)) {
    throw new SkipError('corrupt', `the DICOM Rescale Slope (0028,1053) is "${(ds.string('x00281053') ?? '').trim()}", not a non-zero number; fix the header (a slope of 1 leaves the values as stored) to import the file`)
  }
  if (intercept !== undefined && !Number.isFinite(intercept)) {
    throw new SkipError('corrupt', `the DICOM Rescale Intercept (0028,1052) is "${(ds.string('x00281052') ?? '').trim()}", not a number; fix the header (an intercept of 0 leaves the values as stored) to import the file`)
  }
  const m = slope ?? 1
  const b = intercept ?? 0
  const rescaled = m === 1 && b === 0 ? values : Float32Array.from(values, (v) => v * m + b)

  let out: Uint8Array
  let window: Window
  const lut = voiLut(ds)
  const center = decimal(ds, 'x00281050')
  const width = decimal(ds, 'x00281051')
  if (lut) {
    const top = (1 << lut.bits) - 1
    out = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      const k = Math.min(lut.data.length - 1, Math.max(0, Math.round(rescaled[i]!) - lut.first))
      out[i] = Math.round((lut.data[k]! * 255) / top)
    }
    window = { source: 'dicom-voi-lut', lo: lut.first, hi: lut.first + lut.data.length - 1 }
    let lo = 255
    let hi = 0
    for (const v of out) {
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
    if (lo === hi) throw new SkipError('empty-window', `the DICOM VOI LUT maps every pixel to ${lo}; the image is left out rather than stored as one flat value`)
  } else if (center !== undefined && width !== undefined && Number.isFinite(center) && Number.isFinite(width) && width >= 1) {
    // DICOM PS3.3 C.11.2.1.2.1 linear window: [c - 0.5 - (w-1)/2, c - 0.5 + (w-1)/2] -> [0, 255].
    window = { source: 'dicom-window', lo: center - 0.5 - (width - 1) / 2, hi: center - 0.5 + (width - 1) / 2 }
    out = width === 1 ? Uint8Array.from(rescaled, (v) => (v > center - 0.5 ? 255 : 0)) : applyWindow(rescaled, window, `the DICOM window (centre ${center}, width ${width})`)
  } else {
    // Percentiles of the stored values, moved through the rescale (order-preserving for a positive slope).
    const w = percentileWindow(m > 0 ? values : rescaled)
    window = m > 0 ? { source: w.source, lo: w.lo * m + b, hi: w.hi * m + b } : w
    out = applyWindow(rescaled, window)
  }
  if (photometric === 'MONOCHROME1') for (let i = 0; i < n; i++) out[i] = 255 - out[i]!
  return { width: cols, height: rows, data: out, laterality: dicomLaterality(ds), window, transferSyntax: ts, frames }
}

/** Reads a DICOM file's first frame as stored values. Throws SkipError for files that must be left out. */
export async function readDicomValues(buf: Buffer): Promise<DicomValues> {
  let ds: dicomParser.DataSet
  try {
    ds = dicomParser.parseDicom(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), { inflater } as dicomParser.ParseDicomOptions)
  } catch (e) {
    const msg = describeError(e)
    if (/end of|beyond|buffer over(read|run)|past end|greater than or equal to 'byteArray' length/i.test(msg)) {
      throw new SkipError('truncated', `the DICOM file ends before its data does: it was cut off (copy it again); parser: ${msg}`)
    }
    throw new SkipError('corrupt', `DICOM parse error: ${msg}`)
  }
  // Offsets below refer to the parsed byte array (for a deflated file, the inflated one).
  const bytes = ds.byteArray
  const pixel = ds.elements['x7fe00010']
  if (!pixel || (pixel.length === 0 && !pixel.encapsulatedPixelData)) throw new SkipError('dicom-no-pixel-data', 'the DICOM file has no pixel data (a structured report or presentation state?)')
  const ts = (ds.string('x00020010') ?? '1.2.840.10008.1.2').replace(/\0/g, '').trim()
  const rows = ds.uint16('x00280010') ?? 0
  const cols = ds.uint16('x00280011') ?? 0
  const bitsAllocated = ds.uint16('x00280100') ?? 16
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated
  const highBit = ds.uint16('x00280102') ?? bitsStored - 1
  const signed = (ds.uint16('x00280103') ?? 0) === 1
  const spp = ds.uint16('x00280002') ?? 1
  const frames = Math.max(1, Number.parseInt(ds.string('x00280008') ?? '1', 10) || 1)
  const photometric = (ds.string('x00280004') ?? 'MONOCHROME2').trim()
  if (spp !== 1 || !photometric.startsWith('MONOCHROME')) throw new SkipError('unsupported-format', `colour DICOM (${photometric}, ${spp} samples per pixel) is not a grey radiograph`)
  if (bitsAllocated !== 8 && bitsAllocated !== 16) throw new SkipError('unsupported-format', `DICOM with ${bitsAllocated} bits allocated is not supported (8 or 16 are)`)
  if (!(bitsStored >= 1 && bitsStored <= bitsAllocated && highBit >= bitsStored - 1 && highBit < bitsAllocated)) {
    throw new SkipError('corrupt', `the DICOM header gives Bits Stored ${bitsStored} and High Bit ${highBit} for ${bitsAllocated} bits allocated, which cannot be`)
  }
  const n = rows * cols
  if (n === 0) throw new SkipError('corrupt', 'the DICOM header gives an empty image')
  const layout: FrameLayout = { rows, cols, bitsAllocated, signed }

  let stored: FrameSamples
  const compressed = !!pixel.encapsulatedPixelData || !NATIVE_SYNTAXES.has(ts)
  if (compressed) {
    if (!canDecode(ts)) throw unsupportedSyntax(ts)
    stored = await decodeFrame(ts, firstFrame(ds, pixel, ts, frames), layout)
    if (stored.length < n) throw new SkipError('corrupt', `the ${syntaxName(ts)} frame holds ${stored.length} of ${n} pixels`)
  } else {
    const size = bitsAllocated / 8
    if (pixel.length < n * size || pixel.dataOffset + n * size > bytes.length) {
      throw new SkipError('truncated', `the DICOM pixel data is truncated (${Math.min(pixel.length, bytes.length - pixel.dataOffset)} of ${n * size} bytes)`)
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset + pixel.dataOffset, n * size)
    const big = ts === '1.2.840.10008.1.2.2'
    if (size === 1) stored = bytes.slice(pixel.dataOffset, pixel.dataOffset + n)
    else {
      stored = new Uint16Array(n)
      for (let i = 0; i < n; i++) stored[i] = view.getUint16(2 * i, !big)
    }
  }

  const values: Uint16Array | Int16Array | Uint8Array = signed ? new Int16Array(n) : bitsAllocated === 8 && bitsStored === 8 ? new Uint8Array(n) : new Uint16Array(n)
  const top = signed ? 2 ** (bitsStored - 1) - 1 : 2 ** bitsStored - 1
  const bottom = signed ? -(2 ** (bitsStored - 1)) : 0
  if (compressed) {
    // A codec returns the image's values (no overlay bits travel in a compressed stream); a lossy one
    // may overshoot the stored range by a little, which is clipped, not wrapped round.
    for (let i = 0; i < n; i++) {
      let v = stored[i]!
      if (!signed && bitsAllocated === 16 && stored instanceof Uint16Array && v >= 0x8000 && bitsStored < 16) v = bottom
      values[i] = Math.min(top, Math.max(bottom, v))
    }
  } else {
    // Only the stored bits: bits above High Bit hold overlays (or nothing) and must not count.
    const shift = highBit + 1 - bitsStored
    const mask = 2 ** bitsStored - 1
    const sign = 2 ** (bitsStored - 1)
    for (let i = 0; i < n; i++) {
      let v = ((stored[i]! & 0xffff) >> shift) & mask
      if (signed && v & sign) v -= 2 * sign
      values[i] = v
    }
  }

  return { ds, values, rows, cols, transferSyntax: ts, frames, photometric }
}

/** JPEG SOI or JPEG 2000 SOC + SIZ: where a codestream (a frame) begins. */
function startsFrame(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0xff && (b[1] === 0xd8 || (b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51))
}

/**
 * The bytes of the first frame of encapsulated pixel data: by the Basic Offset Table where there is
 * one; else, for a single frame, every fragment; else the first fragment and those after it up to
 * the next that opens a codestream (one fragment per frame in most files).
 */
function firstFrame(ds: dicomParser.DataSet, pixel: dicomParser.Element, ts: string, frames: number): Uint8Array {
  try {
    const fragments = pixel.fragments ?? []
    if (!fragments.length) throw new Error('there are no fragments')
    if ((pixel.basicOffsetTable?.length ?? 0) > 0) return dicomParser.readEncapsulatedImageFrame(ds, pixel, 0)
    if (frames === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixel, 0, fragments.length)
    if (fragments.length === frames) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixel, 0, 1)
    let count = 1
    while (count < fragments.length) {
      const f = fragments[count]!
      if (startsFrame(ds.byteArray.subarray(f.position, f.position + 4))) break
      count++
    }
    return dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixel, 0, count)
  } catch (e) {
    throw new SkipError('corrupt', `the ${syntaxName(ts)} pixel data cannot be split into frames (${describeError(e)})`)
  }
}

/** The first VOI LUT of the VOI LUT Sequence (0028,3010), when present. */
function voiLut(ds: dicomParser.DataSet): { first: number; bits: number; data: Uint16Array } | null {
  const item = ds.elements['x00283010']?.items?.[0]?.dataSet
  if (!item) return null
  const count = item.uint16('x00283002', 0) || 65536
  const first = item.uint16('x00283002', 1) ?? 0
  const bits = item.uint16('x00283002', 2) ?? 16
  const el = item.elements['x00283006']
  if (!el) return null
  const data = new Uint16Array(count)
  const step = el.length >= count * 2 ? 2 : 1
  for (let i = 0; i < count; i++) data[i] = step === 2 ? item.byteArray[el.dataOffset + 2 * i]! | (item.byteArray[el.dataOffset + 2 * i + 1]! << 8) : item.byteArray[el.dataOffset + i]!
  return { first, bits, data }
}
