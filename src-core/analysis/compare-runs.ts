// Compare: two or more downstream runs on the test images they share. Each run after the first is
// compared with the first (the reference): the paired difference of every recomputed metric with
// its 95% bootstrap interval (every metric and both runs see the very same resamples: one seed, the
// patient clusters where patients.npy exists), and McNemar's test on the disagreement table (images
// one run classifies right and the other wrong). McNemar treats images as independent; with several
// images per patient its p is optimistic, which the bootstrap interval is not (it resamples patients).
import type { RunsComparison } from '../api/results.ts'
import type { Db } from '../store/db.ts'
import { findRun, type ResultRun } from '../store/results.ts'
import { labelFractionOf } from './baselines.ts'
import { orNull } from './cells.ts'
import { datasetDirOfRun, patientsFor, readRunPredictions } from './predictions.ts'
import { clustersOf, DEFAULT_BOOTSTRAP, type BootstrapOptions } from './stats/bootstrap.ts'
import { argmax, computeMetric, METRIC_NAMES, type Predictions } from './stats/metrics.ts'
import { differenceOf, plainStat, testSetOf } from './stats/resampled.ts'

/** The 2 x 2 table of right and wrong of two runs on the same images, and McNemar's exact test. */
export interface McNemar {
  /** Both right. */
  bothRight: number
  /** A right, B wrong. */
  aOnly: number
  /** A wrong, B right. */
  bOnly: number
  /** Both wrong. */
  bothWrong: number
  /** Two-sided exact p: the discordant images split as a fair coin would (binomial, n = aOnly + bOnly, 1/2). 1 when none disagree. */
  p: number
  /** The continuity-corrected chi-square (|b - c| - 1)^2 / (b + c), for reference (null when none disagree). */
  chiSquare: number | null
}

/** log of n choose k. */
function logChoose(n: number, k: number): number {
  let s = 0
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i)
  return s
}

/** McNemar's test of right/wrong per image (true class and both runs' predicted classes). */
export function mcnemar(truth: readonly number[], predA: readonly number[], predB: readonly number[]): McNemar {
  if (predA.length !== truth.length || predB.length !== truth.length) throw new Error(`McNemar needs one prediction per image from each run (${truth.length} images, ${predA.length} and ${predB.length} predictions).`)
  let bothRight = 0
  let aOnly = 0
  let bOnly = 0
  let bothWrong = 0
  truth.forEach((t, i) => {
    const a = predA[i] === t
    const b = predB[i] === t
    if (a && b) bothRight++
    else if (a) aOnly++
    else if (b) bOnly++
    else bothWrong++
  })
  const n = aOnly + bOnly
  if (n === 0) return { bothRight, aOnly, bOnly, bothWrong, p: 1, chiSquare: null }
  const k = Math.min(aOnly, bOnly)
  // P(X <= k) for X ~ Binomial(n, 1/2), summed in log space so large n does not underflow term by term.
  const logHalf = n * Math.log(0.5)
  let tail = 0
  for (let j = 0; j <= k; j++) tail += Math.exp(logChoose(n, j) + logHalf)
  const p = Math.min(1, 2 * tail)
  return { bothRight, aOnly, bOnly, bothWrong, p, chiSquare: (Math.abs(aOnly - bOnly) - 1) ** 2 / n }
}

/** Two prediction sets restricted to the test images both scored, in one order. */
export function alignPredictions(a: Predictions, b: Predictions): { a: Predictions; b: Predictions; indices: number[] } {
  const posB = new Map(b.indices.map((idx, i) => [idx, i]))
  const pairs: [number, number][] = []
  a.indices.forEach((idx, i) => {
    const j = posB.get(idx)
    if (j !== undefined) pairs.push([i, j])
  })
  const pick = (p: Predictions, at: (pair: [number, number]) => number): Predictions => ({
    indices: pairs.map((pr) => p.indices[at(pr)]!),
    targets: pairs.map((pr) => p.targets[at(pr)]!),
    probs: pairs.map((pr) => p.probs[at(pr)]!),
    classNames: p.classNames,
  })
  return { a: pick(a, (pr) => pr[0]), b: pick(b, (pr) => pr[1]), indices: pairs.map((pr) => a.indices[pr[0]]!) }
}

/** The paired comparison of two aligned prediction sets: every metric's difference b - a, and McNemar. */
export function comparePredictions(a: Predictions, b: Predictions, patients: readonly number[] | null, opts: BootstrapOptions = DEFAULT_BOOTSTRAP) {
  const n = a.targets.length
  const clusters = clustersOf(n, patients)
  // The shared resamples of this test set, each run's statistics computed once per resample (stats/resampled.ts).
  const ts = testSetOf(n, clusters, opts)
  const all = Array.from({ length: n }, (_, i) => i)
  const metrics = Object.fromEntries(METRIC_NAMES.map((m) => {
    // Same seed for every metric: each metric's difference is taken on the very same resamples.
    const d = differenceOf(plainStat(b, ts, m), plainStat(a, ts, m), opts.level)
    return [m, { a: orNull(computeMetric(a, m, all)), b: orNull(computeMetric(b, m, all)), difference: { estimate: orNull(d.estimate), lo: orNull(d.lo), hi: orNull(d.hi), verdict: d.verdict, p: orNull(d.p) } }]
  }))
  return { nImages: n, unit: patients ? ('patient' as const) : ('image' as const), nUnits: clusters.length, metrics, mcnemar: mcnemar(a.targets, a.probs.map(argmax), b.probs.map(argmax)) }
}

/** What each run brings: its predictions and patient ids, or why it cannot be compared. */
function load(run: ResultRun): { pred: Predictions; patientsOf: (indices: number[]) => number[] | null } | string {
  if (run.stage !== 'downstream') return `${run.name} is a ${run.stage} run; only downstream runs have test predictions.`
  const read = readRunPredictions(run.runDir)
  if (!read) return `${run.name} has no test predictions yet (state: ${run.state}); pick a finished run.`
  if (read.multilabel) return `${run.name} is a multi-label (14-finding) run; compare it in its per-finding table, not here.`
  const dir = datasetDirOfRun(run.runDir)
  return {
    pred: read,
    patientsOf: (indices) => {
      try {
        return dir ? patientsFor(dir, indices) : null
      } catch {
        return null // resample images; said in `unit`
      }
    },
  }
}

/** Each run after the first against the first, on the images both scored (results.compare). */
export function compareRuns(db: Db, runIds: readonly string[], opts: BootstrapOptions = DEFAULT_BOOTSTRAP): RunsComparison {
  const runs = runIds.map((id) => {
    const r = findRun(db, id)
    if (!r) throw new Error(`There is no run "${id}". Pick runs from the list of finished runs.`)
    return r
  })
  const loaded = runs.map(load)
  const ref = runs[0]!
  const refLoaded = loaded[0]!
  const comparisons = runs.slice(1).map((run, k) => {
    const base = { a: ref.id, b: run.id }
    const other = loaded[k + 1]!
    const problem = typeof refLoaded === 'string' ? refLoaded : typeof other === 'string' ? other : null
    if (problem || typeof refLoaded === 'string' || typeof other === 'string') return { ...base, problem, result: null }
    if (refLoaded.pred.classNames.join('|') !== other.pred.classNames.join('|')) return { ...base, problem: `${ref.name} and ${run.name} predict different classes (${refLoaded.pred.classNames.join(', ')} / ${other.pred.classNames.join(', ')}); pick runs of the same task.`, result: null }
    const al = alignPredictions(refLoaded.pred, other.pred)
    if (al.indices.length < 2) return { ...base, problem: `${ref.name} and ${run.name} share ${al.indices.length} test image(s); they were scored on different test splits.`, result: null }
    if (al.a.targets.some((t, i) => t !== al.b.targets[i])) return { ...base, problem: `${ref.name} and ${run.name} disagree on the true class of a shared test image; their datasets were imported with different labels.`, result: null }
    return { ...base, problem: null, result: comparePredictions(al.a, al.b, refLoaded.patientsOf(al.indices), opts) }
  })
  return {
    runs: runs.map((r) => ({ runId: r.id, name: r.name, labelFraction: labelFractionOf(r), seed: r.seed })),
    replicates: opts.replicates,
    level: opts.level,
    comparisons,
  }
}
