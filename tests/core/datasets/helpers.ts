// Test helpers: temp folders, the shared real data, tiny generated images and DICOM files.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import sharp from 'sharp'
import { openDatabase, type Db } from '../../../src-core/store/db.ts'

/** ../shared/data relative to the repository root (CI has it at the same place). */
export const SHARED_DATA = resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'data')

/** The repository root. */
export const REPO = resolve(import.meta.dirname, '..', '..', '..')

export function tmp(prefix = 'xlab-ds-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** A fresh data root with its database. */
export function freshEnv(): { root: string; db: Db; datasetsDir: string } {
  const root = tmp()
  return { root, db: openDatabase(join(root, 'lab.sqlite')), datasetsDir: join(root, 'datasets') }
}

/** Writes a small grey PNG whose pixels depend on `seed` (a gradient plus a disc). */
export async function writePng(file: string, seed: number, size = 24, channels: 1 | 3 | 4 = 1): Promise<void> {
  mkdirSync(dirname(file), { recursive: true })
  const px = Buffer.alloc(size * size * channels)
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const v = ((x * 7 + y * 3 + seed * 13) % 200) + ((x - size / 2) ** 2 + (y - size / 2) ** 2 < (seed % 7) ** 2 ? 50 : 0)
      for (let c = 0; c < channels; c++) px[(y * size + x) * channels + c] = c === 3 ? 255 : v
    }
  writeFileSync(file, await sharp(px, { raw: { width: size, height: size, channels } }).png().toBuffer())
}

/** One DICOM data element, explicit VR little endian. */
function element(group: number, elem: number, vr: string, value: Buffer): Buffer {
  const pad = value.length % 2 ? Buffer.concat([value, Buffer.from(vr === 'UI' || vr === 'OB' || vr === 'OW' ? [0] : [0x20])]) : value
  const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr)
  const head = Buffer.alloc(long ? 12 : 8)
  head.writeUInt16LE(group, 0)
  head.writeUInt16LE(elem, 2)
  head.write(vr, 4, 'latin1')
  if (long) head.writeUInt32LE(pad.length, 8)
  else head.writeUInt16LE(pad.length, 6)
  return Buffer.concat([head, pad])
}

const us = (v: number) => {
  const b = Buffer.alloc(2)
  b.writeUInt16LE(v)
  return b
}
const str = (s: string) => Buffer.from(s, 'latin1')

/** A minimal Part 10 DICOM file holding a 16-bit grey image (or no pixel data at all). */
export function dicomFile(o: { rows: number; cols: number; pixels?: Uint16Array; photometric?: string; slope?: number; intercept?: number; center?: number; width?: number; laterality?: string }): Buffer {
  const ts = '1.2.840.10008.1.2.1'
  const metaBody = Buffer.concat([element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])), element(0x0002, 0x0010, 'UI', str(ts))])
  const groupLen = Buffer.alloc(4)
  groupLen.writeUInt32LE(metaBody.length)
  const meta = Buffer.concat([element(0x0002, 0x0000, 'UL', groupLen), metaBody])
  const parts = [
    element(0x0020, 0x0062, 'CS', str(o.laterality ?? 'L')),
    element(0x0028, 0x0002, 'US', us(1)),
    element(0x0028, 0x0004, 'CS', str(o.photometric ?? 'MONOCHROME2')),
    element(0x0028, 0x0010, 'US', us(o.rows)),
    element(0x0028, 0x0011, 'US', us(o.cols)),
    element(0x0028, 0x0100, 'US', us(16)),
    element(0x0028, 0x0101, 'US', us(12)),
    element(0x0028, 0x0103, 'US', us(0)),
  ]
  if (o.center !== undefined) parts.push(element(0x0028, 0x1050, 'DS', str(String(o.center))), element(0x0028, 0x1051, 'DS', str(String(o.width))))
  if (o.intercept !== undefined) parts.push(element(0x0028, 0x1052, 'DS', str(String(o.intercept))), element(0x0028, 0x1053, 'DS', str(String(o.slope ?? 1))))
  if (o.pixels) parts.push(element(0x7fe0, 0x0010, 'OW', Buffer.from(o.pixels.buffer, o.pixels.byteOffset, o.pixels.byteLength)))
  return Buffer.concat([Buffer.alloc(128), str('DICM'), meta, ...parts])
}

/** Runs a Python file with the engine's venv (pydicom, python-gdcm, numpy, Pillow: engine/requirements.txt); returns stdout. */
export function runPython(script: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, [join(REPO, 'scripts', 'py.mjs'), script, ...args], { encoding: 'utf8', timeout: 120_000 })
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status}): ${r.stderr}`)
  return r.stdout
}
