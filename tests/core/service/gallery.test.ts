// The gallery domain through the lab service on a hand-made dataset and runs whose predictions are
// known: the order by confidence, the errors filter, the counts, patient and image ids, thumbnails
// of the right cache rows, the multi-label view per finding, the pair view's two directions, and
// the refusals (no predictions yet, a dataset imported again since the run was planned).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { galleryApi } from '../../../src-core/api/gallery.ts'
import { writeMeta } from '../../../src-core/datasets/cache-files.ts'
import { writeNpy } from '../../../src-core/datasets/npy.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import { decisions, selectDecisions } from '../../../src-core/service/gallery.ts'
import * as datasets from '../../../src-core/store/datasets.ts'
import * as runs from '../../../src-core/store/runs.ts'
import { datasetContentChecksum } from '../../../src-core/study/provenance.ts'
import { tmp } from '../datasets/helpers.ts'

const N = 10
const SIDE = 4
/** Test rows 4..9; image i is a flat grey of value 20 * i, so a thumbnail tells its row. */
const TEST = [4, 5, 6, 7, 8, 9]
const patientOf = (i: number) => 100 + Math.floor(i / 2)

async function writeDataset(root: string, id: string, name: string, shift = 0): Promise<string> {
  const dir = join(root, 'datasets', id)
  mkdirSync(dir, { recursive: true })
  const px = new Uint8Array(N * SIDE * SIDE)
  for (let i = 0; i < N; i++) px.fill(20 * i + shift, i * SIDE * SIDE, (i + 1) * SIDE * SIDE)
  writeNpy(join(dir, 'images.npy'), 'u1', [N, SIDE, SIDE], px)
  writeNpy(join(dir, 'labels.npy'), 'u1', [N, 2], Uint8Array.from({ length: 2 * N }, (_, k) => (k % 2 === Math.floor(k / 2) % 2 ? 1 : 0)))
  writeNpy(join(dir, 'patients.npy'), 'i8', [N], BigInt64Array.from({ length: N }, (_, i) => BigInt(patientOf(i))))
  for (const [s, rows] of [['train', [0, 1, 2]], ['val', [3]], ['test', TEST]] as const) writeNpy(join(dir, `split-${s}.npy`), 'u4', [rows.length], Uint32Array.from(rows))
  const files = ['images.npy', 'labels.npy', 'patients.npy', 'split-train.npy', 'split-val.npy', 'split-test.npy']
  await writeMeta(dir, { id, name, kind: 'chestxray14', source: '/src', n: N, height: SIDE, width: SIDE, channels: 1, label_names: ['A', 'B'], multi_label: false, mean: [0.5], std: [0.2], splits: { train: 3, val: 1, test: 6 }, resize_policy: 'shorter-side-center-crop', split_source: 'seeded', laterality_flip: false }, files)
  return dir
}

function addDataset(service: LabService, id: string, name: string, dir: string) {
  datasets.insertDataset(service.ctx.db, { id, name, kind: 'chestxray14', source: '/src', dir, options: {}, importPid: 1 })
  datasets.finishImport(service.ctx.db, id, {
    n: N, height: SIDE, width: SIDE, channels: 1, labelNames: ['A', 'B'], multiLabel: false, splits: { train: 3, val: 1, test: 6 }, report: {},
    samples: Array.from({ length: N }, (_, i) => ({ path: `images/img_${i}.png`, idx: i, labels: 'A', patientId: patientOf(i), followUp: 0, view: 'PA', split: null, status: 'ok' as const, reason: null })),
  })
}

let service: LabService
let root: string
const call = (method: keyof typeof galleryApi, input: unknown) => service.dispatch(method, input, { signal: new AbortController().signal, requestId: 't' })
const page = async (input: Record<string, unknown>) => galleryApi['gallery.page'].output.parse(await call('gallery.page', input))

/** Inserts a downstream run on `dataset` with the given predictions file (or none). */
function addRun(id: string, opts: { target?: string; checksum: string | null; dataset?: string; pred?: unknown }) {
  const dataset = opts.dataset ?? 'chest'
  runs.attachPlannedRuns(service.ctx.db, 'st-00000001', [{
    id, name: `run-${id}`, stage: 'downstream', pretext: 'rotation', pretrainDataset: 'mammo', seed: 0, target: opts.target ?? 'binary', protocol: 'linear', fusionMode: null, encoders: ['rotation/mammo'],
    spec: { kind: 'downstream', seed: 0, params: { dataset_dir: { $dataset: dataset }, target: opts.target ?? 'binary' }, provenance: { engine: '0.2.0', datasets: { [dataset]: opts.checksum } } }, hash: `h-${id}`, deps: [],
  }], (rid) => join(root, 'runs', rid))
  const dir = join(root, 'runs', id)
  mkdirSync(dir, { recursive: true })
  if (opts.pred) writeFileSync(join(dir, 'test_predictions.json'), JSON.stringify(opts.pred))
  runs.setRunState(service.ctx.db, id, opts.pred ? 'done' : 'running')
}

// Run A: rows 4..9 true 0,1,0,1,0,1; P(class 1) 0.9, 0.8, 0.4, 0.3, 0.55, 0.99 -> wrong on rows 4, 7, 8.
const targets = [0, 1, 0, 1, 0, 1]
const pA = [0.9, 0.8, 0.4, 0.3, 0.55, 0.99]
// Run B: right on rows 4 and 7, wrong on 5.
const pB = [0.2, 0.45, 0.3, 0.7, 0.6, 0.9]
const binary = (p: number[]) => ({ split: 'test', indices: TEST, targets, probs: p.map((x) => [1 - x, x]), class_names: ['No Finding', 'Finding'] })

beforeAll(async () => {
  root = tmp('xlab-gallery-')
  service = await LabService.open({ dataRoot: root, allowAllPaths: true, startQueue: false })
  const dir = await writeDataset(root, 'ds-chest0001', 'chest')
  addDataset(service, 'ds-chest0001', 'chest', dir)
  runs.insertStudy(service.ctx.db, { id: 'st-00000001', name: 'gallery-study', config: {} })
  const sum = datasetContentChecksum(dir)
  addRun('r-a', { checksum: sum, pred: binary(pA) })
  addRun('r-b', { checksum: sum, pred: binary(pB) })
  addRun('r-pending', { checksum: sum })
  addRun('r-old', { checksum: 'f'.repeat(64), pred: binary(pA) })
  addRun('r-3class', { checksum: sum, target: '3class', pred: { split: 'test', indices: TEST, targets: [0, 1, 2, 0, 1, 2], probs: TEST.map(() => [0.5, 0.3, 0.2]), class_names: ['No Finding', 'Pneumonia', 'Other finding'] } })
  // Multi-label: finding 1 ("B") present on rows 5 and 9; sigmoids 0.7 (row 4, wrong), 0.6, 0.1, 0.2, 0.3, 0.4 (row 9, wrong).
  addRun('r-ml', { checksum: sum, target: 'multilabel14', pred: { split: 'test', multilabel: true, indices: TEST, targets: TEST.map((i) => [1, i === 5 || i === 9 ? 1 : 0]), probs: [0.7, 0.6, 0.1, 0.2, 0.3, 0.4].map((s) => [0.9, s]), class_names: ['A', 'B'] } })
})
afterAll(() => service.close())

describe('gallery decisions', () => {
  it('orders by the probability of the predicted class and filters to the errors', () => {
    const d = decisions({ ...binary(pA), classNames: ['No Finding', 'Finding'], multilabel: false }, null)
    expect(d.map((x) => x.predicted)).toEqual([1, 1, 0, 0, 1, 1])
    expect(selectDecisions(d, { order: 'most-confident', filter: 'errors' }).map((x) => x.row)).toEqual([0, 3, 4])
    expect(selectDecisions(d, { order: 'least-confident', filter: 'all' }).map((x) => x.row)).toEqual([4, 2, 3, 1, 0, 5])
    expect(selectDecisions(d, { order: 'cache', filter: 'correct', trueClass: 1 }).map((x) => x.row)).toEqual([1, 5])
  })
})

describe('gallery API', () => {
  it('lists the errors most confident first, with patient, image id and the image of that cache row', async () => {
    const p = await page({ runId: 'r-a', filter: 'errors', order: 'most-confident' })
    expect(p).toMatchObject({ images: 6, errors: 3, total: 3, classNames: ['No Finding', 'Finding'], multilabel: false, warnings: [] })
    expect(p.perClass).toEqual([{ name: 'No Finding', images: 3, errors: 2 }, { name: 'Finding', images: 3, errors: 1 }])
    expect(p.items.map((i) => [i.index, i.trueClass, i.predicted, i.correct])).toEqual([[4, 0, 1, false], [7, 1, 0, false], [8, 0, 1, false]])
    expect(p.items.map((i) => i.probability)).toEqual([0.9, 0.7, 0.55])
    expect(p.items[0]).toMatchObject({ imageId: 'images/img_4.png', patientId: patientOf(4) })
    // The thumbnail is cache row 4 (grey 80), not row 0 or the 4th test image.
    const png = Buffer.from(p.items[0]!.thumbnail!.split(',')[1]!, 'base64')
    const { channels } = await sharp(png).stats()
    expect(channels[0]!.mean).toBe(80)
  })

  it('pages through the images that pass the filter and narrows to one true class', async () => {
    const first = await page({ runId: 'r-a', order: 'least-confident', limit: 4, thumbnails: false })
    const second = await page({ runId: 'r-a', order: 'least-confident', limit: 4, offset: 4, thumbnails: false })
    expect(first.total).toBe(6)
    expect([...first.items, ...second.items].map((i) => i.index)).toEqual([8, 6, 7, 5, 4, 9])
    expect(first.items[0]!.thumbnail).toBeNull()
    const cls = await page({ runId: 'r-3class', trueClass: 2, thumbnails: false })
    expect(cls.items.map((i) => i.index)).toEqual([6, 9])
    await expect(call('gallery.page', { runId: 'r-3class', trueClass: 3 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('class 3 does not exist') })
  })

  it('shows a multi-label run one finding at a time, positive by its sigmoid', async () => {
    const p = await page({ runId: 'r-ml', finding: 1, filter: 'errors', thumbnails: false })
    expect(p).toMatchObject({ multilabel: true, findings: ['A', 'B'], finding: 1, classNames: ['no B', 'B'], images: 6, errors: 2 })
    expect(p.items.map((i) => [i.index, i.trueClass, i.predicted])).toEqual([[4, 0, 1], [9, 1, 0]])
    expect(p.items[1]!.probability).toBeCloseTo(0.6)
  })

  it('says when a run has no predictions yet and when its dataset was imported again', async () => {
    await expect(call('gallery.page', { runId: 'r-pending' })).rejects.toMatchObject({ code: 'NOT_READY', message: expect.stringContaining('has no test predictions yet') })
    await expect(call('gallery.page', { runId: 'r-old' })).rejects.toMatchObject({ code: 'STALE', message: expect.stringMatching(/imported again with other content.*Plan the study again/) })
    await expect(call('gallery.page', { runId: 'r-nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('pairs two runs: the images one gets right and the other wrong, both directions counted', async () => {
    const onlyA = galleryApi['gallery.pair'].output.parse(await call('gallery.pair', { runA: 'r-a', runB: 'r-b', thumbnails: false }))
    // A right on 5, 6, 9; B right on 4, 6, 7, 9 (B: 0.2->0 ok, 0.45->0 wrong, 0.3 ok, 0.7 ok, 0.6 wrong, 0.9 ok).
    expect(onlyA).toMatchObject({ shared: 6, counts: { bothRight: 2, onlyA: 1, onlyB: 2, bothWrong: 1 }, direction: 'only-a', total: 1 })
    expect(onlyA.items.map((i) => [i.index, i.a.correct, i.b.correct])).toEqual([[5, true, false]])
    const onlyB = galleryApi['gallery.pair'].output.parse(await call('gallery.pair', { runA: 'r-a', runB: 'r-b', direction: 'only-b', thumbnails: false }))
    // Ordered by A's (the wrong run's) confidence: row 4 (0.9) before row 7 (0.7).
    expect(onlyB.items.map((i) => i.index)).toEqual([4, 7])
    await expect(call('gallery.pair', { runA: 'r-a', runB: 'r-3class' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('same target') })
  })
})
