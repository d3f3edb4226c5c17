// Each bad input gets a message saying what is wrong and what to do, and no dataset is left ready.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { prepareImport } from '../../../src-core/datasets/import-job.ts'
import { getDatasetByIdOrName, getReport, listDatasets, listSamples } from '../../../src-core/store/datasets.ts'
import type { ImportReport } from '../../../src-core/datasets/report.ts'
import { dicomFile, freshEnv, tmp, writePng } from './helpers.ts'

const HEADER = 'Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]'
const row = (img: string, labels: string, patient: number) => `${img},${labels},0,${patient},40,M,PA,1024,1024,0.14,0.14`

async function chestFolder(rows: string[], images: string[]): Promise<string> {
  const root = tmp()
  writeFileSync(join(root, 'Data_Entry_2017.csv'), [HEADER, ...rows].join('\n'))
  for (const [i, img] of images.entries()) await writePng(join(root, 'images', img), i, 16)
  return root
}

describe('bad input', () => {
  it('a path that does not exist', async () => {
    const env = freshEnv()
    await expect(prepareImport(env, { kind: 'imagefolder', path: '/no/such/folder', name: 'x' })).rejects.toThrow('/no/such/folder does not exist. Check the path')
    expect(listDatasets(env.db)).toEqual([])
  })

  it('a folder with no images', async () => {
    const root = tmp()
    mkdirSync(join(root, 'cats'))
    writeFileSync(join(root, 'cats', 'notes.txt'), 'hello')
    await expect(prepareImport(freshEnv(), { kind: 'imagefolder', path: root, name: 'x' })).rejects.toThrow(/hold no images/)
    await expect(prepareImport(freshEnv(), { kind: 'imagefolder', path: tmp(), name: 'x' })).rejects.toThrow(/has no class folders/)
    await expect(prepareImport(freshEnv(), { kind: 'mammogram', path: tmp(), name: 'x' })).rejects.toThrow(/holds no mammograms/)
  })

  it('a CSV without the needed columns', async () => {
    const root = tmp()
    writeFileSync(join(root, 'Data_Entry_2017.csv'), 'Image,Labels\na.png,Mass\n')
    await writePng(join(root, 'images', 'a.png'), 1)
    await expect(prepareImport(freshEnv(), { kind: 'chestxray14', path: root, name: 'x' })).rejects.toThrow(/lacks the column\(s\) "Image Index", "Finding Labels", "Patient ID"/)
  })

  it('labels outside the known set are kept, with a warning', async () => {
    const root = await chestFolder([row('a.png', 'Mass|Covid', 1), row('b.png', 'No Finding', 2)], ['a.png', 'b.png'])
    const env = freshEnv()
    const rec = await (await prepareImport(env, { kind: 'chestxray14', path: root, name: 'x', size: 16 })).run({})
    expect(rec.labelNames.at(-1)).toBe('Covid')
    const report = getReport(env.db, rec.id) as ImportReport
    expect(report.warnings.join(' ')).toMatch(/"Covid" \(1 rows\) is not one of the 15 ChestX-ray14 labels; it is kept/)
    expect(report.perLabel.Covid!.total).toBe(1)
  })

  it('duplicate rows, rows without images, images without rows, and unreadable files are skipped and reported', async () => {
    const root = await chestFolder(
      [row('a.png', 'Mass', 1), row('a.png', 'Nodule', 1), row('b.png', 'No Finding', 2), row('gone.png', 'Mass', 3), row('c.png', 'Effusion', 4), row('d.png', 'Mass', 5), row('e.png', 'Mass', 6), row('f.png', 'Mass', 7), row('g.dcm', 'Mass', 8)],
      ['a.png', 'b.png', 'orphan.png'],
    )
    writeFileSync(join(root, 'images', 'c.png'), Buffer.alloc(0))
    writeFileSync(join(root, 'images', 'd.png'), Buffer.from('this is not a png at all, just text'))
    const good = await import('node:fs').then((fs) => fs.readFileSync(join(root, 'images', 'a.png')))
    writeFileSync(join(root, 'images', 'e.png'), good.subarray(0, Math.floor(good.length / 2)))
    writeFileSync(join(root, 'images', 'f.png'), Buffer.from('GIF89a'))
    writeFileSync(join(root, 'images', 'g.dcm'), dicomFile({ rows: 4, cols: 4 }))
    writeFileSync(join(root, 'images', 'readme.md'), '# notes')
    const env = freshEnv()
    const rec = await (await prepareImport(env, { kind: 'chestxray14', path: root, name: 'x', size: 16 })).run({})
    expect(rec.status).toBe('ready')
    expect(rec.n).toBe(2)
    const report = getReport(env.db, rec.id) as ImportReport
    const byFile = Object.fromEntries(report.skipped.map((s) => [s.file.replace(/^images\//, ''), s.reason]))
    expect(byFile).toMatchObject({
      'a.png': 'duplicate-row',
      'gone.png': 'csv-row-without-image',
      'orphan.png': 'image-without-csv-row',
      'c.png': 'zero-byte',
      'e.png': 'truncated',
      'g.dcm': 'dicom-no-pixel-data',
      'readme.md': 'unsupported-format',
    })
    expect(['corrupt', 'unsupported-format']).toContain(byFile['d.png'])
    expect(['corrupt', 'unsupported-format', 'truncated']).toContain(byFile['f.png'])
    expect(report.skippedCount).toBe(9)
    const skippedRows = listSamples(env.db, rec.id, { status: 'skipped' })
    expect(skippedRows.find((s) => s.path === 'images/c.png')?.reason).toMatch(/^zero-byte: the file is empty/)
  })

  it('a disk that fills up: the import fails with what to do and the dataset is not ready', async () => {
    const env = freshEnv()
    const root = tmp()
    for (let i = 0; i < 3; i++) await writePng(join(root, 'a', `${i}.png`), i)
    const p = await prepareImport(env, { kind: 'imagefolder', path: root, name: 'full', size: 16 })
    // /dev/full answers every write with ENOSPC, as a full disk does.
    mkdirSync(join(env.datasetsDir, p.id), { recursive: true })
    symlinkSync('/dev/full', join(env.datasetsDir, p.id, 'images.npy'))
    await expect(p.run({})).rejects.toThrow(/The disk holding .* is full\. Free some space .* run the import again/)
    const d = getDatasetByIdOrName(env.db, 'full')!
    expect(d.status).toBe('failed')
    expect(d.error).toMatch(/is full/)
  })

  it('a bad split or size is refused before anything is stored', async () => {
    const env = freshEnv()
    const root = tmp()
    await writePng(join(root, 'a', '0.png'), 0)
    await expect(prepareImport(env, { kind: 'imagefolder', path: root, split: { train: 0.5, val: 0.1, test: 0.1 } })).rejects.toThrow(/sum to 1/)
    await expect(prepareImport(env, { kind: 'imagefolder', path: root, size: 3 })).rejects.toThrow(/between 8 and 2048/)
    expect(listDatasets(env.db)).toEqual([])
  })

  it('a name that is taken by a ready dataset', async () => {
    const env = freshEnv()
    const root = tmp()
    await writePng(join(root, 'a', '0.png'), 0)
    await (await prepareImport(env, { kind: 'imagefolder', path: root, name: 'same', size: 16 })).run({})
    await expect(prepareImport(env, { kind: 'imagefolder', path: root, name: 'same', size: 16 })).rejects.toThrow(/already exists\. Remove it \(xlab datasets remove same\)/)
  })
})
