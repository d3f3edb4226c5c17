// Gathers what the analysis of one study needs: its finished downstream runs with their test
// predictions aligned on the same test images, the patient of each image, and the probe summaries.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RunProvenance } from '../api/results.ts'
import type { Db } from '../store/db.ts'
import { findStudy, lastMetrics, studyRuns, type ResultRun, type ResultStudy } from '../store/results.ts'
import { currentProvenance } from '../study/plan-service.ts'
import { snapshotOf } from '../study/snapshots.ts'
import { alignMultilabel, type MultilabelPredictions } from './multilabel.ts'
import { datasetDirOfRun, patientsFor, readRunPredictions } from './predictions.ts'
import { provenanceLookup } from './run-provenance.ts'
import type { Predictions } from './stats/metrics.ts'

/**
 * Whether a dataset cache was generated, as its own metadata says: `generated: true` in meta.json,
 * or the generator's stamp (`.generated.json`) in the source folder it was imported from. Never
 * inferred from a study config or a dataset name.
 */
export function datasetIsGenerated(dir: string | null): boolean {
  if (!dir || !existsSync(join(dir, 'meta.json'))) return false
  try {
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { generated?: unknown; source?: unknown }
    if (meta.generated === true) return true
    return typeof meta.source === 'string' && existsSync(join(meta.source, '.generated.json'))
  } catch {
    return false
  }
}

/** A finished downstream run with its predictions restricted to the common test images. */
export interface LoadedRun {
  /** The run row. */
  run: ResultRun
  /** Predictions in the order of StudyData.indices. */
  pred: Predictions
  /** Test loss reported by the worker (the loss cannot be recomputed: it may be class-weighted). */
  loss: number | null
}

/** Everything the analysis reads for one study. */
export interface StudyData {
  /** The study. */
  study: ResultStudy
  /** Finished downstream runs with predictions (snapshot probes apart: they are in `snapshotRuns`). */
  runs: LoadedRun[]
  /** Finished linear probes of pretext encoder snapshots (study/snapshots.ts), on the same test images as `runs`. */
  snapshotRuns: LoadedRun[]
  /** Dataset indices of the test images every run predicted, in a fixed order. */
  indices: number[]
  /** Patient id per image of `indices`, or null where the dataset has no patients. */
  patients: number[] | null
  /** The downstream cache folder (for meta.json), when known. */
  datasetDir: string | null
  /** Probe runs of the study that are done. */
  probes: ResultRun[]
  /** Every run of the study (for the environment section and counts). */
  allRuns: ResultRun[]
  /** Dataset checksums and engine version each analysed downstream run used, by run id. */
  provenance: Map<string, RunProvenance>
  /** Names of the study's datasets whose metadata says they were generated. */
  generated: string[]
  /** What could not be used, in sentences. */
  warnings: string[]
  /** multilabel14 runs, on the test images they all share (their own index set and patients). */
  multilabel: { runs: { run: ResultRun; pred: MultilabelPredictions }[]; indices: number[]; patients: number[] | null }
}

/** Options for locating the downstream cache when a run folder lacks job.json. */
export interface CollectOptions {
  /** Finds a dataset's cache folder by name (the runner's resolver); optional. */
  resolveDataset?: (name: string) => string | null
}

function align(pred: Predictions, order: readonly number[]): Predictions {
  // Runs of one split predict the same images in the same order: no copy then.
  if (pred.indices.length === order.length && pred.indices.every((idx, i) => idx === order[i])) return pred
  const pos = new Map(pred.indices.map((idx, i) => [idx, i]))
  const rows = order.map((idx) => pos.get(idx)!)
  return { indices: [...order], targets: rows.map((r) => pred.targets[r]!), probs: rows.map((r) => pred.probs[r]!), classNames: pred.classNames }
}

/**
 * A fingerprint of what an analysis of the study would read: every run's id, state and finish
 * time. Equal fingerprints give equal analyses, so callers can reuse a previous one.
 */
export function studyFingerprint(db: Db, studyKey: string): string | null {
  const study = findStudy(db, studyKey)
  if (!study) return null
  const runs = studyRuns(db, study.id)
  // A re-import changes which runs are stale without touching a run: the checksums are part of it.
  const prov = currentProvenance(db)
  const names = [study.config.downstreamDataset, ...(Array.isArray(study.config.pretrainDatasets) ? study.config.pretrainDatasets : [])].filter((x): x is string => typeof x === 'string')
  const sums = names.map((n) => `${n}:${prov.datasetChecksum(n) ?? ''}`).join(',')
  return `${study.id}|${JSON.stringify(study.config)}|${sums}|${runs.map((r) => `${r.id}:${r.state}:${r.finishedAt ?? ''}`).join(',')}`
}

/** Loads a study's data; throws a sentence when the study does not exist. */
export function collectStudy(db: Db, studyKey: string, opts: CollectOptions = {}): StudyData {
  const study = findStudy(db, studyKey)
  if (!study) throw new Error(`There is no study called "${studyKey}". List studies with \`xlab study list\`.`)
  const allRuns = studyRuns(db, study.id)
  const warnings: string[] = []
  const loaded: { run: ResultRun; pred: Predictions }[] = []
  const mlLoaded: { run: ResultRun; pred: MultilabelPredictions }[] = []
  const unfinished = new Map<string, number>()
  for (const run of allRuns.filter((r) => r.stage === 'downstream')) {
    if (run.state !== 'done') {
      // Failures are named one by one (someone must act); runs still on their way are only counted.
      if (run.state === 'failed') warnings.push(`${run.name} failed${run.reason ? ` (${run.reason})` : ''}; it is left out. Retry it to include it.`)
      else unfinished.set(run.state, (unfinished.get(run.state) ?? 0) + 1)
      continue
    }
    try {
      const pred = readRunPredictions(run.runDir)
      if (!pred) warnings.push(`${run.name} is done but wrote no test_predictions.json; it is left out.`)
      else if (pred.multilabel) mlLoaded.push({ run, pred })
      else if (run.target === 'multilabel14') warnings.push(`${run.name} is a multilabel14 run but its test_predictions.json holds one class per image (no "multilabel": true); it is left out. Retry the run to write it again.`)
      else loaded.push({ run, pred })
    } catch (e) {
      warnings.push(`${run.name}: ${(e as Error).message}`)
    }
  }
  if (unfinished.size) {
    const n = [...unfinished.values()].reduce((a, b) => a + b, 0)
    warnings.push(`${n} downstream run(s) are not finished (${[...unfinished].map(([s, c]) => `${c} ${s}`).join(', ')}); the analysis covers the finished ones. Build the report again when the study is done.`)
  }
  // Every downstream run predicts the same test split; any image a run lacks is dropped everywhere,
  // so paired comparisons always see the same images.
  let common: Set<number> | null = null
  for (const l of loaded) common = common ? new Set(l.pred.indices.filter((i) => common!.has(i))) : new Set(l.pred.indices)
  const indices = [...(common ?? [])].sort((a, b) => a - b)
  const dropped = loaded.filter((l) => l.pred.indices.length !== indices.length)
  if (dropped.length) warnings.push(`${dropped.length} run(s) predicted other test images than the rest; only the ${indices.length} images all runs share are analysed.`)
  const aligned: LoadedRun[] = loaded.map((l) => {
    const loss = lastMetrics(db, l.run.id, 'test').loss
    return { run: l.run, pred: align(l.pred, indices), loss: loss ?? null }
  })
  // A snapshot probe measures a pretext encoder part-way through its training: it is no result of
  // the study's matrix, so it stays out of every table, cell and verdict but the progress table.
  const runs = aligned.filter((l) => !snapshotOf(l.run.spec))
  const snapshotRuns = aligned.filter((l) => snapshotOf(l.run.spec))

  let mlCommon: Set<number> | null = null
  for (const l of mlLoaded) mlCommon = mlCommon ? new Set(l.pred.indices.filter((i) => mlCommon!.has(i))) : new Set(l.pred.indices)
  const mlIndices = [...(mlCommon ?? [])].sort((a, b) => a - b)
  const mlRuns = mlLoaded.map((l) => ({ run: l.run, pred: alignMultilabel(l.pred, mlIndices) }))

  const configName = typeof study.config.downstreamDataset === 'string' ? study.config.downstreamDataset : null
  let datasetDir: string | null = null
  for (const l of [...runs, ...mlRuns]) {
    datasetDir = datasetDirOfRun(l.run.runDir)
    if (datasetDir) break
  }
  if (!datasetDir && configName && opts.resolveDataset) datasetDir = opts.resolveDataset(configName)
  let patients: number[] | null = null
  if (datasetDir && indices.length) {
    try {
      patients = patientsFor(datasetDir, indices)
    } catch (e) {
      warnings.push(`${(e as Error).message} Intervals resample single images instead of patients.`)
    }
  } else if (indices.length) {
    warnings.push('The downstream dataset folder was not found, so intervals resample single images instead of patients.')
  }
  let mlPatients: number[] | null = null
  if (datasetDir && mlIndices.length) {
    try {
      mlPatients = patientsFor(datasetDir, mlIndices)
    } catch {
      mlPatients = null // said for the class targets above; the multi-label intervals then resample images
    }
  }
  const probes = allRuns.filter((r) => r.stage === 'probe' && r.state === 'done' && r.summary)
  const prov = provenanceLookup(db, currentProvenance(db))
  const provenance = new Map([...runs, ...mlRuns].map((l) => [l.run.id, prov(l.run.id)]))
  const stale = runs.filter((l) => provenance.get(l.run.id)!.stale)
  if (stale.length) warnings.push(`${stale.length} analysed run(s) are stale: a dataset they read now has other content, the engine is newer, or they recorded no inputs (${[...new Set(stale.flatMap((l) => provenance.get(l.run.id)!.staleReasons))].slice(0, 3).join('; ')}). Plan the study again to get runs for what is imported now.`)
  const names = [configName, ...(Array.isArray(study.config.pretrainDatasets) ? (study.config.pretrainDatasets as unknown[]) : [])].filter((x): x is string => typeof x === 'string')
  const dirOf = (name: string) => (name === configName && datasetDir ? datasetDir : (opts.resolveDataset?.(name) ?? null))
  const generated = names.filter((n) => datasetIsGenerated(dirOf(n)))
  return { study, runs, snapshotRuns, indices, patients, datasetDir, probes, allRuns, warnings, provenance, generated, multilabel: { runs: mlRuns, indices: mlIndices, patients: mlPatients } }
}
