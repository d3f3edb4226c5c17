// Label efficiency: ROC-AUC against the share of train labels, one curve per target, protocol and
// encoder (scratch too), from the runs at each label fraction (the same patient-drawn, stratified,
// nested subsets for every encoder: the engine draws them from the seed alone). Each point is the
// mean over seeds with the interval the cells use: the patient bootstrap with one seed, the
// hierarchical bootstrap (seeds, then patients) with more.
import type { LabelEfficiencyOut } from '../api/results.ts'
import { labelFractionOf } from './baselines.ts'
import { orNull } from './cells.ts'
import type { BootstrapOptions } from './stats/bootstrap.ts'
import { mean } from './stats/describe.ts'
import { hierarchicalOf, intervalOf, plainStat, testSetOf, type MultiPredictions } from './stats/resampled.ts'
import type { Predictions } from './stats/metrics.ts'
import type { ResultRun } from '../store/results.ts'

/** A run the curve can score: its id, seed and fraction, its predictions and the statistic that is its ROC-AUC. */
export interface ScoredRun {
  /** The run. */
  run: ResultRun
  /** Its test predictions (aligned on the test set the clusters describe). */
  pred: Predictions | MultiPredictions
  /** `roc_auc` for a class target, `mean_auc` (mean over findings) for multilabel14. */
  stat: 'roc_auc' | 'mean_auc'
}

/** Labelled train images a run used: the label subset's size, else the train split's. */
export function trainImagesOf(run: ResultRun): number | null {
  const s = run.summary as { label_subset?: { n_images?: unknown } | null; n?: { train?: unknown } } | null
  const v = s?.label_subset?.n_images ?? s?.n?.train
  return typeof v === 'number' ? v : null
}

/** The curves; only groups with a run below fraction 1 (a curve needs two points). */
export function labelEfficiency(runs: readonly ScoredRun[], clusters: number[][], opts: BootstrapOptions): LabelEfficiencyOut[] {
  const single = runs.filter((r) => !r.run.fusionMode && r.run.encoders.length <= 1)
  const groups = new Map<string, ScoredRun[]>()
  for (const r of single) {
    const g = `${r.run.target}|${r.run.protocol}|${r.run.encoders[0] ?? 'scratch'}`
    groups.set(g, [...(groups.get(g) ?? []), r])
  }
  const out: LabelEfficiencyOut[] = []
  for (const [g, members] of groups) {
    if (!members.some((m) => labelFractionOf(m.run) < 1)) continue
    const [target, protocol, encoder] = g.split('|') as [string, string, string]
    const byFraction = new Map<number, ScoredRun[]>()
    for (const m of members) byFraction.set(labelFractionOf(m.run), [...(byFraction.get(labelFractionOf(m.run)) ?? []), m])
    const points = [...byFraction.entries()]
      .sort(([a], [b]) => a - b)
      .map(([fraction, rs]) => {
        rs.sort((a, b) => a.run.seed - b.run.seed)
        const ts = testSetOf(rs[0]!.pred.targets.length, clusters, opts)
        const stat = rs[0]!.stat
        const iv = rs.length === 1 ? intervalOf(plainStat(rs[0]!.pred, ts, stat), opts.level) : hierarchicalOf(rs.map((r) => r.pred), ts, stat)
        const sizes = rs.map((r) => trainImagesOf(r.run)).filter((x): x is number => x !== null)
        return { fraction, nTrain: sizes.length ? Math.round(mean(sizes)) : null, auc: orNull(mean(rs.map((r) => plainStat(r.pred, ts, stat).estimate))), lo: orNull(iv.lo), hi: orNull(iv.hi), runIds: rs.map((r) => r.run.id) }
      })
    out.push({ target, protocol, encoder, points })
  }
  return out.sort((a, b) => a.target.localeCompare(b.target) || a.protocol.localeCompare(b.protocol) || a.encoder.localeCompare(b.encoder))
}
