// Standard NumPy .npy files (format 1.0): a small header and a C-order body. The image cache is
// written as a stream (header first, rows appended) so memory stays flat however large the
// dataset; the header is padded to a fixed length so the final row count can be patched in place.
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs'

/** The element types the cache uses. */
export type NpyDtype = 'u1' | 'u4' | 'i8' | 'f4' | 'f8'

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00])
const ITEM_SIZE: Record<NpyDtype, number> = { u1: 1, u4: 4, i8: 8, f4: 4, f8: 8 }

/** Bytes per element of a dtype. */
export function itemSize(dtype: NpyDtype): number {
  return ITEM_SIZE[dtype]
}

/** A parsed .npy header. */
export interface NpyHeader {
  /** Element type (little-endian). */
  dtype: NpyDtype
  /** Array shape. */
  shape: number[]
  /** Byte offset of the body. */
  offset: number
}

/**
 * Builds a header. `minLength` lets a streamed writer reserve room for a larger first dimension than
 * it finally writes; the total is a multiple of 64 as NumPy recommends.
 */
export function npyHeader(dtype: NpyDtype, shape: readonly number[], minLength = 0): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
  const dict = `{'descr': '${dtype === 'u1' ? '|u1' : `<${dtype}`}', 'fortran_order': False, 'shape': ${shapeText}, }`
  let total = MAGIC.length + 2 + dict.length + 1
  total = Math.max(Math.ceil(total / 64) * 64, minLength)
  const headerLen = total - MAGIC.length - 2
  const text = dict.padEnd(headerLen - 1, ' ') + '\n'
  const out = Buffer.alloc(total)
  MAGIC.copy(out, 0)
  out.writeUInt16LE(headerLen, 8)
  out.write(text, 10, 'latin1')
  return out
}

/** Reads and parses the header of a .npy file. */
export function readNpyHeader(file: string): NpyHeader {
  const fd = openSync(file, 'r')
  try {
    const head = Buffer.alloc(10)
    readSync(fd, head, 0, 10, 0)
    if (!head.subarray(0, 6).equals(MAGIC.subarray(0, 6))) throw new Error(`${file} is not a .npy file.`)
    const len = head.readUInt16LE(8)
    const text = Buffer.alloc(len)
    readSync(fd, text, 0, len, 10)
    const s = text.toString('latin1')
    const descr = /'descr':\s*'([<|>]?)(\w+)'/.exec(s)?.[2]
    const shape = /'shape':\s*\(([^)]*)\)/.exec(s)?.[1]
    if (!descr || shape === undefined || !(descr in ITEM_SIZE)) throw new Error(`${file} has an unsupported .npy header: ${s.trim()}`)
    return {
      dtype: descr as NpyDtype,
      shape: shape.split(',').map((x) => x.trim()).filter(Boolean).map(Number),
      offset: 10 + len,
    }
  } finally {
    closeSync(fd)
  }
}

/** A typed array of the given dtype. */
export type NpyArray = Uint8Array | Uint32Array | BigInt64Array | Float32Array | Float64Array

/** Writes a whole (small) array: labels, patients, split indices. */
export function writeNpy(file: string, dtype: NpyDtype, shape: readonly number[], data: NpyArray): void {
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const expected = shape.reduce((a, b) => a * b, 1) * ITEM_SIZE[dtype]
  if (body.length !== expected) throw new Error(`writeNpy: ${body.length} bytes for shape ${shape.join('x')} of ${dtype}.`)
  writeFileSync(file, Buffer.concat([npyHeader(dtype, shape), body]))
}

/** Reads a whole (small) array. */
export function readNpy(file: string): { header: NpyHeader; data: NpyArray } {
  const header = readNpyHeader(file)
  const n = header.shape.reduce((a, b) => a * b, 1)
  const bytes = Buffer.alloc(n * ITEM_SIZE[header.dtype])
  const fd = openSync(file, 'r')
  let got: number
  try {
    got = bytes.length ? readSync(fd, bytes, 0, bytes.length, header.offset) : 0
  } finally {
    closeSync(fd)
  }
  if (got < bytes.length) throw new Error(`${file} is shorter than its header says (${header.shape.join('x')} ${header.dtype}). Import the dataset again.`)
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)
  const data = header.dtype === 'u1' ? new Uint8Array(ab) : header.dtype === 'u4' ? new Uint32Array(ab) : header.dtype === 'i8' ? new BigInt64Array(ab) : header.dtype === 'f8' ? new Float64Array(ab) : new Float32Array(ab)
  return { header, data }
}

/** Reads rows [start, start+count) of a 2-D+ uint8 array (the image cache) without loading the rest. */
export function readNpyRows(file: string, header: NpyHeader, start: number, count: number): Buffer {
  const row = header.shape.slice(1).reduce((a, b) => a * b, 1) * ITEM_SIZE[header.dtype]
  const buf = Buffer.alloc(row * count)
  const fd = openSync(file, 'r')
  try {
    readSync(fd, buf, 0, buf.length, header.offset + start * row)
  } finally {
    closeSync(fd)
  }
  return buf
}
