// The real ChestX-ray14 table (112,120 rows) with generated stand-in images for a subset.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { binaryTarget, CHEST_LABELS, threeClassTarget } from '../../../src-core/datasets/chest-labels.ts'
import { parseChestTable, planChestXray14 } from '../../../src-core/datasets/chestxray14.ts'
import { prepareImport, splitPlan } from '../../../src-core/datasets/import-job.ts'
import { readNpy } from '../../../src-core/datasets/npy.ts'
import { ImportInputError, type ImportPlan } from '../../../src-core/datasets/plan.ts'
import { findLeaks } from '../../../src-core/datasets/splits.ts'
import { freshEnv, SHARED_DATA, tmp, writePng } from './helpers.ts'

const tableText = gunzipSync(readFileSync(join(SHARED_DATA, 'chestxray14', 'Data_Entry_2017_v2020.csv.gz'))).toString('utf8')
const table = parseChestTable(tableText)

describe('ChestX-ray14 table (real, 112,120 rows)', () => {
  it('parses every row, patient and label', () => {
    expect(table.rows.length).toBe(112120)
    expect(new Set(table.rows.map((r) => r.patient)).size).toBe(30805)
    expect(table.duplicates).toEqual([])
    expect(table.unknownLabels.size).toBe(0)
    const seen = new Set(table.rows.flatMap((r) => r.labels))
    expect([...seen].sort()).toEqual([...CHEST_LABELS].sort())
    // No Finding is exclusive.
    expect(table.rows.filter((r) => r.labels.includes('No Finding') && r.labels.length > 1)).toEqual([])
    expect(table.rows[1]).toMatchObject({ image: '00000001_001.png', labels: ['Cardiomegaly', 'Emphysema'], patient: '1', followUp: 1, view: 'PA' })
  })

  it('gives the published prevalence and the derived targets', () => {
    const n = table.rows.length
    const count = (l: string) => table.rows.filter((r) => r.labels.includes(l)).length
    expect(count('No Finding')).toBe(60361)
    expect(count('Pneumonia')).toBe(1431)
    expect(count('Infiltration')).toBe(19894)
    expect(count('Hernia')).toBe(227)
    const binary = table.rows.map((r) => binaryTarget(r.labels))
    const three = table.rows.map((r) => threeClassTarget(r.labels))
    expect(binary.filter((b) => b === 0).length / n).toBeCloseTo(0.5384, 3)
    expect(three.filter((t) => t === 1).length).toBe(1431)
    expect(three.filter((t) => t === 2).length).toBe(n - 60361 - 1431)
    expect(threeClassTarget(['Pneumonia', 'Effusion'])).toBe(1)
    expect(threeClassTarget(['Effusion'])).toBe(2)
  })

  it('accepts the `Patient Sex` header and trailing commas', () => {
    const lines = tableText.split('\n').slice(0, 50).map((l, i) => (i === 0 ? l.replace('Patient Gender', 'Patient Sex') : l) + (l ? ',' : ''))
    const t = parseChestTable(lines.join('\n'))
    expect(t.rows.length).toBe(49)
    expect(t.rows[0]!.labels).toEqual(['Cardiomegaly'])
    expect(t.rows[0]!.view).toBe('PA')
  })

  it('splits all 112,120 rows by patient with no patient in two splits, close to the fractions', () => {
    const plan: ImportPlan = {
      labelNames: [...CHEST_LABELS],
      multiLabel: true,
      items: table.rows.map((r) => ({ file: r.image, rel: r.image, labels: r.labels.map((l) => CHEST_LABELS.indexOf(l as never)), patient: Number(r.patient), followUp: r.followUp, view: r.view, fixedSplit: null })),
      skipped: [], warnings: [], hasPatients: true, splitSource: '', channels: 1, policy: 'shorter-side-center-crop', lateralityFlip: false,
      stratum: (it) => threeClassTarget(it.labels.map((i) => CHEST_LABELS[i]!)),
    }
    const splits = splitPlan(plan, { train: 0.7, val: 0.1, test: 0.2 }, 1)
    expect(findLeaks(plan.items.map((it) => it.patient!), splits)).toEqual([])
    const frac = (s: string) => splits.filter((x) => x === s).length / splits.length
    expect(frac('train')).toBeCloseTo(0.7, 1)
    expect(frac('test')).toBeCloseTo(0.2, 1)
    // Stratified: Pneumonia's share in test is close to its share overall.
    const pn = plan.items.map((it, i) => [threeClassTarget(it.labels.map((l) => CHEST_LABELS[l]!)), splits[i]] as const)
    const pnTest = pn.filter(([t, s]) => t === 1 && s === 'test').length / pn.filter(([, s]) => s === 'test').length
    expect(pnTest).toBeGreaterThan(0.009)
    expect(pnTest).toBeLessThan(0.017)
  })
})

describe('ChestX-ray14 import with stand-in images', () => {
  // The first 240 rows' images as small PNGs, spread over images_001/images and images_002/images.
  const root = tmp('xlab-cxr-')
  const subset = table.rows.slice(0, 240)
  beforeAll(async () => {
    const header = tableText.split('\n')[0]!
    writeFileSync(join(root, 'Data_Entry_2017_v2020.csv'), [header, ...tableText.split('\n').slice(1, 241)].join('\n') + '\n')
    for (const [i, r] of subset.entries()) await writePng(join(root, i < 120 ? 'images_001/images' : 'images_002/images', r.image), i, 16)
  })

  it('imports labels multi-hot, patients and a leak-free split, with the targets in the report', async () => {
    const env = freshEnv()
    const p = await prepareImport(env, { kind: 'chestxray14', path: root, name: 'cxr', size: 16 })
    const rec = await p.run({})
    expect(rec.status).toBe('ready')
    expect(rec.n).toBe(240)
    const labels = readNpy(join(rec.dir, 'labels.npy'))
    expect(labels.header.shape).toEqual([240, 15])
    const sorted = [...subset].sort((a, b) => (a.image < b.image ? -1 : 1))
    const names = rec.labelNames
    for (let i = 0; i < 240; i++) {
      const row = [...labels.data.subarray(i * 15, i * 15 + 15)]
      expect(names.filter((_, k) => row[k] === 1).sort()).toEqual([...sorted[i]!.labels].sort())
    }
    const patients = [...(readNpy(join(rec.dir, 'patients.npy')).data as BigInt64Array)].map(Number)
    expect(patients).toEqual(sorted.map((r) => Number(r.patient)))
    const split = new Array<string>(240)
    for (const s of ['train', 'val', 'test']) for (const i of readNpy(join(rec.dir, `split-${s}.npy`)).data as Uint32Array) split[i] = s
    expect(split.filter(Boolean).length).toBe(240)
    expect(findLeaks(patients, split as never)).toEqual([])
    const meta = JSON.parse(readFileSync(join(rec.dir, 'meta.json'), 'utf8'))
    expect(meta).toMatchObject({ format_version: 1, kind: 'chestxray14', n: 240, height: 16, width: 16, channels: 1, resize_policy: 'shorter-side-center-crop', multi_label: true })
    expect(meta.label_names).toEqual(names)
    expect(Object.keys(meta.checksums)).toContain('images.npy')
  })

  it('uses the official lists when present and refuses lists that put a patient in two splits', async () => {
    const lists = tmp('xlab-cxr-lists-')
    const header = tableText.split('\n')[0]!
    writeFileSync(join(lists, 'Data_Entry_2017.csv'), [header, ...tableText.split('\n').slice(1, 241)].join('\n'))
    for (const [i, r] of subset.entries()) await writePng(join(lists, 'images', r.image), i, 16)
    const testPatients = new Set(subset.filter((r) => Number(r.patient) % 4 === 0).map((r) => Number(r.patient)))
    writeFileSync(join(lists, 'test_list.txt'), subset.filter((r) => testPatients.has(Number(r.patient))).map((r) => r.image).join('\n'))
    writeFileSync(join(lists, 'train_val_list.txt'), subset.filter((r) => !testPatients.has(Number(r.patient))).map((r) => r.image).join('\n'))
    const env = freshEnv()
    const rec = await (await prepareImport(env, { kind: 'chestxray14', path: lists, name: 'official', size: 16 })).run({})
    const patients = [...(readNpy(join(rec.dir, 'patients.npy')).data as BigInt64Array)].map(Number)
    const test = [...(readNpy(join(rec.dir, 'split-test.npy')).data as Uint32Array)]
    expect(test.map((i) => patients[i]!).every((p) => testPatients.has(p))).toBe(true)
    expect(test.length).toBe(subset.filter((r) => testPatients.has(Number(r.patient))).length)

    // Move one image of a test patient into train_val: the split now leaks.
    const leaked = subset.find((r) => testPatients.has(Number(r.patient)) && subset.filter((o) => o.patient === r.patient).length > 1)!
    writeFileSync(join(lists, 'test_list.txt'), subset.filter((r) => testPatients.has(Number(r.patient)) && r !== leaked).map((r) => r.image).join('\n'))
    writeFileSync(join(lists, 'train_val_list.txt'), subset.filter((r) => !testPatients.has(Number(r.patient)) || r === leaked).map((r) => r.image).join('\n'))
    await expect(prepareImport(freshEnv(), { kind: 'chestxray14', path: lists, name: 'leaky', size: 16 })).rejects.toThrow(/leaks patients.*patient \d+/)
    expect(existsSync(join(lists, 'x'))).toBe(false)
  })

  it('plans images_0NN/images layouts and reports rows without images', () => {
    const extra = tmp('xlab-cxr-extra-')
    const header = tableText.split('\n')[0]!
    writeFileSync(join(extra, 'Data_Entry_2017.csv'), [header, ...tableText.split('\n').slice(1, 4)].join('\n'))
    mkdirSync(join(extra, 'images_003', 'images'), { recursive: true })
    writeFileSync(join(extra, 'images_003', 'images', 'notes.txt'), 'x')
    expect(() => planChestXray14(extra)).toThrow(ImportInputError)
    expect(() => planChestXray14(extra)).toThrow(/hold no images/)
  })
})
