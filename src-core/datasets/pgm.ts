// Netpbm grey images (PGM P5 binary, P2 text), the format of mini-MIAS. libvips as bundled with
// sharp has no PPM loader, so the file is parsed here and handed to sharp as raw pixels.
import { SkipError } from './skip-error.ts'
import { applyWindow, percentileWindow, type Window } from './window.ts'

/** A decoded 8-bit grey image. */
export interface GreyImage {
  /** Width in pixels. */
  width: number
  /** Height in pixels. */
  height: number
  /** width*height bytes, row-major. */
  data: Uint8Array
}

/** Largest image accepted (pixels): 16k x 16k, far above any mammogram scanner. */
const MAX_PIXELS = 268_435_456

/**
 * Parses a PGM. An 8-bit file (maxval up to 255) is scaled by its maxval; a 16-bit one (maxval above
 * 255) keeps its values until the percentile window takes it to 8 bits. A value above maxval (a
 * broken writer) is clipped to maxval, never wrapped round.
 */
export function decodePgm(buf: Buffer): GreyImage & { window: Window } {
  const magic = buf.subarray(0, 2).toString('latin1')
  if (magic !== 'P5' && magic !== 'P2') throw new SkipError('unsupported-format', `not a grey PGM (magic "${magic}"); colour PPM/PBM files are not supported`)
  let pos = 2
  const tokens: number[] = []
  while (tokens.length < 3) {
    while (pos < buf.length && /\s/.test(String.fromCharCode(buf[pos]!))) pos++
    if (buf[pos] === 0x23) {
      while (pos < buf.length && buf[pos] !== 0x0a) pos++
      continue
    }
    const start = pos
    while (pos < buf.length && /[0-9]/.test(String.fromCharCode(buf[pos]!))) pos++
    if (start === pos) throw new SkipError('corrupt', 'the PGM header is malformed')
    tokens.push(Number(buf.subarray(start, pos).toString('latin1')))
  }
  const [width, height, maxval] = tokens as [number, number, number]
  if (!(width > 0 && height > 0 && maxval > 0 && maxval < 65536)) throw new SkipError('corrupt', `the PGM header gives impossible sizes (${width}x${height}, maxval ${maxval})`)
  const n = width * height
  if (n > MAX_PIXELS) throw new SkipError('corrupt', `the PGM header claims ${width}x${height} pixels, more than the ${MAX_PIXELS / 1e6} million the lab decodes`)
  // Checked before allocating: a header may claim any size, the file holds what it holds.
  if (magic === 'P5' && buf.length - pos - 1 < n * (maxval > 255 ? 2 : 1)) {
    throw new SkipError('truncated', `the PGM raster is truncated (${Math.max(0, buf.length - pos - 1)} of ${n * (maxval > 255 ? 2 : 1)} bytes for ${width}x${height})`)
  }
  const samples = maxval > 255 ? new Uint16Array(n) : new Uint8Array(n)
  if (magic === 'P5') {
    pos++ // exactly one whitespace byte separates the header from the raster
    const bytes = maxval > 255 ? 2 : 1
    for (let i = 0; i < n; i++) samples[i] = Math.min(maxval, bytes === 1 ? buf[pos + i]! : buf.readUInt16BE(pos + 2 * i))
  } else {
    if (buf.length - pos < 2 * n - 1) throw new SkipError('truncated', `the PGM raster is truncated (${width}x${height} values cannot fit in ${buf.length - pos} bytes)`)
    const values = buf.subarray(pos).toString('latin1').trim().split(/\s+/).map(Number)
    if (values.length < n) throw new SkipError('truncated', `the PGM raster is truncated (${values.length} of ${n} values)`)
    for (let i = 0; i < n; i++) samples[i] = Math.min(maxval, Math.max(0, Number.isFinite(values[i]) ? values[i]! : 0))
  }
  if (maxval > 255) {
    const window = percentileWindow(samples)
    return { width, height, data: applyWindow(samples, window), window }
  }
  const data = maxval === 255 ? (samples as Uint8Array) : Uint8Array.from(samples, (v) => Math.round((v * 255) / maxval))
  return { width, height, data, window: { source: '8-bit', lo: 0, hi: maxval } }
}
