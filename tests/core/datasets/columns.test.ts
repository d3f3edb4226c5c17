// Label tables with their own column names: recognised names, columns chosen in the CLI
// (--file-column, --label-column, --patient-column), the wizard's preview, and the fallback to
// MIAS_Info.txt or class folders when a table cannot be used (said in the report).
import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { prepareImport } from '../../../src-core/datasets/import-job.ts'
import { readLabelsCsv } from '../../../src-core/datasets/labels-csv.ts'
import { planMammograms } from '../../../src-core/datasets/mammogram.ts'
import { readNpy } from '../../../src-core/datasets/npy.ts'
import { previewTable } from '../../../src-core/datasets/table-preview.ts'
import { freshEnv, REPO, SHARED_DATA, tmp, writePng } from './helpers.ts'

/** A mammogram folder: benign/ and normal/ class folders with 3 PNGs each, and a labels.csv. */
async function mammoFolder(csv: string): Promise<string> {
  const root = tmp('xlab-cols-')
  for (const [c, cls] of ['benign', 'normal'].entries()) for (let i = 0; i < 3; i++) await writePng(join(root, cls, `m${c}${i}.png`), c * 3 + i, 24)
  writeFileSync(join(root, 'labels.csv'), csv)
  return root
}

const rows = (fileCol: string, labelCol: string, patientCol: string) =>
  [`${fileCol},${labelCol},${patientCol},age`, ...['benign/m00.png,malignant,p1,50', 'benign/m01.png,benign,p1,50', 'benign/m02.png,benign,p2,61', 'normal/m10.png,normal,p3,44', 'normal/m11.png,normal,p4,70', 'normal/m12.png,malignant,p4,70']].join('\n')

describe('label table columns', () => {
  it('recognises path, relpath, filepath, image_path and file_name without asking', () => {
    for (const name of ['path', 'relpath', 'filepath', 'image_path', 'file_name']) {
      const root = tmp('xlab-cols-name-')
      writeFileSync(join(root, 'labels.csv'), `${name},label\na.png,x\nb.png,y\n`)
      expect(readLabelsCsv(join(root, 'labels.csv')).rows.size, name).toBe(2)
    }
  })

  it('imports a table whose columns have other names once they are chosen, and refuses a column that is not there', async () => {
    const root = await mammoFolder(rows('Image File', 'BI-RADS class', 'Case'))
    // Without a choice the table cannot be read, so the class folders label the images, and the report says so.
    const plan = planMammograms(root, false)
    expect(plan.labelNames).toEqual(['benign', 'normal'])
    expect(plan.warnings[0]).toMatch(/labels\.csv was not used: it has no recognised file and label columns \(its columns: Image File, BI-RADS class, Case, age\), so the labels come from the class folders/)
    const chosen = planMammograms(root, false, { file: 'Image File', label: 'BI-RADS class', patient: 'Case' })
    expect(chosen.labelNames).toEqual(['benign', 'malignant', 'normal'])
    expect(chosen.items.map((it) => chosen.labelNames[it.labels[0]!])).toEqual(['malignant', 'benign', 'benign', 'normal', 'normal', 'malignant'])
    expect(chosen.hasPatients).toBe(true)
    expect(chosen.items.map((it) => it.patient)).toEqual([1, 1, 2, 3, 4, 4])
    expect(() => planMammograms(root, false, { file: 'Image File', label: 'grade' })).toThrow(/labels\.csv has no column "grade" for the label \(its columns: Image File, BI-RADS class, Case, age\)/)
  })

  it('labels a mini-MIAS folder by MIAS_Info.txt when its labels.csv has no usable columns, and says which it used', async () => {
    const root = tmp('xlab-cols-mias-')
    for (const f of ['mdb034.pgm', 'mdb267.pgm']) copyFileSync(join(SHARED_DATA, 'samples', 'mias', f), join(root, f))
    copyFileSync(join(SHARED_DATA, 'samples', 'mias', 'Info.txt'), join(root, 'MIAS_Info.txt'))
    writeFileSync(join(root, 'labels.csv'), 'relpath_x,severity\nmdb034.pgm,N\n')
    const env = freshEnv()
    const rec = await (await prepareImport(env, { kind: 'mammogram', path: root, name: 'mias', size: 16, lateralityFlip: false })).run({})
    expect(rec.labelNames).toEqual(['normal', 'benign', 'malignant'])
    expect(readNpy(join(rec.dir, 'labels.npy')).header.shape).toEqual([2, 3])
    const report = (await import('../../../src-core/store/datasets.ts')).getReport(env.db, rec.id) as { warnings: string[] }
    expect(report.warnings.join('\n')).toMatch(/labels\.csv was not used.*the labels come from MIAS_Info\.txt/)
  })

  it('previews a table for the wizard: columns, first rows and the columns it would use', async () => {
    const root = await mammoFolder(rows('relpath', 'finding', 'subject_id'))
    const p = previewTable('mammogram', root, 3)
    expect(p.table).toBe('labels.csv')
    expect(p.columns).toEqual(['relpath', 'finding', 'subject_id', 'age'])
    expect(p.rows).toEqual([['benign/m00.png', 'malignant', 'p1', '50'], ['benign/m01.png', 'benign', 'p1', '50'], ['benign/m02.png', 'benign', 'p2', '61']])
    expect(p.guess).toEqual({ file: 'relpath', label: 'finding', patient: 'subject_id' })
    const other = await mammoFolder(rows('Image File', 'BI-RADS class', 'Case'))
    expect(previewTable('mammogram', other).guess).toEqual({ file: null, label: null, patient: null })
    expect(previewTable('imagefolder', other).table).toBeNull()
  })

  it('maps the ChestX-ray14 table columns too', async () => {
    const root = tmp('xlab-cols-cxr-')
    writeFileSync(join(root, 'Data_Entry_2017.csv'), 'name,findings,pid\n00000001_000.png,Effusion,1\n00000002_000.png,No Finding,2\n00000003_000.png,Mass|Nodule,3\n')
    for (let i = 1; i <= 3; i++) await writePng(join(root, 'images', `0000000${i}_000.png`), i, 16)
    await expect(prepareImport(freshEnv(), { kind: 'chestxray14', path: root, name: 'c', size: 16 })).rejects.toThrow(/lacks the column\(s\) "Image Index", "Finding Labels", "Patient ID".*--file-column, --label-column, --patient-column/)
    const rec = await (await prepareImport(freshEnv(), { kind: 'chestxray14', path: root, name: 'c', size: 16, columns: { file: 'name', label: 'findings', patient: 'pid' } })).run({})
    expect(rec.n).toBe(3)
    expect(previewTable('chestxray14', root).guess).toEqual({ file: null, label: null, patient: null })
  })

  it('takes --file-column, --label-column and --patient-column in the CLI', async () => {
    const root = await mammoFolder(rows('Image File', 'BI-RADS class', 'Case'))
    const data = tmp('xlab-cols-data-')
    mkdirSync(data, { recursive: true })
    const run = (extra: string[]) =>
      promisify(execFile)(process.execPath, ['bin/xlab.mjs', 'datasets', 'import', 'mammogram', root, '--name', 'm', '--size', '16', '--jobs', '1', '--flip', 'no', '--data', data, '--json', ...extra], { cwd: REPO }).then(
        (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
      )
    const wrong = await run(['--file-column', 'Image File', '--label-column', 'grade'])
    expect(wrong.code).not.toBe(0)
    expect(wrong.err).toMatch(/no column "grade" for the label/)
    const ok = await run(['--file-column', 'Image File', '--label-column', 'BI-RADS class', '--patient-column', 'Case'])
    expect(ok.code).toBe(0)
    const shown = await promisify(execFile)(process.execPath, ['bin/xlab.mjs', 'datasets', 'show', 'm', '--data', data, '--json'], { cwd: REPO })
    const d = JSON.parse(shown.stdout) as { dataset?: { labelNames: string[] }; labelNames?: string[] }
    expect((d.dataset ?? d).labelNames).toEqual(['benign', 'malignant', 'normal'])
  })
})
