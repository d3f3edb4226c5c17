// One file -> one cache row: decode (sharp, or the PGM/DICOM readers), convert to grey or RGB
// correctly, resize by an explicit policy (never stretched), optionally flip a mammogram so the
// breast faces one way. Returns exactly size*size*channels bytes.
import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import sharp from 'sharp'
import { decodeDicom } from './dicom.ts'
import { decodePgm } from './pgm.ts'
import { SkipError } from './skip-error.ts'
import { applyWindow, percentileWindow, type Samples, type WindowSource } from './window.ts'

/** How a non-square image becomes a square cache row. `crop-foreground` (mammograms): cut to the
 *  bounding box of the foreground (the breast) first, then fit into the square; what padding is
 *  left is black and the engine's pretext crops leave it out. */
export type ResizePolicy = 'shorter-side-center-crop' | 'pad-square' | 'crop-foreground'

/** One sentence per policy, for the import report. */
export const POLICY_DESCRIPTIONS: Record<ResizePolicy, string> = {
  'shorter-side-center-crop': 'shorter side scaled to the size, centre crop',
  'pad-square': 'longer side scaled to the size, padded with black to a square',
  'crop-foreground': 'cropped to the foreground (breast) bounding box, then fitted in a square; pretext crops leave out the padding',
}

/** A pixel brighter than this fraction of the image's maximum is foreground (tissue, not background). */
const FOREGROUND_FRACTION = 0.1
/** Rows/columns with fewer foreground pixels than this fraction of their length are background (noise, thin artefacts). */
const FOREGROUND_LINE_FRACTION = 0.01

/** Extensions the importers pick up; anything else in an image folder is reported as unsupported. */
export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.pgm', '.dcm', '.dicom', '.tif', '.tiff', '.webp'])

/** What to make of each file. */
export interface DecodeOptions {
  /** Output side in pixels. */
  size: number
  /** 1 = grey, 3 = RGB. */
  channels: 1 | 3
  /** Resize policy (recorded in meta.json). */
  policy: ResizePolicy
  /** Mirror images whose breast lies on the right so all face left (mammograms). */
  lateralityFlip?: boolean
  /** Reads a file's bytes (default readFile); the import passes the PathGuard's open-time check (guarded-read.ts). */
  read?: (file: string) => Promise<Buffer>
}

/** What the decode of one file tells the import report. */
export interface DecodeInfo {
  /** Where the window to 8 bits came from. */
  window: WindowSource
  /** DICOM transfer syntax UID, for DICOM files. */
  transferSyntax?: string
  /** Frames in a multi-frame DICOM file (only the first is imported); absent for one frame. */
  frames?: number
}

export interface RawImage {
  data: Uint8Array
  width: number
  height: number
  channels: number
}

/** Decodes and resizes one file. Throws SkipError for files that must be left out. */
export async function decodeToRow(file: string, opts: DecodeOptions): Promise<Buffer> {
  return (await decodeToRowInfo(file, opts)).row
}

/** decodeToRow with what the import report counts (the window, the DICOM transfer syntax). */
export async function decodeToRowInfo(file: string, opts: DecodeOptions): Promise<{ row: Buffer; info: DecodeInfo }> {
  const buf = await (opts.read ?? readFile)(file).catch((e: NodeJS.ErrnoException) => {
    if (e instanceof SkipError) throw e
    throw new SkipError('unreadable', `cannot read the file (${e.code ?? e.message})`)
  })
  if (buf.length === 0) throw new SkipError('zero-byte', 'the file is empty (0 bytes)')
  const fit = opts.policy === 'shorter-side-center-crop' ? 'cover' : 'contain'
  const direct = opts.channels === 1 && !opts.lateralityFlip && opts.policy !== 'crop-foreground' ? await directGrey(buf, opts.size, fit) : null
  if (direct) return { row: direct, info: { window: '8-bit' } }
  const { img: raw, info } = await decodeFull(file, buf, opts.size)
  const pixels = opts.channels === 1 ? toGrey(raw) : toRgb(raw)
  let pipeline = sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels as 1 | 3 } })
  // Which way the breast faces is judged on the whole film: inside its own box a breast is nearly balanced.
  const faceLeft = opts.lateralityFlip && opts.channels === 1 && opts.policy === 'crop-foreground' ? rightHeavier(pixels) : null
  if (opts.policy === 'crop-foreground') {
    const box = foregroundBox(pixels)
    if (box) {
      // libvips hands grey raw input back as sRGB (three equal channels) unless told to keep it grey:
      // read back with the 1-channel stride, a 3-channel cut is a garbled, stretched third of the film.
      const cut = await (pixels.channels === 1 ? pipeline.extract(box).toColourspace('b-w') : pipeline.extract(box)).raw().toBuffer({ resolveWithObject: true })
      const grey = pixels.channels === 1 && cut.info.channels !== 1 ? firstChannel(cut.data, cut.info.channels) : cut.data
      pipeline = sharp(grey, { raw: { width: cut.info.width, height: cut.info.height, channels: pixels.channels as 1 | 3 } })
    }
  }
  pipeline = pipeline
    .resize({ width: opts.size, height: opts.size, fit, position: 'centre', background: { r: 0, g: 0, b: 0 } })
  // Without this sharp writes grey input back as sRGB (three equal channels): three times the work.
  if (opts.channels === 1) pipeline = pipeline.toColourspace('b-w')
  const out = await pipeline.raw().toBuffer({ resolveWithObject: true })
  // Kept as a guard: whatever sharp returns, a grey row is one channel.
  const row = opts.channels === 1 && out.info.channels !== 1 ? firstChannel(out.data, out.info.channels) : out.data
  if (faceLeft !== null) {
    if (faceLeft) mirror(row, opts.size)
  } else if (opts.lateralityFlip && opts.channels === 1) flipToLeft(row, opts.size)
  return { row, info }
}

/**
 * The common case of an 8-bit grey PNG/JPEG (ChestX-ray14 itself) in one sharp pipeline: no
 * full-size copy into JS and back. Returns null for anything else (colour, alpha, 16 bits, PGM,
 * DICOM), which takes the general path; a file sharp cannot read also goes there, to be classified.
 */
async function directGrey(buf: Buffer, size: number, fit: 'cover' | 'contain'): Promise<Buffer | null> {
  let meta: sharp.Metadata
  try {
    meta = await sharp(buf).metadata()
  } catch {
    return null
  }
  if (meta.channels !== 1 || meta.depth !== 'uchar' || (meta.format !== 'png' && meta.format !== 'jpeg')) return null
  try {
    return await sharp(buf, { failOn: 'warning' })
      .rotate()
      .resize({ width: size, height: size, fit, position: 'centre', background: { r: 0, g: 0, b: 0 } })
      .toColourspace('b-w')
      .raw()
      .toBuffer()
  } catch {
    return null
  }
}

/** The bounding box of the foreground (pixels above FOREGROUND_FRACTION of the maximum, in rows and
 *  columns that hold enough of them), or null when it is the whole image or there is none. */
export function foregroundBox(img: RawImage): { left: number; top: number; width: number; height: number } | null {
  const { data, width, height, channels } = img
  let max = 0
  for (let i = 0; i < data.length; i += channels) if (data[i]! > max) max = data[i]!
  const thr = Math.max(1, max * FOREGROUND_FRACTION)
  const rows = new Uint32Array(height)
  const cols = new Uint32Array(width)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[(y * width + x) * channels]! > thr) {
        rows[y]!++
        cols[x]!++
      }
    }
  }
  const span = (counts: Uint32Array, len: number): [number, number] | null => {
    const need = Math.max(2, Math.ceil(len * FOREGROUND_LINE_FRACTION))
    let a = 0
    while (a < counts.length && counts[a]! < need) a++
    let b = counts.length - 1
    while (b > a && counts[b]! < need) b--
    return a >= counts.length ? null : [a, b + 1]
  }
  const ys = span(rows, width)
  const xs = span(cols, height)
  if (!ys || !xs) return null
  if (ys[0] === 0 && xs[0] === 0 && ys[1] === height && xs[1] === width) return null
  return { left: xs[0], top: ys[0], width: xs[1] - xs[0], height: ys[1] - ys[0] }
}

/**
 * Above this many pixels libvips shrinks the image while decoding (to a shorter side of
 * max(4 x size, 1024)) instead of handing a full-size copy to JS: a small PNG may claim 12000 x 12000
 * pixels, and the full RGB copy plus its grey or RGB conversion took hundreds of MB per decode.
 */
const FULL_DECODE_PIXELS = 16_000_000

async function decodeFull(file: string, buf: Buffer, size: number): Promise<{ img: RawImage; info: DecodeInfo }> {
  const ext = extname(file).toLowerCase()
  const isDicom = ext === '.dcm' || ext === '.dicom' || (buf.length > 132 && buf.toString('latin1', 128, 132) === 'DICM')
  if (isDicom) {
    const img = await decodeDicom(buf)
    return { img: { data: img.data, width: img.width, height: img.height, channels: 1 }, info: { window: img.window.source, transferSyntax: img.transferSyntax, ...(img.frames > 1 ? { frames: img.frames } : {}) } }
  }
  if (ext === '.pgm' || buf.toString('latin1', 0, 2) === 'P5' || buf.toString('latin1', 0, 2) === 'P2') {
    const img = decodePgm(buf)
    return { img: { data: img.data, width: img.width, height: img.height, channels: 1 }, info: { window: img.window.source } }
  }
  try {
    // failOn 'warning' turns a truncated PNG/JPEG into an error instead of a half-grey image.
    const meta = await sharp(buf).metadata().catch(() => null)
    const deep = !!meta?.depth && meta.depth !== 'uchar' && meta.depth !== 'char'
    const grey = (meta?.channels ?? 1) <= 2
    const float = meta?.depth === 'float' || meta?.depth === 'double' || meta?.depth === 'complex' || meta?.depth === 'dpcomplex'
    const space = float ? (grey ? 'b-w' : 'srgb') : grey ? 'grey16' : 'rgb16'
    let pipeline = sharp(buf, { failOn: 'warning', sequentialRead: true })
    // 16-bit and float files stay at their depth through libvips (whose sRGB default would take
    // them to 8 bits first) until the window below.
    pipeline = deep ? pipeline.pipelineColourspace(space).rotate().removeAlpha() : pipeline.rotate()
    if (meta?.width && meta.height && meta.width * meta.height > FULL_DECODE_PIXELS) {
      const side = Math.max(4 * size, 1024)
      pipeline = pipeline.resize({ width: side, height: side, fit: 'outside', withoutEnlargement: true })
    }
    if (!deep) {
      const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true })
      return { img: { data, width: info.width, height: info.height, channels: info.channels }, info: { window: '8-bit' } }
    }
    const { data, info } = await pipeline.toColourspace(space).raw({ depth: float ? 'float' : 'ushort' }).toBuffer({ resolveWithObject: true })
    const samples: Samples = float ? new Float32Array(data.buffer, data.byteOffset, data.length / 4) : new Uint16Array(data.buffer, data.byteOffset, data.length / 2)
    const window = percentileWindow(samples)
    return { img: { data: applyWindow(samples, window), width: info.width, height: info.height, channels: info.channels }, info: { window: window.source } }
  } catch (e) {
    if (e instanceof SkipError) throw e
    const msg = (e as Error).message
    if (/unsupported image format/i.test(msg)) throw new SkipError('unsupported-format', 'the file is not an image format the lab reads (PNG, JPEG, TIFF, WebP, PGM, DICOM)')
    if (/truncat|premature|end of (file|stream)|unexpected end|read error|incomplete/i.test(msg)) throw new SkipError('truncated', `the image is truncated (${firstLine(msg)})`)
    // libvips reports a cut-off file either as an error ("end of stream") or, depending on thread
    // timing, only as a warning that failOn turns into this generic error: both mean the data ends early.
    if (/warning treated as error/i.test(msg)) throw new SkipError('truncated', 'the image data ends early or is damaged (the decoder warned before the last row)')
    throw new SkipError('corrupt', `the image cannot be decoded (${firstLine(msg)})`)
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim()
}

/**
 * Grey from any layout. Alpha is dropped (ChestX-ray14's RGBA files are opaque); an RGB file whose
 * channels are equal (a grey image saved as colour) keeps its values exactly; a real colour image
 * gets Rec. 601 luma.
 */
export function toGrey(img: RawImage): RawImage {
  const { width, height, channels: c, data } = img
  if (c === 1) return img
  const n = width * height
  const out = new Uint8Array(n)
  if (c === 2) {
    for (let i = 0; i < n; i++) out[i] = data[2 * i]!
  } else {
    for (let i = 0; i < n; i++) {
      const r = data[c * i]!
      const g = data[c * i + 1]!
      const b = data[c * i + 2]!
      out[i] = r === g && g === b ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b)
    }
  }
  return { data: out, width, height, channels: 1 }
}

/** RGB from any layout: grey is replicated, alpha dropped. */
export function toRgb(img: RawImage): RawImage {
  const { width, height, channels: c, data } = img
  if (c === 3) return img
  const n = width * height
  const out = new Uint8Array(n * 3)
  for (let i = 0; i < n; i++) {
    if (c <= 2) {
      const v = data[c * i]!
      out[3 * i] = v
      out[3 * i + 1] = v
      out[3 * i + 2] = v
    } else {
      out[3 * i] = data[c * i]!
      out[3 * i + 1] = data[c * i + 1]!
      out[3 * i + 2] = data[c * i + 2]!
    }
  }
  return { data: out, width, height, channels: 3 }
}

function firstChannel(data: Buffer, c: number): Buffer {
  const out = Buffer.alloc(data.length / c)
  for (let i = 0; i < out.length; i++) out[i] = data[c * i]!
  return out
}

/** Whether the right half of a grey image is brighter than its left (the breast lies there). */
function rightHeavier(img: RawImage): boolean {
  const { data, width, height, channels } = img
  let left = 0
  let right = 0
  const half = width >> 1
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < half; x++) left += data[(y * width + x) * channels]!
    for (let x = width - half; x < width; x++) right += data[(y * width + x) * channels]!
  }
  return right > left
}

function mirror(row: Buffer, size: number): void {
  for (let y = 0; y < size; y++) row.subarray(y * size, (y + 1) * size).reverse()
}

/** Mirrors a square grey image in place when its right half is brighter (the breast lies there). */
export function flipToLeft(row: Buffer, size: number): boolean {
  if (!rightHeavier({ data: row, width: size, height: size, channels: 1 })) return false
  mirror(row, size)
  return true
}
