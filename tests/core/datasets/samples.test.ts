// The real sample files in ../shared/data/samples: 1024 px ChestX-ray14 PNGs (also as RGBA),
// mini-MIAS PGMs with Info.txt, RGB/RGBA head CT PNGs, ImageNet JPEGs; and generated DICOM files.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { cacheDamage, CROP_REVISION } from '../../../src-core/datasets/cache-health.ts'
import { decodeDicom } from '../../../src-core/datasets/dicom.ts'
import { decodeToRow, foregroundBox } from '../../../src-core/datasets/image-decode.ts'
import { prepareImport } from '../../../src-core/datasets/import-job.ts'
import { readNpy } from '../../../src-core/datasets/npy.ts'
import { formatReport, type ImportReport } from '../../../src-core/datasets/report.ts'
import { getReport } from '../../../src-core/store/datasets.ts'
import { decodePgm } from '../../../src-core/datasets/pgm.ts'
import { dicomFile, freshEnv, SHARED_DATA, tmp } from './helpers.ts'

const samples = join(SHARED_DATA, 'samples')

describe('real sample files', () => {
  it('imports the ChestX-ray14 PNGs with their labels, and an RGBA copy gives the same grey pixels', async () => {
    const root = tmp()
    const rgbaRoot = tmp()
    const csv = readFileSync(join(samples, 'chestxray14', 'labels.csv'), 'utf8')
    for (const r of [root, rgbaRoot]) {
      mkdirSync(join(r, 'images'))
      writeFileSync(join(r, 'Data_Entry_2017.csv'), csv)
    }
    for (const line of csv.trim().split('\n').slice(1)) {
      const name = line.split(',')[0]!
      copyFileSync(join(samples, 'chestxray14', name), join(root, 'images', name))
      // As some ChestX-ray14 copies are: RGBA with equal colour channels and opaque alpha.
      await sharp(join(samples, 'chestxray14', name)).toColourspace('srgb').ensureAlpha().png().toFile(join(rgbaRoot, 'images', name))
    }
    expect((await sharp(join(rgbaRoot, 'images', '00000797_000.png')).metadata()).channels).toBe(4)
    const a = await (await prepareImport(freshEnv(), { kind: 'chestxray14', path: root, name: 'cxr', size: 64 })).run({})
    const b = await (await prepareImport(freshEnv(), { kind: 'chestxray14', path: rgbaRoot, name: 'cxr', size: 64 })).run({})
    expect(a.n).toBe(4)
    expect(readFileSync(join(b.dir, 'images.npy')).equals(readFileSync(join(a.dir, 'images.npy')))).toBe(true)
    const labels = readNpy(join(a.dir, 'labels.npy')).data
    const L = a.labelNames.length
    // Sorted by file name: 00000797 (No Finding), 00006338 (Mass), 00012609 (Hernia|Mass), 00018100 (No Finding).
    const row = (i: number) => a.labelNames.filter((_, k) => labels[i * L + k] === 1)
    expect([0, 1, 2, 3].map(row)).toEqual([['No Finding'], ['Mass'], ['Hernia', 'Mass'], ['No Finding']])
    // The 1024 px file is really resized, not cropped to a corner: the mean stays that of the source.
    const src = await sharp(join(samples, 'chestxray14', '00000797_000.png')).greyscale().raw().toBuffer()
    const rowMean = [...(readNpy(join(a.dir, 'images.npy')).data as Uint8Array).subarray(0, 64 * 64)].reduce((x, y) => x + y, 0) / 4096
    expect(Math.abs(rowMean - src.reduce((x, y) => x + y, 0) / src.length)).toBeLessThan(3)
  })

  it('reads mini-MIAS PGMs with Info.txt labels, left/right patient pairs, and flips to face left when asked', async () => {
    const pgm = decodePgm(readFileSync(join(samples, 'mias', 'mdb034.pgm')))
    expect([pgm.width, pgm.height]).toEqual([1024, 1024])
    const rec = await (await prepareImport(freshEnv(), { kind: 'mammogram', path: join(samples, 'mias'), name: 'mias', size: 32, lateralityFlip: true })).run({})
    expect(rec.n).toBe(2)
    expect(rec.labelNames).toEqual(['normal', 'benign', 'malignant'])
    expect([...readNpy(join(rec.dir, 'labels.npy')).data]).toEqual([1, 0, 0, 0, 0, 1]) // mdb034 NORM, mdb267 MISC M
    expect([...(readNpy(join(rec.dir, 'patients.npy')).data as BigInt64Array)]).toEqual([17n, 134n])
    const img = readNpy(join(rec.dir, 'images.npy')).data as Uint8Array
    for (let i = 0; i < 2; i++) {
      let left = 0
      let right = 0
      for (let y = 0; y < 32; y++) for (let x = 0; x < 16; x++) {
        left += img[i * 1024 + y * 32 + x]!
        right += img[i * 1024 + y * 32 + 31 - x]!
      }
      expect(left).toBeGreaterThan(right)
    }
    expect(JSON.parse(readFileSync(join(rec.dir, 'meta.json'), 'utf8')).laterality_flip).toBe(true)
    // mdb034 is a right breast (even number): flipping changes it; by default (no flip) it faces right,
    // and meta.json and the report say it was not mirrored.
    const noFlipEnv = freshEnv()
    const noFlip = await (await prepareImport(noFlipEnv, { kind: 'mammogram', path: join(samples, 'mias'), name: 'mias', size: 32 })).run({})
    expect(JSON.parse(readFileSync(join(noFlip.dir, 'meta.json'), 'utf8')).laterality_flip).toBe(false)
    expect(formatReport(getReport(noFlipEnv.db, noFlip.id) as ImportReport)).toMatch(/orientation as acquired \(not mirrored\)/)
    expect(readFileSync(join(noFlip.dir, 'images.npy')).equals(readFileSync(join(rec.dir, 'images.npy')))).toBe(false)
  })

  it('crops mammograms to the breast bounding box (not the padded film), and the report says so', async () => {
    const env = freshEnv()
    const rec = await (await prepareImport(env, { kind: 'mammogram', path: join(samples, 'mias'), name: 'mias', size: 32 })).run({})
    const film = await (await prepareImport(freshEnv(), { kind: 'mammogram', path: join(samples, 'mias'), name: 'film', size: 32, policy: 'pad-square' })).run({})
    expect(JSON.parse(readFileSync(join(rec.dir, 'meta.json'), 'utf8')).resize_policy).toBe('crop-foreground')
    // The same two films: cut to the breast, the film's background is gone; what is left beside the
    // breast is exact black padding (which the engine's pretext crops leave out), and no tissue is lost.
    const images = (dir: string) => readNpy(join(dir, 'images.npy')).data as Uint8Array
    const tissue = (dir: string) => [...images(dir)].filter((v) => v > 25).length
    // These breasts span the film's height, so the cut cannot enlarge them: the tissue stays within
    // resampling differences (an earlier cut, garbled, passed a strict >= by stretching one third).
    expect(tissue(rec.dir)).toBeGreaterThanOrEqual(0.95 * tissue(film.dir))
    const filmBackground = (dir: string) => [...images(dir)].filter((v) => v > 0 && v <= 25).length
    expect(filmBackground(rec.dir)).toBeLessThan(0.5 * filmBackground(film.dir))
    const report = getReport(env.db, rec.id) as ImportReport
    expect(formatReport(report)).toMatch(/resize: crop-foreground to 32x32 \(cropped to the foreground \(breast\) bounding box/)
  })

  it('cuts a grey film to the breast without garbling it: each row is the film\'s own box, resized', async () => {
    // Reference built without sharp's extract: the box copied out of the decoded film in JS, then the
    // same fit. The earlier cut read libvips' 3-channel copy of a grey box with a 1-channel stride.
    for (const name of ['mdb034.pgm', 'mdb267.pgm']) {
      const film = decodePgm(readFileSync(join(samples, 'mias', name)))
      const box = foregroundBox({ data: film.data, width: film.width, height: film.height, channels: 1 })!
      expect(box.width * box.height).toBeLessThan(film.width * film.height)
      const cut = Buffer.alloc(box.width * box.height)
      for (let y = 0; y < box.height; y++) cut.set(film.data.subarray((box.top + y) * film.width + box.left, (box.top + y) * film.width + box.left + box.width), y * box.width)
      const ref = await sharp(cut, { raw: { width: box.width, height: box.height, channels: 1 } })
        .resize({ width: 32, height: 32, fit: 'contain', position: 'centre', background: { r: 0, g: 0, b: 0 } }).toColourspace('b-w').raw().toBuffer()
      const row = await decodeToRow(join(samples, 'mias', name), { size: 32, channels: 1, policy: 'crop-foreground', lateralityFlip: false })
      expect(row.equals(ref)).toBe(true)
    }
    // A grey PNG film (the demo's, libvips' general path): a bright box whose brightness rises left to
    // right is cached as that ramp, the same down every column.
    const W = 120
    const H = 90
    const film = Buffer.alloc(W * H)
    for (let y = 20; y < 80; y++) for (let x = 10; x < 70; x++) film[y * W + x] = 60 + 3 * (x - 10)
    const file = join(tmp(), 'ramp.png')
    await sharp(film, { raw: { width: W, height: H, channels: 1 } }).png().toFile(file)
    const row = await decodeToRow(file, { size: 30, channels: 1, policy: 'crop-foreground', lateralityFlip: false })
    for (let y = 1; y < 29; y++) expect(Math.abs(row[y * 30 + 15]! - row[15 * 30 + 15]!)).toBeLessThanOrEqual(1)
    for (let x = 2; x < 28; x++) expect(row[15 * 30 + x]!).toBeGreaterThan(row[15 * 30 + x - 1]!)
  })

  it('shows a grey crop-foreground cache cut before crop revision 2 as damaged, and one cut now as whole', async () => {
    const rec = await (await prepareImport(freshEnv(), { kind: 'mammogram', path: join(samples, 'mias'), name: 'mias', size: 32 })).run({})
    const metaFile = join(rec.dir, 'meta.json')
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'))
    expect(meta.crop_revision).toBe(CROP_REVISION)
    expect(cacheDamage(rec.dir, rec.n)).toBeNull()
    delete meta.crop_revision
    writeFileSync(metaFile, JSON.stringify(meta))
    expect(cacheDamage(rec.dir, rec.n)).toMatch(/crop revision 2.*garbled/)
    // Not a crop: an old cache of another policy stays whole.
    writeFileSync(metaFile, JSON.stringify({ ...meta, resize_policy: 'pad-square' }))
    expect(cacheDamage(rec.dir, rec.n)).toBeNull()
  })

  it('finds the foreground box of a portrait on a black film, ignoring a few noisy pixels', () => {
    const width = 40
    const height = 30
    const data = new Uint8Array(width * height)
    for (let y = 5; y < 25; y++) for (let x = 12; x < 22; x++) data[y * width + x] = 200
    data[0] = 90 // one speck: a row and a column with too few bright pixels to count
    expect(foregroundBox({ data, width, height, channels: 1 })).toEqual({ left: 12, top: 5, width: 10, height: 20 })
    expect(foregroundBox({ data: new Uint8Array(width * height).fill(9), width, height, channels: 1 })).toBeNull()
  })

  it('converts the RGB/RGBA head CT PNGs to grey exactly (their channels are equal)', async () => {
    const file = join(samples, 'head-ct', 'normal', '117.png')
    const raw = await sharp(file).raw().toBuffer({ resolveWithObject: true })
    expect(raw.info.channels).toBeGreaterThanOrEqual(3)
    const row = await decodeToRow(file, { size: 32, channels: 1, policy: 'shorter-side-center-crop' })
    const ref = await sharp(await sharp(file).extractChannel(0).raw().toBuffer(), { raw: { width: raw.info.width, height: raw.info.height, channels: 1 } })
      .resize({ width: 32, height: 32, fit: 'cover' }).toColourspace('b-w').raw().toBuffer()
    expect(row.equals(ref)).toBe(true)
    const rec = await (await prepareImport(freshEnv(), { kind: 'imagefolder', path: join(samples, 'head-ct'), name: 'ct', size: 32 })).run({})
    expect(rec).toMatchObject({ n: 4, channels: 1, labelNames: ['hemorrhage', 'normal'] })
    const padded = await (await prepareImport(freshEnv(), { kind: 'imagefolder', path: join(samples, 'head-ct'), name: 'ct', size: 32, policy: 'pad-square' })).run({})
    expect(JSON.parse(readFileSync(join(padded.dir, 'meta.json'), 'utf8')).resize_policy).toBe('pad-square')
    expect(JSON.parse(readFileSync(join(rec.dir, 'meta.json'), 'utf8')).resize_policy).toBe('shorter-side-center-crop')
  })

  it('keeps the ImageNet JPEGs in colour and never stretches them', async () => {
    const rec = await (await prepareImport(freshEnv(), { kind: 'imagefolder', path: join(samples, 'natural'), name: 'nat', size: 24 })).run({})
    expect(rec).toMatchObject({ n: 4, channels: 3 })
    expect(readNpy(join(rec.dir, 'images.npy')).header.shape).toEqual([4, 24, 24, 3])
    const meta = JSON.parse(readFileSync(join(rec.dir, 'meta.json'), 'utf8'))
    expect(meta.mean).toHaveLength(3)
    const pad = await decodeToRow(join(samples, 'head-ct', 'hemorrhage', '006.png'), { size: 32, channels: 1, policy: 'pad-square' })
    // 258x296 padded to a square: black bars left and right, the image inside keeps its aspect ratio.
    expect(pad[16 * 32]).toBe(0)
    expect(pad[16 * 32 + 16]).toBeGreaterThan(0)
  })
})

describe('DICOM', () => {
  const px = (rows: number, cols: number, f: (i: number) => number) => Uint16Array.from({ length: rows * cols }, (_, i) => f(i))

  it('applies rescale, the VOI window and MONOCHROME1 inversion, mapping 16 bits to 8', async () => {
    const pixels = px(2, 2, (i) => [0, 1000, 2000, 4095][i]!)
    const plain = await decodeDicom(dicomFile({ rows: 2, cols: 2, pixels }))
    expect([...plain.data]).toEqual([0, 62, 125, 255]) // min-max without a window
    const windowed = await decodeDicom(dicomFile({ rows: 2, cols: 2, pixels, center: 1000, width: 1000 }))
    expect([...windowed.data]).toEqual([0, 128, 255, 255])
    const rescaled = await decodeDicom(dicomFile({ rows: 2, cols: 2, pixels, intercept: -1000, slope: 1, center: 0, width: 1000 }))
    expect([...rescaled.data]).toEqual([0, 128, 255, 255])
    const inverted = await decodeDicom(dicomFile({ rows: 2, cols: 2, pixels, photometric: 'MONOCHROME1', center: 1000, width: 1000 }))
    expect([...inverted.data]).toEqual([255, 127, 0, 0])
    expect((await decodeDicom(dicomFile({ rows: 2, cols: 2, pixels, laterality: 'R' }))).laterality).toBe('R')
  })

  it('imports DICOM mammograms next to PNGs', async () => {
    const root = tmp()
    mkdirSync(join(root, 'a'))
    writeFileSync(join(root, 'a', 'one.dcm'), dicomFile({ rows: 40, cols: 30, pixels: px(40, 30, (i) => (i % 30 < 15 ? 3000 : 100)), center: 1500, width: 3000 }))
    writeFileSync(join(root, 'a', 'two.dcm'), dicomFile({ rows: 40, cols: 30, pixels: px(40, 30, (i) => (i % 30 >= 15 ? 3000 : 100)), center: 1500, width: 3000, laterality: 'R' }))
    const rec = await (await prepareImport(freshEnv(), { kind: 'mammogram', path: root, name: 'dcm', size: 16 })).run({})
    expect(rec.n).toBe(2)
    const img = readNpy(join(rec.dir, 'images.npy')).data
    // Both are cut to their bright half (15 x 40, fitted to 6 x 16 in the middle): black bars either side.
    for (const i of [0, 1]) {
      expect(img[i * 256 + 8 * 16 + 8]).toBeGreaterThan(200)
      expect(img[i * 256 + 8 * 16 + 1]).toBe(0)
    }
  })
})
