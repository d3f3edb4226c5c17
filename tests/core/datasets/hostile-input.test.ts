// Input that used to crash an import or give a dataset that looks fine and is wrong: each case is
// now skipped and reported, refused with the file or field named, or warned about.
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { prepareImport } from '../../../src-core/datasets/import-job.ts'
import type { ImportReport } from '../../../src-core/datasets/report.ts'
import { getReport } from '../../../src-core/store/datasets.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import { freshEnv, SHARED_DATA, tmp, writePng } from './helpers.ts'

const HEADER = 'Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]'
const row = (img: string, labels: string, patient: string | number) => `${img},${labels},0,${patient},40,M,PA,1024,1024,0.14,0.14`
const samples = join(SHARED_DATA, 'samples')

async function chestFolder(rows: string[], images: string[]): Promise<string> {
  const root = tmp()
  writeFileSync(join(root, 'Data_Entry_2017.csv'), [HEADER, ...rows].join('\n'))
  for (const [i, img] of images.entries()) await writePng(join(root, 'images', img), i, 16)
  return root
}

async function importAndReport(req: Parameters<typeof prepareImport>[1]) {
  const env = freshEnv()
  const rec = await (await prepareImport(env, { size: 16, ...req })).run({})
  return { rec, report: getReport(env.db, rec.id) as ImportReport }
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `${String(i).padStart(3, '0')}.png`)

describe('ChestX-ray14 table', () => {
  it('leaves out rows whose Patient ID is not a positive number, instead of one patient for all', async () => {
    const imgs = names(24)
    const rows = imgs.map((n, i) => row(n, 'No Finding', i < 20 ? i + 1 : ['', 'abc', '-3', '0'][i - 20]!))
    const { rec, report } = await importAndReport({ kind: 'chestxray14', path: await chestFolder(rows, imgs), name: 'c' })
    expect(rec.n).toBe(20)
    expect(report.patients!.total).toBe(20)
    expect(report.splits.val).toBeGreaterThan(0)
    expect(report.splits.test).toBeGreaterThan(0)
    expect(report.skippedByReason['invalid-row']).toBe(4)
    expect(report.skipped.find((s) => s.file === '020.png')!.message).toMatch(/row 22 of Data_Entry_2017.csv has no Patient ID/)
    expect(report.skipped.find((s) => s.file === '021.png')!.message).toMatch(/Patient ID "abc", not a positive whole number/)
    expect(report.warnings.join(' ')).toMatch(/4 row\(s\) of Data_Entry_2017.csv have no usable Patient ID/)
  })

  it('refuses a table where no row has a Patient ID', async () => {
    const imgs = names(4)
    const root = await chestFolder(imgs.map((n) => row(n, 'Mass', '')), imgs)
    await expect(prepareImport(freshEnv(), { kind: 'chestxray14', path: root, name: 'c' })).rejects.toThrow(/No row of Data_Entry_2017.csv has a usable Patient ID/)
  })

  it('keeps every row when a value holds a stray unquoted quote', async () => {
    const imgs = names(24)
    const rows = imgs.map((n, i) => row(n, i === 3 ? 'Mass"' : 'No Finding', i + 1))
    const { rec } = await importAndReport({ kind: 'chestxray14', path: await chestFolder(rows, imgs), name: 'c' })
    expect(rec.n).toBe(24)
  })

  it('refuses a quoted field that never closes, naming the line', async () => {
    const imgs = names(6)
    const rows = imgs.map((n, i) => (i === 2 ? `${n},"Mass,0,3,40,M,PA,1024,1024,0.14,0.14` : row(n, 'Mass', i + 1)))
    await expect(prepareImport(freshEnv(), { kind: 'chestxray14', path: await chestFolder(rows, imgs), name: 'c' })).rejects.toThrow(/Data_Entry_2017.csv cannot be read: a quoted field that starts on line 4 is never closed.*Fix line 4/)
  })

  it('names a damaged .csv.gz', async () => {
    const root = tmp()
    writeFileSync(join(root, 'Data_Entry_2017.csv.gz'), gzipSync(Buffer.from([HEADER, row('a.png', 'Mass', 1)].join('\n'))).subarray(0, 30))
    await writePng(join(root, 'images', 'a.png'), 1)
    await expect(prepareImport(freshEnv(), { kind: 'chestxray14', path: root, name: 'c' })).rejects.toThrow(/Data_Entry_2017.csv.gz is not a complete gzip file .*Download or copy it again/)
  })
})

describe('image folders', () => {
  it('splits one image per class by image, with val and test, and says why', async () => {
    const root = tmp()
    for (let c = 0; c < 20; c++) await writePng(join(root, `class${c}`, 'only.png'), c)
    const { report } = await importAndReport({ kind: 'imagefolder', path: root, name: 'one' })
    expect(report.splits).toMatchObject({ train: 14, val: 2, test: 4 })
    expect(report.warnings.join(' ')).toMatch(/too small to stratify/)
    expect(report.warnings.join(' ')).toMatch(/20 class folder\(s\) hold a single image/)
    const { report: r2 } = await importAndReport({ kind: 'imagefolder', path: root, name: 'one', split: { train: 0.8, val: 0.2, test: 0 } })
    expect(r2.splits).toMatchObject({ train: 16, val: 4, test: 0 })
  })

  it('warns when a split stays empty', async () => {
    const root = tmp()
    await writePng(join(root, 'a', 'x.png'), 1)
    await writePng(join(root, 'a', 'y.png'), 2)
    const { report } = await importAndReport({ kind: 'imagefolder', path: root, name: 'tiny' })
    expect(report.warnings.join(' ')).toMatch(/The val split is empty .*Pretext runs need validation images/)
  })

  it('reports a CSV beside the class folders as not an image, not as an image without a row', async () => {
    const root = tmp()
    await writePng(join(root, 'a', 'x.png'), 1)
    await writePng(join(root, 'b', 'y.png'), 2)
    writeFileSync(join(root, 'labels.csv'), 'file,label\n')
    const { report } = await importAndReport({ kind: 'imagefolder', path: root, name: 'f' })
    expect(report.skipped).toEqual([{ file: 'labels.csv', reason: 'unsupported-format', message: expect.stringContaining('not an image') }])
  })

  it('skips a symlink loop and goes on with the other files', async () => {
    const root = tmp()
    await writePng(join(root, 'a', 'x.png'), 1)
    await writePng(join(root, 'b', 'y.png'), 2)
    symlinkSync(join(root, 'a', 'loop2.png'), join(root, 'a', 'loop1.png'))
    symlinkSync(join(root, 'a', 'loop1.png'), join(root, 'a', 'loop2.png'))
    const { rec, report } = await importAndReport({ kind: 'imagefolder', path: root, name: 'f' })
    expect(rec.n).toBe(2)
    expect(report.skipped.map((s) => [s.file, s.reason, s.message])).toEqual([
      ['a/loop1.png', 'unreadable', 'the link is part of a symlink loop'],
      ['a/loop2.png', 'unreadable', 'the link is part of a symlink loop'],
    ])
  })

  it('keeps grey images saved as RGB grey under colour auto, even with a few levels of channel rounding', async () => {
    const root = tmp()
    for (let k = 0; k < 3; k++) {
      const w = 48
      const px = Buffer.alloc(w * w * 3)
      for (let i = 0; i < w * w; i++) {
        const v = 40 + ((i * 7 + k * 13) % 170)
        // As JPEG and colour-profile conversions leave them: equal channels up to +-5 levels.
        px[3 * i] = v
        px[3 * i + 1] = v + (i % 3 === 0 ? 5 : 0)
        px[3 * i + 2] = v - (i % 5 === 0 ? 4 : 0)
      }
      mkdirSync(join(root, 'ct'), { recursive: true })
      writeFileSync(join(root, 'ct', `${k}.png`), await sharp(px, { raw: { width: w, height: w, channels: 3 } }).png().toBuffer())
    }
    const { rec } = await importAndReport({ kind: 'imagefolder', path: root, name: 'ct' })
    expect(rec.channels).toBe(1)
    const nat = await importAndReport({ kind: 'imagefolder', path: join(samples, 'natural'), name: 'nat' })
    expect(nat.rec.channels).toBe(3)
  })

  it('hints at --resize pad when the images are much taller than wide', async () => {
    const root = tmp()
    for (let i = 0; i < 3; i++) {
      mkdirSync(join(root, 'spine'), { recursive: true })
      writeFileSync(join(root, 'spine', `${i}.png`), await sharp({ create: { width: 20, height: 60, channels: 3, background: { r: 90, g: 90, b: 90 } } }).greyscale().png().toBuffer())
    }
    const { report } = await importAndReport({ kind: 'imagefolder', path: root, name: 'tall' })
    expect(report.warnings.join(' ')).toMatch(/about 3.0 times as long as they are wide, so the centre crop cuts away about 67% .*--resize pad/)
    const { report: padded } = await importAndReport({ kind: 'imagefolder', path: root, name: 'tall', policy: 'pad-square' })
    expect(padded.warnings.join(' ')).not.toMatch(/centre crop/)
  })
})

describe('mammograms', () => {
  it('skips a PGM whose header claims 100000 x 100000 pixels and imports the rest', async () => {
    const root = tmp()
    copyFileSync(join(samples, 'mias', 'mdb034.pgm'), join(root, 'good.pgm'))
    writeFileSync(join(root, 'huge.pgm'), Buffer.concat([Buffer.from('P5\n100000 100000\n255\n'), Buffer.alloc(100)]))
    const { rec, report } = await importAndReport({ kind: 'mammogram', path: root, name: 'm' })
    expect(rec.n).toBe(1)
    expect(report.skipped).toEqual([expect.objectContaining({ file: 'huge.pgm', reason: 'corrupt', message: expect.stringContaining('100000x100000') })])
  })

  it('finds MIAS_Info.txt and does not count its rows without an image as skipped files', async () => {
    const root = tmp()
    for (const f of ['mdb034.pgm', 'mdb267.pgm']) copyFileSync(join(samples, 'mias', f), join(root, f))
    copyFileSync(join(samples, 'mias', 'Info.txt'), join(root, 'MIAS_Info.txt'))
    const { rec, report } = await importAndReport({ kind: 'mammogram', path: root, name: 'm' })
    expect(rec.labelNames).toEqual(['normal', 'benign', 'malignant'])
    expect(report.patients!.total).toBe(2)
    expect(report.skippedCount).toBe(0)
    expect(report.warnings.join(' ')).toMatch(/image\(s\) listed in MIAS_Info.txt are not in the folder/)
  })

  it('takes labels and patients from a labels.csv beside the images', async () => {
    const root = tmp()
    for (let i = 0; i < 6; i++) await writePng(join(root, 'img', `m${i}.png`), i)
    writeFileSync(join(root, 'labels.csv'), ['file,label,patient_id', ...Array.from({ length: 6 }, (_, i) => `img/m${i}.png,${i % 2 ? 'malignant' : 'benign'},P${i >> 1}`), 'img/gone.png,benign,P9'].join('\n'))
    const { rec, report } = await importAndReport({ kind: 'mammogram', path: root, name: 'm' })
    expect(rec.labelNames).toEqual(['benign', 'malignant'])
    expect(report.perLabel.malignant!.total).toBe(3)
    expect(report.patients!.total).toBe(3)
    expect(report.warnings.join(' ')).toMatch(/1 row\(s\) of labels.csv name no image in the folder \(e.g. img\/gone.png\)/)
  })
})

describe('files outside the allowed folders', () => {
  it('skips a symlinked file that leads outside the folder opened in the lab', async () => {
    const outside = tmp()
    await writePng(join(outside, 'secret.png'), 9)
    const root = tmp()
    await writePng(join(root, 'a', 'x.png'), 1)
    await writePng(join(root, 'b', 'y.png'), 2)
    symlinkSync(join(outside, 'secret.png'), join(root, 'a', 'leak.png'))
    const service = await LabService.open({ dataRoot: tmp(), startQueue: false })
    try {
      service.ctx.pathGuard.allow(root)
      const call = (m: string, input: unknown) => service.dispatch(m, input, { signal: new AbortController().signal, requestId: 't' })
      const { id } = (await call('datasets.import', { kind: 'imagefolder', path: root, name: 'g', size: 16 })) as { id: string }
      for (let i = 0; i < 600 && ((await call('datasets.get', { id })) as { status: string }).status === 'importing'; i++) await new Promise((r) => setTimeout(r, 50))
      const report = (await call('datasets.report', { id })) as ImportReport
      expect(report.imported).toBe(2)
      expect(report.skipped).toEqual([expect.objectContaining({ file: 'a/leak.png', reason: 'outside-allowed-folders' })])
    } finally {
      await service.close()
    }
  })
})

describe('decode memory', () => {
  it('decodes a small PNG that claims 12000 x 12000 colour pixels without a full-size copy', async () => {
    const dir = tmp()
    const bomb = join(dir, 'bomb.png')
    writeFileSync(bomb, await sharp({ create: { width: 12000, height: 12000, channels: 3, background: { r: 10, g: 200, b: 30 } } }).png({ compressionLevel: 9 }).toBuffer())
    expect(readFileSync(bomb).length).toBeLessThan(1_000_000)
    const script = join(dir, 'decode.mts')
    writeFileSync(script, `import { decodeToRow } from ${JSON.stringify(resolve(import.meta.dirname, '../../../src-core/datasets/image-decode.ts'))}
const before = process.resourceUsage().maxRSS
for (const channels of [3, 1]) await decodeToRow(${JSON.stringify(bomb)}, { size: 64, channels, policy: 'shorter-side-center-crop' })
console.log(JSON.stringify({ grownMb: (process.resourceUsage().maxRSS - before) / 1024 }))\n`)
    const tsx = resolve(import.meta.dirname, '../../../node_modules/.bin/tsx')
    const res = spawnSync(tsx, [script], { encoding: 'utf8', timeout: 120_000 })
    expect(res.status, res.stderr).toBe(0)
    // A full RGB copy is 432 MB; bounded decoding stays far below.
    expect(JSON.parse(res.stdout.trim().split('\n').at(-1)!).grownMb).toBeLessThan(250)
  })
})
