// Where the error gallery's images come from: a finished downstream run's test_predictions.json
// (single-label or multi-label), the dataset cache it was scored on, and a check that the cache is
// still the content the run was planned for (a re-import with other content shifts the rows, so a
// thumbnail would show another image than the one the prediction belongs to).
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ApiError } from '../api/contract.ts'
import { patientsFor, readRunPredictions, type RunPredictions } from '../analysis/predictions.ts'
import { getDatasetByIdOrName, samplePathsAt, type DatasetRecord } from '../store/datasets.ts'
import type { Db } from '../store/db.ts'
import { findRun, type ResultRun } from '../store/results.ts'
import { datasetContentChecksum } from '../study/provenance.ts'

/** Everything the gallery needs about one run. */
export interface GallerySource {
  /** The run. */
  run: ResultRun
  /** Its predictions. */
  pred: RunPredictions
  /** The dataset the run was scored on. */
  dataset: DatasetRecord
  /** Patient id per prediction row (null without patients.npy). */
  patients: number[] | null
  /** Image id (source path) per cache row. */
  imageIds: Map<number, string>
  /** Things the reader should know. */
  warnings: string[]
}

/** Reads test_predictions.json, either shape; null when the run wrote none, BAD_DATA when it is damaged. */
function readGalleryPredictions(runDir: string): RunPredictions | null {
  try {
    return readRunPredictions(runDir)
  } catch (e) {
    throw new ApiError('BAD_DATA', (e as Error).message)
  }
}

/** The dataset name a downstream spec reads (`params.dataset_dir = {"$dataset": name}`). */
function datasetNameOf(run: ResultRun): string | null {
  const ref = (run.spec.params as { dataset_dir?: unknown }).dataset_dir
  return ref && typeof ref === 'object' && typeof (ref as { $dataset?: unknown }).$dataset === 'string' ? (ref as { $dataset: string }).$dataset : null
}

// Parsing a large predictions file (ChestX-ray14: 25k rows x 14) for every page would dominate;
// the last few runs' sources are kept while their files are unchanged.
const memo = new Map<string, { stamp: string; source: GallerySource }>()
const MEMO_SIZE = 6

/** Loads a run for the gallery, or throws an ApiError that says what is missing and what to do. */
export function gallerySource(db: Db, runId: string): GallerySource {
  const run = findRun(db, runId)
  if (!run) throw new ApiError('NOT_FOUND', `There is no run "${runId}". Pick one from the results table.`)
  if (run.stage !== 'downstream') throw new ApiError('BAD_REQUEST', `${run.name} is a ${run.stage} run; test images with predictions exist for downstream runs only.`)
  const file = join(run.runDir, 'test_predictions.json')
  const name = datasetNameOf(run)
  const dataset = name ? getDatasetByIdOrName(db, name) : null
  const stamp = existsSync(file) ? `${statSync(file).mtimeMs}|${dataset?.id}|${dataset?.updatedAt}` : ''
  const hit = memo.get(run.id)
  if (hit && stamp && hit.stamp === stamp) return hit.source
  const pred = readGalleryPredictions(run.runDir)
  if (!pred) throw new ApiError('NOT_READY', `${run.name} has no test predictions yet (it is ${run.state}). Its test images appear here when the run has finished.`)
  if (!name || !dataset) throw new ApiError('NOT_FOUND', `The dataset ${name ? `"${name}" ` : ''}that ${run.name} was tested on is not imported any more. Import it again to see its test images.`)
  if (dataset.status !== 'ready') throw new ApiError('NOT_READY', `The dataset "${dataset.name}" that ${run.name} was tested on is ${dataset.status}, not ready.`)
  const warnings: string[] = []
  const planned = run.spec.provenance?.datasets[name]
  const now = datasetContentChecksum(dataset.dir)
  if (planned && now !== planned) {
    throw new ApiError('STALE', `"${dataset.name}" was imported again with other content since ${run.name} was planned (checksum ${planned.slice(0, 12)} then, ${now ? now.slice(0, 12) : 'unreadable'} now), so its cache rows no longer match this run's predictions. Plan the study again to get runs (and images) for the new content.`)
  }
  if (!planned) warnings.push(`${run.name} recorded no checksum of "${dataset.name}", so it cannot be checked that the images shown are the ones it was tested on.`)
  const outside = pred.indices.find((i) => i >= dataset.n)
  if (outside !== undefined) throw new ApiError('STALE', `${run.name} names test image row ${outside}, but "${dataset.name}" has ${dataset.n} images: the predictions do not belong to this import. Plan the study again.`)
  let patients: number[] | null = null
  try {
    patients = patientsFor(dataset.dir, pred.indices)
  } catch (e) {
    warnings.push(`Patient ids are not shown: ${(e as Error).message}`)
  }
  const source: GallerySource = { run, pred, dataset, patients, imageIds: samplePathsAt(db, dataset.id, pred.indices), warnings }
  memo.set(run.id, { stamp, source })
  while (memo.size > MEMO_SIZE) memo.delete(memo.keys().next().value!)
  return source
}
