// High-bit-depth images keep their values until the window: 12 bits in a 16-bit PNG and TIFF, a
// float TIFF and a DICOM whose high bits carry an overlay are windowed by the percentile window and
// match a numpy reference of the same window; a constant image is skipped with a reason.
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { decodeDicom } from '../../../src-core/datasets/dicom.ts'
import { prepareImport } from '../../../src-core/datasets/import-job.ts'
import { readNpy } from '../../../src-core/datasets/npy.ts'
import { decodePgm } from '../../../src-core/datasets/pgm.ts'
import type { ImportReport } from '../../../src-core/datasets/report.ts'
import { percentileWindow } from '../../../src-core/datasets/window.ts'
import { getReport } from '../../../src-core/store/datasets.ts'
import { dicomFile, freshEnv, REPO, runPython, tmp } from './helpers.ts'

const S = 40

describe('bit depth kept until the window', () => {
  const root = tmp('xlab-deep-')
  let names: string[] = []
  beforeAll(() => {
    names = runPython(join(REPO, 'tests/core/datasets/fixtures-gen/deep_images.py'), root).trim().split('\n')
  })

  it('imports 12-bit PNG/TIFF, float TIFF and an overlaid 12-bit DICOM as the numpy window says, and skips a constant image', async () => {
    const env = freshEnv()
    const rec = await (await prepareImport(env, { kind: 'imagefolder', path: join(root, 'images'), name: 'deep', size: S, color: 'grey', split: { train: 0.6, val: 0.2, test: 0.2 } })).run({})
    expect(names).toEqual(['b-12bit.png', 'c-12bit.tif', 'd-float.tif', 'e-overlay.dcm'])
    expect(rec.n).toBe(4)
    const images = readNpy(join(rec.dir, 'images.npy')).data as Uint8Array
    const ref = readNpy(join(root, 'reference.npy')).data as Uint8Array
    for (let k = 0; k < 4; k++) {
      const got = images.subarray(k * S * S, (k + 1) * S * S)
      const want = ref.subarray(k * S * S, (k + 1) * S * S)
      let worst = 0
      for (let i = 0; i < S * S; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!))
      expect(worst, names[k]).toBeLessThanOrEqual(1)
      // The window spans the full 0-255 range (not 2-13 out of 255, nor black).
      expect(Math.min(...got), names[k]).toBe(0)
      expect(Math.max(...got), names[k]).toBe(255)
    }
    const report = getReport(env.db, rec.id) as ImportReport
    expect(report.decoding!.windows).toEqual({ percentile: 4 })
    expect(report.decoding!.transferSyntaxes).toEqual({ '1.2.840.10008.1.2.1': 1 })
    expect(report.skipped).toEqual([expect.objectContaining({ file: 'a/f-constant.png', reason: 'empty-window', message: expect.stringMatching(/every pixel of the image has the value 2000/) })])
  })

  it('honours the file window of a DICOM and skips one whose window misses every pixel', async () => {
    const pixels = Uint16Array.from({ length: 16 }, (_, i) => 1000 + i * 10)
    // Overlay bit 15 on half the pixels: with Bits Stored 12 it must not move any value.
    const overlaid = pixels.map((v, i) => (i % 2 ? v | 0x8000 : v))
    const a = await decodeDicom(dicomFile({ rows: 4, cols: 4, pixels, center: 1075, width: 151 }))
    const b = await decodeDicom(dicomFile({ rows: 4, cols: 4, pixels: overlaid, center: 1075, width: 151 }))
    expect([...b.data]).toEqual([...a.data])
    expect(a.window).toMatchObject({ source: 'dicom-window', lo: 999.5, hi: 1149.5 })
    await expect(decodeDicom(dicomFile({ rows: 4, cols: 4, pixels, center: 3000, width: 100 }))).rejects.toThrow(/DICOM window \(centre 3000, width 100\).*leaves every pixel at 0/)
  })

  it('refuses a rescale slope of 0 or text, naming the field, instead of storing a black image', async () => {
    const pixels = Uint16Array.from({ length: 16 }, (_, i) => i * 100)
    await expect(decodeDicom(dicomFile({ rows: 4, cols: 4, pixels, slope: 0, intercept: 0 }))).rejects.toThrow(/Rescale Slope \(0028,1053\) is "0"/)
    await expect(decodeDicom(dicomFile({ rows: 4, cols: 4, pixels, slope: 'abc' as unknown as number, intercept: 0 }))).rejects.toThrow(/Rescale Slope \(0028,1053\) is "abc", not a non-zero number/)
    const ok = await decodeDicom(dicomFile({ rows: 4, cols: 4, pixels, slope: 2, intercept: -100 }))
    expect(ok.window).toMatchObject({ source: 'percentile', lo: -100, hi: 2900 })
  })

  it('reads a 16-bit PGM at full depth and clips values above maxval instead of wrapping them', () => {
    const w = 8
    const h = 8
    const head = Buffer.from(`P5\n${w} ${h}\n4095\n`)
    const raster = Buffer.alloc(w * h * 2)
    for (let i = 0; i < w * h; i++) raster.writeUInt16BE(i === 0 ? 65000 : 500 + i * 40, 2 * i)
    const img = decodePgm(Buffer.concat([head, raster]))
    // 65000 > maxval 4095: clipped to 4095, the brightest pixel, not wrapped to a dark one.
    expect(img.data[0]).toBe(255)
    expect(img.window.source).toBe('percentile')
    const values = Uint16Array.from({ length: w * h }, (_, i) => (i === 0 ? 4095 : 500 + i * 40))
    expect(img.window).toMatchObject(percentileWindow(values))
  })
})
