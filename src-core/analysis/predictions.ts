// Reads a downstream run's test_predictions.json (single-label or multilabel14, one schema family,
// one reader for the analysis, the run detail and the gallery) and the patient id of each test image.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { readNpy } from '../datasets/npy.ts'
import type { MultilabelPredictions } from './multilabel.ts'
import type { Predictions } from './stats/metrics.ts'

/** A run's test predictions in either shape; `multilabel` tells which. */
export type RunPredictions = (Predictions & { multilabel: false }) | (MultilabelPredictions & { multilabel: true })

// The fields both shapes share; the shapes differ in `targets` (a class per image, or a 0/1 row per
// image) and in how many class names they need (a classifier needs two, a multi-label head one).
const shared = {
  split: z.string().optional(),
  indices: z.array(z.number().int().min(0)),
  probs: z.array(z.array(z.number())),
}
type Rows = { indices: unknown[]; targets: unknown[]; probs: unknown[] }
const sameLength = (p: Rows) => p.indices.length === p.targets.length && p.targets.length === p.probs.length
const SAME_LENGTH = 'indices, targets and probs must have the same length'

const singleLabelFile = z
  .object({ ...shared, multilabel: z.literal(false).optional(), targets: z.array(z.number().int().min(0)), class_names: z.array(z.string()).min(2) })
  .refine(sameLength, SAME_LENGTH)
  .refine((p) => p.probs.every((row) => row.length === p.class_names.length), 'every probs row needs one value per class name')
  .refine((p) => p.targets.every((t) => t < p.class_names.length), 'a target is outside the class list')

const multilabelFile = z
  .object({ ...shared, multilabel: z.literal(true), targets: z.array(z.array(z.number())), class_names: z.array(z.string()).min(1) })
  .refine(sameLength, SAME_LENGTH)
  // `?.`: this check also runs when the lengths differ, and must then fail, not throw.
  .refine((p) => p.probs.every((row, i) => row.length === p.class_names.length && p.targets[i]?.length === p.class_names.length), 'every row needs one value per finding')

/**
 * Reads a run's test predictions: the binary form (`test_predictions.npy`, one float64 row per image:
 * dataset index, target or one 0/1 per finding, probability per class; class names from
 * summary.json) when the engine wrote it, read in one go; else `<runDir>/test_predictions.json`
 * (runs of engines before 0.3 and hand-written fixtures). Null when the run wrote neither, an Error
 * naming the file and what is wrong when it is damaged. `"multilabel": true` selects the
 * multi-label shape.
 */
export function readRunPredictions(runDir: string): RunPredictions | null {
  const binary = readBinaryPredictions(runDir)
  if (binary) return binary
  const file = join(runDir, 'test_predictions.json')
  if (!existsSync(file)) return null
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}). Retry the run to write it again.`)
  }
  if ((raw as { multilabel?: unknown } | null)?.multilabel === true) {
    const r = multilabelFile.safeParse(raw)
    if (!r.success) throw malformed(file, 'multi-label predictions file', r.error)
    return { multilabel: true, indices: r.data.indices, targets: r.data.targets, probs: r.data.probs, classNames: r.data.class_names }
  }
  const r = singleLabelFile.safeParse(raw)
  if (!r.success) throw malformed(file, 'predictions file', r.error)
  return { multilabel: false, indices: r.data.indices, targets: r.data.targets, probs: r.data.probs, classNames: r.data.class_names }
}

/** The error for a file that parsed as JSON but is not the shape it claims: each issue with its field. */
function malformed(file: string, what: string, error: z.ZodError): Error {
  const issues = error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ')
  return new Error(`${file} is not a ${what} (${issues}). Retry the run to write it again.`)
}

/** The downstream cache folder a run read: from the resolved job.json the runner wrote into its folder. */
export function datasetDirOfRun(runDir: string): string | null {
  const file = join(runDir, 'job.json')
  if (!existsSync(file)) return null
  try {
    const job = JSON.parse(readFileSync(file, 'utf8')) as { params?: { dataset_dir?: unknown } }
    return typeof job.params?.dataset_dir === 'string' ? job.params.dataset_dir : null
  } catch {
    return null
  }
}

/** Patient ids of `indices` from `<datasetDir>/patients.npy`; null when the dataset has no patients. */
export function patientsFor(datasetDir: string, indices: readonly number[]): number[] | null {
  const file = join(datasetDir, 'patients.npy')
  if (!existsSync(file)) return null
  const { header, data } = readNpy(file)
  if (header.shape.length !== 1) throw new Error(`${file} has shape (${header.shape.join(', ')}), not one patient id per image. Import the dataset again.`)
  const all = Array.from(data as ArrayLike<number | bigint>, Number)
  return indices.map((i) => {
    const p = all[i]
    if (p === undefined) throw new Error(`Test image index ${i} is outside ${file} (${all.length} images); the predictions do not belong to this dataset.`)
    return p
  })
}

/**
 * The binary predictions when `test_predictions.npy` and the class names in summary.json agree on
 * the shape; null otherwise (the JSON is then read, and says what is wrong if it is damaged too).
 */
export function readBinaryPredictions(runDir: string): RunPredictions | null {
  const file = join(runDir, 'test_predictions.npy')
  const summaryFile = join(runDir, 'summary.json')
  if (!existsSync(file) || !existsSync(summaryFile)) return null
  let classNames: string[]
  let multilabel: boolean
  try {
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as { class_names?: unknown; multilabel?: unknown }
    if (!Array.isArray(summary.class_names) || !summary.class_names.every((c) => typeof c === 'string') || summary.class_names.length < 1) return null
    classNames = summary.class_names as string[]
    multilabel = summary.multilabel === true
  } catch {
    return null
  }
  let mat: Float64Array
  let shape: number[]
  try {
    const r = readNpy(file)
    if (r.header.dtype !== 'f8') return null
    mat = r.data as Float64Array
    shape = r.header.shape
  } catch {
    return null
  }
  const k = classNames.length
  const width = 1 + (multilabel ? k : 1) + k
  if (shape.length !== 2 || shape[1] !== width || (!multilabel && k < 2)) return null
  const n = shape[0]!
  const indices = new Array<number>(n)
  const probs = new Array<number[]>(n)
  const pOff = width - k
  for (let i = 0; i < n; i++) {
    const row = i * width
    const idx = mat[row]!
    if (!Number.isInteger(idx) || idx < 0) return null
    indices[i] = idx
    const p = new Array<number>(k)
    for (let c = 0; c < k; c++) p[c] = mat[row + pOff + c]!
    probs[i] = p
  }
  if (multilabel) {
    const targets = new Array<number[]>(n)
    for (let i = 0; i < n; i++) targets[i] = Array.from(mat.subarray(i * width + 1, i * width + 1 + k))
    return { multilabel: true, indices, targets, probs, classNames }
  }
  const targets = new Array<number>(n)
  for (let i = 0; i < n; i++) {
    const t = mat[i * width + 1]!
    if (!Number.isInteger(t) || t < 0 || t >= k) return null
    targets[i] = t
  }
  return { multilabel: false, indices, targets, probs, classNames }
}
