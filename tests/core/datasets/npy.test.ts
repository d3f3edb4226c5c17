import { execFileSync } from 'node:child_process'
import { truncateSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { npyHeader, readNpy, readNpyHeader, writeNpy } from '../../../src-core/datasets/npy.ts'
import { tmp } from './helpers.ts'

const python = resolve(import.meta.dirname, '..', '..', '..', '.venv', 'bin', 'python')

describe('npy', () => {
  it('round-trips arrays of every cache dtype and reserves a fixed header length', () => {
    const dir = tmp()
    writeNpy(join(dir, 'a.npy'), 'u4', [3], Uint32Array.from([1, 2, 70000]))
    writeNpy(join(dir, 'b.npy'), 'i8', [2], BigInt64Array.from([5n, -1n]))
    writeNpy(join(dir, 'c.npy'), 'u1', [2, 3], Uint8Array.from([1, 0, 1, 0, 1, 1]))
    expect([...(readNpy(join(dir, 'a.npy')).data as Uint32Array)]).toEqual([1, 2, 70000])
    expect([...(readNpy(join(dir, 'b.npy')).data as BigInt64Array)]).toEqual([5n, -1n])
    expect(readNpyHeader(join(dir, 'c.npy'))).toMatchObject({ dtype: 'u1', shape: [2, 3], offset: 128 })
    expect(npyHeader('u1', [5, 48, 48], 128).length).toBe(128)
    expect(npyHeader('u1', [123456789, 48, 48, 3], 128).length).toBe(128)
  })

  it('writes files NumPy loads with mmap_mode="r", as the engine does', () => {
    const dir = tmp()
    writeNpy(join(dir, 'img.npy'), 'u1', [2, 2, 3], Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]))
    writeNpy(join(dir, 'p.npy'), 'i8', [2], BigInt64Array.from([7n, 30805n]))
    const out = execFileSync(python, ['-c', `import numpy as np; a=np.load("${dir}/img.npy", mmap_mode="r"); p=np.load("${dir}/p.npy"); print(a.dtype, a.shape, int(a[1,1,2]), p.dtype, p.tolist())`]).toString().trim()
    expect(out).toBe('uint8 (2, 2, 3) 255 int64 [7, 30805]')
  })

  it('refuses a file cut short or not in the .npy format, naming the file', () => {
    const dir = tmp()
    const file = join(dir, 'patients.npy')
    writeNpy(file, 'i8', [4], BigInt64Array.from([1n, 2n, 3n, 4n]))
    truncateSync(file, 128 + 16)
    expect(() => readNpy(file)).toThrow(/patients\.npy is shorter than its header says/)
    writeFileSync(file, 'not numpy at all')
    expect(() => readNpy(file)).toThrow(/patients\.npy is not a \.npy file/)
  })
})
