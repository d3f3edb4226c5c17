// DICOM grey images (CBIS-DDSM, INbreast, VinDr-Mammo) through dicom-parser: modality rescale,
// VOI LUT or window, MONOCHROME1 inversion, then 8 bits. Only uncompressed transfer syntaxes are
// decoded; a compressed file is skipped with a reason saying how to convert it.
import dicomParser from 'dicom-parser'
import type { GreyImage } from './pgm.ts'
import { SkipError } from './skip-error.ts'

const UNCOMPRESSED = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2'])

/** Laterality from the header ('L' / 'R'), when present. */
export function dicomLaterality(ds: dicomParser.DataSet): 'L' | 'R' | null {
  const v = (ds.string('x00200062') ?? ds.string('x00200060') ?? '').trim().toUpperCase()
  return v === 'L' || v === 'R' ? v : null
}

/** Decodes the first frame of a grey DICOM file to 8 bits. */
export function decodeDicom(buf: Buffer): GreyImage & { laterality: 'L' | 'R' | null } {
  let ds: dicomParser.DataSet
  try {
    ds = dicomParser.parseDicom(new Uint8Array(buf.buffer, buf.byteOffset, buf.length))
  } catch (e) {
    const msg = typeof e === 'string' ? e : ((e as Error).message ?? String(e))
    throw new SkipError(/end of|beyond|buffer overread/i.test(msg) ? 'truncated' : 'corrupt', `DICOM parse error: ${msg}`)
  }
  const pixel = ds.elements['x7fe00010']
  if (!pixel || pixel.length === 0) throw new SkipError('dicom-no-pixel-data', 'the DICOM file has no pixel data (a structured report or presentation state?)')
  const ts = (ds.string('x00020010') ?? '1.2.840.10008.1.2').replace(/\0/g, '').trim()
  if (pixel.encapsulatedPixelData || !UNCOMPRESSED.has(ts)) {
    throw new SkipError('unsupported-format', `compressed DICOM (transfer syntax ${ts}) is not supported; decompress it first, e.g. "gdcmconv --raw in.dcm out.dcm"`)
  }
  const rows = ds.uint16('x00280010') ?? 0
  const cols = ds.uint16('x00280011') ?? 0
  const bits = ds.uint16('x00280100') ?? 16
  const signed = (ds.uint16('x00280103') ?? 0) === 1
  const spp = ds.uint16('x00280002') ?? 1
  const photometric = (ds.string('x00280004') ?? 'MONOCHROME2').trim()
  if (spp !== 1 || !photometric.startsWith('MONOCHROME')) throw new SkipError('unsupported-format', `colour DICOM (${photometric}, ${spp} samples per pixel) is not a grey radiograph`)
  if (bits !== 8 && bits !== 16) throw new SkipError('unsupported-format', `DICOM with ${bits} bits allocated is not supported (8 or 16 are)`)
  const n = rows * cols
  const bytes = bits / 8
  if (n === 0) throw new SkipError('corrupt', 'the DICOM header gives an empty image')
  if (pixel.length < n * bytes || pixel.dataOffset + n * bytes > buf.length) throw new SkipError('truncated', `the DICOM pixel data is truncated (${Math.min(pixel.length, buf.length - pixel.dataOffset)} of ${n * bytes} bytes)`)
  const bigEndian = ts === '1.2.840.10008.1.2.2'
  const slope = ds.floatString('x00281053') ?? 1
  const intercept = ds.floatString('x00281052') ?? 0
  const values = new Float32Array(n)
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < n; i++) {
    const o = pixel.dataOffset + i * bytes
    let raw: number
    if (bytes === 1) raw = signed ? buf.readInt8(o) : buf[o]!
    else if (bigEndian) raw = signed ? buf.readInt16BE(o) : buf.readUInt16BE(o)
    else raw = signed ? buf.readInt16LE(o) : buf.readUInt16LE(o)
    const v = raw * slope + intercept
    values[i] = v
    if (v < min) min = v
    if (v > max) max = v
  }
  const out = new Uint8Array(n)
  const lut = voiLut(ds)
  const center = ds.floatString('x00281050')
  const width = ds.floatString('x00281051')
  if (lut) {
    const top = (1 << lut.bits) - 1
    for (let i = 0; i < n; i++) {
      const k = Math.min(lut.data.length - 1, Math.max(0, Math.round(values[i]!) - lut.first))
      out[i] = Math.round((lut.data[k]! * 255) / top)
    }
  } else if (center !== undefined && width !== undefined && width >= 1) {
    // DICOM PS3.3 C.11.2.1.2.1 linear window.
    const lo = center - 0.5 - (width - 1) / 2
    for (let i = 0; i < n; i++) out[i] = Math.round(Math.min(1, Math.max(0, (values[i]! - lo) / (width - 1))) * 255)
  } else {
    const span = max - min || 1
    for (let i = 0; i < n; i++) out[i] = Math.round(((values[i]! - min) / span) * 255)
  }
  if (photometric === 'MONOCHROME1') for (let i = 0; i < n; i++) out[i] = 255 - out[i]!
  return { width: cols, height: rows, data: out, laterality: dicomLaterality(ds) }
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
