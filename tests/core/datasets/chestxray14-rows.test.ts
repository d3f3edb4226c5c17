// ChestX-ray14 tables as users have them: rows with unusable fields, a lone official list, the same
// file name in two image folders, patient ids too long for a double. Each case is checked before
// any image is decoded and the import goes on with the rest.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { parseChestTable, planChestXray14 } from '../../../src-core/datasets/chestxray14.ts'
import { prepareImport } from '../../../src-core/datasets/import-job.ts'
import { readNpy } from '../../../src-core/datasets/npy.ts'
import type { ImportReport } from '../../../src-core/datasets/report.ts'
import { getReport, listSamples } from '../../../src-core/store/datasets.ts'
import { freshEnv, SHARED_DATA, tmp, writePng } from './helpers.ts'

const header = gunzipSync(readFileSync(join(SHARED_DATA, 'chestxray14', 'Data_Entry_2017_v2020.csv.gz'))).toString('utf8').split('\n')[0]!

/** A table row in the real layout (11 columns). */
const row = (image: string, labels: string, follow: string, patient: string) => `${image},${labels},${follow},${patient},58,M,PA,2682,2749,0.143,0.143`

/** A ChestX-ray14 folder with these rows and a stand-in PNG per image (a 0-byte file where `empty` names it). */
async function folder(rows: string[], images: string[], empty: string[] = []): Promise<string> {
  const root = tmp('xlab-cxr-rows-')
  writeFileSync(join(root, 'Data_Entry_2017.csv'), [header, ...rows].join('\n') + '\n')
  for (const [i, name] of images.entries()) {
    if (empty.includes(name)) {
      mkdirSync(join(root, 'images'), { recursive: true })
      writeFileSync(join(root, 'images', name), '')
    } else await writePng(join(root, 'images', name), i, 16)
  }
  return root
}

const names = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `${String(from + i).padStart(8, '0')}_000.png`)

describe('ChestX-ray14 rows checked before decoding', () => {
  it('leaves out rows with an empty or "|" Finding Labels instead of calling them No Finding', async () => {
    const imgs = names(8)
    const rows = imgs.map((n, i) => row(n, i === 0 ? '' : i === 1 ? '|' : i % 2 ? 'Effusion' : 'No Finding', '0', String(i + 1)))
    // The two images of the bad rows are empty files: decoding them would skip them as zero-byte.
    const root = await folder(rows, imgs, [imgs[0]!, imgs[1]!])
    const t = parseChestTable(readFileSync(join(root, 'Data_Entry_2017.csv'), 'utf8'))
    expect(t.rows.map((r) => r.image)).not.toContain(imgs[0])
    expect(t.invalid.map((r) => [r.image, r.field])).toEqual([[imgs[0], 'Finding Labels'], [imgs[1], 'Finding Labels']])
    const env = freshEnv()
    const rec = await (await prepareImport(env, { kind: 'chestxray14', path: root, name: 'empty-labels', size: 16 })).run({})
    expect(rec.n).toBe(6)
    const report = getReport(env.db, rec.id) as ImportReport
    expect(report.skippedByReason['invalid-row']).toBe(2)
    expect(report.skippedByReason['zero-byte']).toBeUndefined()
    expect(report.skipped.find((s) => s.file === imgs[1])!.message).toMatch(/Finding Labels "\|"/)
    expect(report.warnings.join('\n')).toMatch(/2 row\(s\) of Data_Entry_2017.csv have no usable Finding Labels/)
    expect(report.perLabel['No Finding']!.total).toBe(3)
  })

  it('leaves out a Follow-up # of 1.5 before decoding, and the import finishes', async () => {
    const imgs = names(6)
    const rows = imgs.map((n, i) => row(n, 'No Finding', i === 2 ? '1.5' : i === 3 ? 'x' : '0', String(i + 1)))
    const root = await folder(rows, imgs, [imgs[2]!])
    const plan = planChestXray14(root)
    expect(plan.items.map((it) => it.rel)).toEqual(['images/' + imgs[0], 'images/' + imgs[1], 'images/' + imgs[4], 'images/' + imgs[5]])
    expect(plan.skipped.filter((s) => s.reason === 'invalid-row').map((s) => s.file)).toEqual([imgs[2], imgs[3]])
    const env = freshEnv()
    const rec = await (await prepareImport(env, { kind: 'chestxray14', path: root, name: 'follow', size: 16 })).run({})
    expect(rec.status).toBe('ready')
    expect(rec.n).toBe(4)
    const report = getReport(env.db, rec.id) as ImportReport
    expect(report.skipped.find((s) => s.file === imgs[2])!.message).toMatch(/Follow-up # "1\.5", not a whole number/)
    expect(report.warnings.join('\n')).toMatch(/2 row\(s\) .* no usable Follow-up #/)
  })

  it('keeps patient ids as text: 20-digit ids neither fail the import nor merge', async () => {
    const imgs = names(6)
    const ids = ['99999999999999999999', '99999999999999999998', '9007199254740993', '9007199254740992', '7', '007']
    const rows = imgs.map((n, i) => row(n, 'No Finding', '0', ids[i]!))
    const root = await folder(rows, imgs)
    const env = freshEnv()
    const rec = await (await prepareImport(env, { kind: 'chestxray14', path: root, name: 'long-ids', size: 16, split: { train: 0.5, val: 0.25, test: 0.25 } })).run({})
    expect(rec.status).toBe('ready')
    const patients = [...(readNpy(join(rec.dir, 'patients.npy')).data as BigInt64Array)].map(Number)
    // Four distinct long ids stay four patients; "7" and "007" are one patient, numbered 7.
    expect(new Set(patients).size).toBe(5)
    expect(patients[4]).toBe(7)
    expect(patients[5]).toBe(7)
    expect(new Set(patients.slice(0, 4)).size).toBe(4)
    expect(patients.slice(0, 4).every((p) => Number.isSafeInteger(p) && p > 7)).toBe(true)
    const report = getReport(env.db, rec.id) as ImportReport
    expect(report.patients!.total).toBe(5)
    expect(report.warnings.join('\n')).toMatch(/4 Patient ID\(s\) have more than 15 digits/)
    expect(listSamples(env.db, rec.id, { status: 'ok' }).map((s) => s.patientId)).toEqual(patients)
  })

  it('uses a lone test_list.txt for the test split and says so', async () => {
    const imgs = names(20)
    const rows = imgs.map((n, i) => row(n, i % 3 ? 'Effusion' : 'No Finding', '0', String(i + 1)))
    const root = await folder(rows, imgs)
    const listed = imgs.slice(0, 5)
    writeFileSync(join(root, 'test_list.txt'), listed.join('\n') + '\n')
    const env = freshEnv()
    const rec = await (await prepareImport(env, { kind: 'chestxray14', path: root, name: 'lone-test', size: 16 })).run({})
    const test = [...(readNpy(join(rec.dir, 'split-test.npy')).data as Uint32Array)].sort((a, b) => a - b)
    expect(test).toEqual([0, 1, 2, 3, 4])
    const report = getReport(env.db, rec.id) as ImportReport
    expect(report.splitSource).toMatch(/official test_list\.txt/)
    expect(report.warnings.join('\n')).toMatch(/test_list\.txt is here without train_val_list\.txt/)
    expect(report.splits.train + report.splits.val).toBe(15)
  })

  it('uses a lone train_val_list.txt: the images it leaves out are the test split', async () => {
    const imgs = names(12)
    const root = await folder(imgs.map((n, i) => row(n, 'No Finding', '0', String(i + 1))), imgs)
    writeFileSync(join(root, 'train_val_list.txt'), imgs.slice(0, 9).join('\n'))
    const plan = planChestXray14(root)
    expect(plan.items.filter((it) => it.fixedSplit === 'test').map((it) => it.rel)).toEqual(imgs.slice(9).map((n) => `images/${n}`))
    expect(plan.splitSource).toMatch(/train_val_list\.txt/)
  })

  it('reports the same file name in two image folders and states which copy is used', async () => {
    const imgs = names(4)
    const root = await folder(imgs.map((n, i) => row(n, 'No Finding', '0', String(i + 1))), imgs)
    // A second, different copy of the first image in images_001/images/.
    await writePng(join(root, 'images_001', 'images', imgs[0]!), 99, 16)
    const plan = planChestXray14(root)
    expect(plan.items.find((it) => it.rel.endsWith(imgs[0]!))!.rel).toBe(`images/${imgs[0]}`)
    const dup = plan.skipped.find((s) => s.reason === 'duplicate-file')!
    expect(dup.file).toBe(`images_001/images/${imgs[0]}`)
    expect(dup.message).toMatch(/first copy in folder order \(images\/00000001_000\.png\) is used/)
    expect(plan.warnings.join('\n')).toMatch(/1 image name\(s\) appear in more than one image folder/)
  })
})
