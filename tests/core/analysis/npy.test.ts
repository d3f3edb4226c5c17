// The 1-D .npy reader against files in NumPy's own format (written here byte for byte).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseNpy1d, readNpy1d } from '../../../src-core/analysis/npy.ts'
import { writeInt64Npy } from './fixture-study.ts'

function npy(descr: string, shape: string, data: Buffer, major = 1): Buffer {
  const header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }\n`
  const head = Buffer.alloc(major === 1 ? 10 : 12)
  head.writeUInt8(0x93, 0)
  head.write('NUMPY', 1, 'latin1')
  head.writeUInt8(major, 6)
  if (major === 1) head.writeUInt16LE(header.length, 8)
  else head.writeUInt32LE(header.length, 8)
  return Buffer.concat([head, Buffer.from(header, 'latin1'), data])
}

describe('npy reader', () => {
  it('reads int64 patients and uint32 splits (format 1 and 2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xlab-npy-'))
    try {
      writeInt64Npy(join(dir, 'patients.npy'), [0, 0, 1, 7, 123456789012])
      expect(readNpy1d(join(dir, 'patients.npy'))).toEqual([0, 0, 1, 7, 123456789012])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    const u32 = Buffer.alloc(12)
    ;[3, 4, 4000000000].forEach((v, i) => u32.writeUInt32LE(v, i * 4))
    expect(parseNpy1d(npy('<u4', '(3,)', u32))).toEqual([3, 4, 4000000000])
    expect(parseNpy1d(npy('<u4', '(3,)', u32, 2))).toEqual([3, 4, 4000000000])
  })

  it('refuses what it cannot read with a sentence naming the file', () => {
    expect(() => parseNpy1d(Buffer.from('not numpy at all'), 'x.npy')).toThrow(/x\.npy is not a NumPy \.npy file/)
    expect(() => parseNpy1d(npy('<i8', '(2, 2)', Buffer.alloc(32)), 'img.npy')).toThrow(/img\.npy holds <i8 with shape \(2, 2\)/)
    expect(() => parseNpy1d(npy('<i8', '(4,)', Buffer.alloc(8)), 'short.npy')).toThrow(/shorter than its header/)
  })
})
