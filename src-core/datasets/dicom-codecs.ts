// Compressed DICOM pixel data through maintained codec libraries: OpenJPEG (JPEG 2000), CharLS
// (JPEG-LS) and libjpeg-turbo (JPEG baseline) as the WebAssembly builds of the cornerstone project,
// jpeg-lossless-decoder-js for JPEG lossless (process 14, SV1 or any predictor), and DICOM RLE
// (PS3.5 Annex G, a PackBits variant) decoded here. Each codec module is loaded once, on first use.
import { createRequire } from 'node:module'
import { SkipError } from './skip-error.ts'

const require = createRequire(import.meta.url)

/** Transfer syntaxes by UID, with a name for the import report. */
export const TRANSFER_SYNTAXES: Record<string, string> = {
  '1.2.840.10008.1.2': 'Implicit VR Little Endian',
  '1.2.840.10008.1.2.1': 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline (process 1)',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended (process 2 & 4)',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless (process 14)',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless (process 14, SV1)',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.4.201': 'HTJ2K Lossless',
  '1.2.840.10008.1.2.4.202': 'HTJ2K Lossless RPCL',
  '1.2.840.10008.1.2.4.203': 'HTJ2K',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
}

/** "JPEG 2000 Lossless (1.2.840.10008.1.2.4.90)". */
export function syntaxName(uid: string): string {
  return TRANSFER_SYNTAXES[uid] ? `${TRANSFER_SYNTAXES[uid]} (${uid})` : `transfer syntax ${uid}`
}

/** Uncompressed pixel data (read in place). */
export const NATIVE_SYNTAXES = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99'])

type Family = 'j2k' | 'jls' | 'jpeg-baseline' | 'jpeg-lossless' | 'rle'
const FAMILY: Record<string, Family> = {
  '1.2.840.10008.1.2.4.50': 'jpeg-baseline',
  '1.2.840.10008.1.2.4.57': 'jpeg-lossless',
  '1.2.840.10008.1.2.4.70': 'jpeg-lossless',
  '1.2.840.10008.1.2.4.80': 'jls',
  '1.2.840.10008.1.2.4.81': 'jls',
  '1.2.840.10008.1.2.4.90': 'j2k',
  '1.2.840.10008.1.2.4.91': 'j2k',
  '1.2.840.10008.1.2.4.201': 'j2k',
  '1.2.840.10008.1.2.4.202': 'j2k',
  '1.2.840.10008.1.2.4.203': 'j2k',
  '1.2.840.10008.1.2.5': 'rle',
}

/** True when the lab has a decoder for this compressed transfer syntax. */
export function canDecode(uid: string): boolean {
  return uid in FAMILY
}

/** What the frame is expected to hold (from the DICOM header). */
export interface FrameLayout {
  rows: number
  cols: number
  bitsAllocated: number
  signed: boolean
}

/** One decoded frame: its samples as stored (before BitsStored masking and rescale). */
export type FrameSamples = Uint8Array | Uint16Array | Int16Array

interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array
  decode(): void
  getDecodedBuffer(): Uint8Array
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned?: boolean }
  delete?(): void
}
interface WasmModule {
  J2KDecoder?: new () => WasmDecoder
  JpegLSDecoder?: new () => WasmDecoder
  JPEGDecoder?: new () => WasmDecoder
}
type WasmFactory = (opts: { locateFile: (f: string) => string; print: (s: string) => void; printErr: (s: string) => void }) => Promise<WasmModule>

const modules = new Map<string, Promise<WasmModule>>()

/** Loads an emscripten decoder module of a cornerstone codec package once. */
function wasm(pkg: string): Promise<WasmModule> {
  let m = modules.get(pkg)
  if (!m) {
    const factory = require(`${pkg}/decodewasmjs`) as WasmFactory
    const wasmFile = require.resolve(`${pkg}/decodewasm`)
    // OpenJPEG prints [INFO] lines for every frame: the codecs' own output is not the lab's.
    m = factory({ locateFile: (f) => (f.endsWith('.wasm') ? wasmFile : f), print: () => {}, printErr: () => {} })
    modules.set(pkg, m)
  }
  return m
}

async function decodeWasm(pkg: string, cls: keyof WasmModule, data: Uint8Array, layout: FrameLayout): Promise<FrameSamples> {
  const mod = await wasm(pkg)
  const Decoder = mod[cls]!
  const d = new Decoder()
  try {
    d.getEncodedBuffer(data.length).set(data)
    d.decode()
    const info = d.getFrameInfo()
    if (info.componentCount !== 1) throw new SkipError('unsupported-format', `the compressed frame has ${info.componentCount} colour components; the lab reads grey radiographs`)
    if (info.width !== layout.cols || info.height !== layout.rows) {
      throw new SkipError('corrupt', `the compressed frame is ${info.width}x${info.height} but the DICOM header says ${layout.cols}x${layout.rows}`)
    }
    const out = d.getDecodedBuffer()
    const bytes = new Uint8Array(out.length)
    bytes.set(out)
    return asSamples(bytes, info.bitsPerSample > 8 ? 2 : 1, info.isSigned ?? layout.signed)
  } finally {
    d.delete?.()
  }
}

function asSamples(bytes: Uint8Array, bytesPerSample: number, signed: boolean): FrameSamples {
  if (bytesPerSample === 1) return bytes
  const n = bytes.length >> 1
  return signed ? new Int16Array(bytes.buffer, bytes.byteOffset, n) : new Uint16Array(bytes.buffer, bytes.byteOffset, n)
}

interface LosslessDecoder {
  decode(buffer: ArrayBuffer, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array | Int16Array
}

function decodeJpegLossless(data: Uint8Array, layout: FrameLayout): FrameSamples {
  const { Decoder } = require('jpeg-lossless-decoder-js') as { Decoder: new () => LosslessDecoder }
  const bytes = layout.bitsAllocated > 8 ? 2 : 1
  const copy = data.slice()
  const out = new Decoder().decode(copy.buffer, 0, copy.length, bytes)
  if (out.length !== layout.rows * layout.cols) throw new SkipError('corrupt', `the JPEG lossless frame holds ${out.length} samples, not the ${layout.rows * layout.cols} the header gives`)
  if (bytes === 1) return Uint8Array.from(out)
  return layout.signed ? Int16Array.from(out) : Uint16Array.from(out)
}

/** DICOM RLE (PS3.5 Annex G): a 64-byte header of segment offsets, one PackBits segment per byte plane, most significant first. */
export function decodeRle(data: Uint8Array, layout: FrameLayout): FrameSamples {
  if (data.length < 64) throw new SkipError('truncated', 'the RLE frame is shorter than its 64-byte header')
  const view = new DataView(data.buffer, data.byteOffset, data.length)
  const segments = view.getUint32(0, true)
  const bytes = layout.bitsAllocated > 8 ? 2 : 1
  if (segments !== bytes) throw new SkipError('unsupported-format', `the RLE frame has ${segments} segments where a grey image of ${layout.bitsAllocated} bits has ${bytes}`)
  const n = layout.rows * layout.cols
  const planes: Uint8Array[] = []
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true)
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : data.length
    if (start < 64 || end > data.length || end < start) throw new SkipError('corrupt', `RLE segment ${s + 1} points outside the frame (${start}..${end} of ${data.length} bytes)`)
    const plane = new Uint8Array(n)
    let o = 0
    let i = start
    while (o < n && i < end) {
      const c = (data[i++]! << 24) >> 24
      if (c >= 0) {
        const len = Math.min(c + 1, n - o, end - i)
        plane.set(data.subarray(i, i + len), o)
        o += len
        i += c + 1
      } else if (c !== -128) {
        const len = Math.min(1 - c, n - o)
        plane.fill(data[i++]!, o, o + len)
        o += len
      }
    }
    if (o < n) throw new SkipError('truncated', `RLE segment ${s + 1} ends after ${o} of ${n} pixels`)
    planes.push(plane)
  }
  if (bytes === 1) return planes[0]!
  const out = layout.signed ? new Int16Array(n) : new Uint16Array(n)
  const hi = planes[0]!
  const lo = planes[1]!
  for (let k = 0; k < n; k++) out[k] = (hi[k]! << 8) | lo[k]!
  return out
}

/** The skip of a file compressed in a syntax the lab has no decoder for, naming it and a conversion. */
export function unsupportedSyntax(uid: string): SkipError {
  return new SkipError('unsupported-format', `the pixel data is compressed as ${syntaxName(uid)}, which the lab cannot decode; convert the file, e.g. "gdcmconv --raw in.dcm out.dcm"`)
}

/** Decodes one compressed frame. Throws SkipError naming the transfer syntax when it cannot. */
export async function decodeFrame(uid: string, data: Uint8Array, layout: FrameLayout): Promise<FrameSamples> {
  const family = FAMILY[uid]
  if (!family) throw unsupportedSyntax(uid)
  try {
    if (family === 'rle') return decodeRle(data, layout)
    if (family === 'jpeg-lossless') return decodeJpegLossless(data, layout)
    if (family === 'j2k') return await decodeWasm('@cornerstonejs/codec-openjpeg', 'J2KDecoder', data, layout)
    if (family === 'jls') return await decodeWasm('@cornerstonejs/codec-charls', 'JpegLSDecoder', data, layout)
    if (layout.bitsAllocated > 8) throw new SkipError('unsupported-format', `JPEG Baseline data with ${layout.bitsAllocated} bits allocated is not valid DICOM (baseline JPEG holds 8 bits)`)
    return await decodeWasm('@cornerstonejs/codec-libjpeg-turbo-8bit', 'JPEGDecoder', data, layout)
  } catch (e) {
    if (e instanceof SkipError) throw e
    throw new SkipError('corrupt', `the ${syntaxName(uid)} pixel data cannot be decoded (${describeError(e)})`)
  }
}

/** A sentence from whatever a library threw: an Error, a string, an emscripten exception or an object. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message || e.name
  if (typeof e === 'string') return e
  if (typeof e === 'number') return `codec error ${e}`
  if (e && typeof e === 'object') {
    const o = e as { exception?: unknown; message?: unknown }
    if (o.exception !== undefined) return describeError(o.exception)
    if (typeof o.message === 'string') return o.message
    try {
      return JSON.stringify(e).slice(0, 200)
    } catch {
      return Object.prototype.toString.call(e)
    }
  }
  return String(e)
}
