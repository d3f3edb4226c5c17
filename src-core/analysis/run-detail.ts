// One downstream run's details for the app and the report: confusion matrix, ROC curves, training
// curves, reported and recomputed test metrics.
import type { RunResult } from '../api/results.ts'
import type { Db } from '../store/db.ts'
import { findRun, lastMetrics, metricSeries, type ResultRun } from '../store/results.ts'
import { orNull } from './cells.ts'
import { labelFractionOf } from './baselines.ts'
import { datasetDirOfRun, patientsFor, readRunPredictions } from './predictions.ts'
import { runExtrasOf } from './run-extras.ts'
import { dbVectorStore } from './run-store.ts'
import { clustersOf, DEFAULT_BOOTSTRAP, type BootstrapOptions } from './stats/bootstrap.ts'
import { confusionMatrix, METRIC_NAMES, rocCurve, type Predictions } from './stats/metrics.ts'
import { intervalOf, statEstimate, statValues, testSetOf, vectorsOf } from './stats/resampled.ts'

/** ROC curves of a prediction set: the positive class for binary, every class one-vs-rest otherwise. */
export function rocCurves(pred: Predictions): RunResult['roc'] {
  const classes = pred.classNames.length === 2 ? [1] : pred.classNames.map((_, i) => i)
  return classes.map((c) => {
    const r = rocCurve(pred, c)
    return { className: pred.classNames[c]!, auc: orNull(r.auc), fpr: r.fpr, tpr: r.tpr }
  })
}

/** Details of a run from the store and its folder; throws a sentence when the run is unknown. */
export function runDetail(db: Db, runId: string, opts: BootstrapOptions = DEFAULT_BOOTSTRAP): RunResult {
  const run = findRun(db, runId)
  if (!run) throw new Error(`There is no run with id "${runId}". Pick one from the results table.`)
  return runDetailOf(db, run, opts)
}

/** Details of a known run. */
export function runDetailOf(db: Db, run: ResultRun, opts: BootstrapOptions = DEFAULT_BOOTSTRAP): RunResult {
  const series = metricSeries(db, run.id)
  const curves = new Map<string, RunResult['curves'][number]>()
  for (const p of series) {
    const key = `${p.split}|${p.name}`
    if (!curves.has(key)) curves.set(key, { split: p.split, name: p.name, points: [] })
    curves.get(key)!.points.push({ epoch: p.epoch, step: p.step, value: p.value })
  }
  const x = runExtrasOf(run.summary)
  const base = {
    runId: run.id,
    name: run.name,
    state: run.state,
    curves: [...curves.values()],
    testMetrics: lastMetrics(db, run.id, 'test'),
    labelFraction: labelFractionOf(run),
    calibration: x.calibration,
    perFindingAuc: x.perFindingAuc,
    headSweep: x.headSweep,
    labelSubset: x.labelSubset,
    linearFit: x.linearFit,
  }
  // A multilabel14 run has no confusion matrix or class ROC: its per-finding AUROCs are in perFindingAuc.
  const read = run.stage === 'downstream' ? readRunPredictions(run.runDir) : null
  const pred = read && !read.multilabel ? read : null
  if (!pred) return { ...base, classNames: [], confusion: null, roc: [], recomputed: {} }
  const dir = datasetDirOfRun(run.runDir)
  let patients: number[] | null = null
  try {
    patients = dir ? patientsFor(dir, pred.indices) : null
  } catch {
    patients = null // the interval then resamples images; the analysis view reports why
  }
  // The run's statistics on the resamples, from the store when the study's analysis kept them (the
  // same test images and patients give the same key), else computed once and kept.
  const ts = testSetOf(pred.targets.length, clustersOf(pred.targets.length, patients), opts)
  ts.store = dbVectorStore(db, [{ run, pred }])
  const v = vectorsOf(pred, ts, 1)
  const intervals = Object.fromEntries(METRIC_NAMES.map((k) => [k, intervalOf({ estimate: statEstimate(v, k), values: statValues(v, k) }, opts.level)]))
  return {
    ...base,
    classNames: pred.classNames,
    confusion: confusionMatrix(pred),
    roc: rocCurves(pred),
    recomputed: Object.fromEntries(Object.entries(intervals).map(([k, v]) => [k, { estimate: orNull(v.estimate), lo: orNull(v.lo), hi: orNull(v.hi) }])),
  }
}
