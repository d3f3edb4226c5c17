// Reads the 1-D integer .npy arrays the analysis needs (patients.npy, split-*.npy). The NumPy format
// is small enough to parse here: magic, version, a header dict, then raw little-endian data.
import { readFileSync } from 'node:fs'

const READERS: Record<string, { size: number; get: (v: DataView, o: number) => number }> = {
  '|u1': { size: 1, get: (v, o) => v.getUint8(o) },
  '|i1': { size: 1, get: (v, o) => v.getInt8(o) },
  '<u2': { size: 2, get: (v, o) => v.getUint16(o, true) },
  '<i2': { size: 2, get: (v, o) => v.getInt16(o, true) },
  '<u4': { size: 4, get: (v, o) => v.getUint32(o, true) },
  '<i4': { size: 4, get: (v, o) => v.getInt32(o, true) },
  '<i8': { size: 8, get: (v, o) => Number(v.getBigInt64(o, true)) },
  '<u8': { size: 8, get: (v, o) => Number(v.getBigUint64(o, true)) },
  '<f4': { size: 4, get: (v, o) => v.getFloat32(o, true) },
  '<f8': { size: 8, get: (v, o) => v.getFloat64(o, true) },
}

/** Parses a 1-D numeric .npy buffer; `file` only names the source in error messages. */
export function parseNpy1d(buf: Buffer, file = 'the array'): number[] {
  if (buf.length < 10 || buf.readUInt8(0) !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') {
    throw new Error(`${file} is not a NumPy .npy file. Import the dataset again.`)
  }
  const major = buf.readUInt8(6)
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8)
  const start = major === 1 ? 10 : 12
  const header = buf.toString('latin1', start, start + headerLen)
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1]
  const fortran = /'fortran_order':\s*True/.test(header)
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1]
  const dims = (shape ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number)
  const reader = descr ? READERS[descr.replace('=', '<')] : undefined
  if (!reader || fortran || dims.length !== 1) {
    throw new Error(`${file} holds ${descr ?? 'an unknown type'} with shape (${shape ?? '?'}); the analysis reads 1-D little-endian numeric arrays. Import the dataset again.`)
  }
  const n = dims[0]!
  const offset = start + headerLen
  if (buf.length < offset + n * reader.size) throw new Error(`${file} is shorter than its header says (${n} values). Import the dataset again.`)
  const view = new DataView(buf.buffer, buf.byteOffset + offset, n * reader.size)
  const out = new Array<number>(n)
  for (let i = 0; i < n; i++) out[i] = reader.get(view, i * reader.size)
  return out
}

/** Reads a 1-D numeric .npy file. */
export function readNpy1d(file: string): number[] {
  return parseNpy1d(readFileSync(file), file)
}
