// Loads a downstream run's test_predictions.json and the patient id of each of its test images.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { readNpy } from '../datasets/npy.ts'
import type { Predictions } from './stats/metrics.ts'

const predictionsFile = z
  .object({
    split: z.string().optional(),
    indices: z.array(z.number().int().min(0)),
    targets: z.array(z.number().int().min(0)),
    probs: z.array(z.array(z.number())),
    class_names: z.array(z.string()).min(2),
  })
  .refine((p) => p.indices.length === p.targets.length && p.targets.length === p.probs.length, 'indices, targets and probs must have the same length')
  .refine((p) => p.probs.every((row) => row.length === p.class_names.length), 'every probs row needs one value per class name')
  .refine((p) => p.targets.every((t) => t < p.class_names.length), 'a target is outside the class list')

/** Reads `<runDir>/test_predictions.json`; null when the run wrote none, an Error when it is malformed. */
export function loadPredictions(runDir: string): Predictions | null {
  const file = join(runDir, 'test_predictions.json')
  if (!existsSync(file)) return null
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}). Retry the run to write it again.`)
  }
  const r = predictionsFile.safeParse(raw)
  if (!r.success) throw new Error(`${file} is not a predictions file (${r.error.issues.map((i) => i.message).join('; ')}). Retry the run to write it again.`)
  return { indices: r.data.indices, targets: r.data.targets, probs: r.data.probs, classNames: r.data.class_names }
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
