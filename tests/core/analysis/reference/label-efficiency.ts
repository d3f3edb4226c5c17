// REFERENCE COPY of the analysis before issue 21 (commit 30d581b), kept to check that the fast
// implementation gives the same numbers. Not used by the app.
// Label efficiency: ROC-AUC against the share of train labels, one curve per target, protocol and
// encoder (scratch too), from the runs at each label fraction (the same patient-drawn, stratified,
// nested subsets for every encoder: the engine draws them from the seed alone). Each point is the
// mean over seeds with the interval the cells use: the patient bootstrap with one seed, the
// hierarchical bootstrap (seeds, then patients) with more.
import type { LabelEfficiencyOut } from '../../../../src-core/api/results.ts'
import { labelFractionOf } from './baselines.ts'
import { orNull } from './cells.ts'
import { bootstrapInterval, type BootstrapOptions } from './stats/bootstrap.ts'
import { mean } from '../../../../src-core/analysis/stats/describe.ts'
import { hierarchicalIntervals } from './stats/hierarchical.ts'
import type { ResultRun } from '../../../../src-core/store/results.ts'

/** A run the curve can score: its id, seed and fraction, and its primary metric on any resample of the test images. */
export interface ScoredRun {
  /** The run. */
  run: ResultRun
  /** Test images it predicted (the resampled rows index these). */
  n: number
  /** ROC-AUC (mean over findings for multilabel14) on rows. */
  auc: (rows: readonly number[]) => number
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
        const n = rs[0]!.n
        const iv = rs.length === 1 ? bootstrapInterval(n, clusters, rs[0]!.auc, opts) : hierarchicalIntervals(rs.length, n, clusters, (s, rows) => ({ auc: rs[s]!.auc(rows) }), opts).auc
        const sizes = rs.map((r) => trainImagesOf(r.run)).filter((x): x is number => x !== null)
        return { fraction, nTrain: sizes.length ? Math.round(mean(sizes)) : null, auc: orNull(mean(rs.map((r) => r.auc(Array.from({ length: n }, (_, i) => i))))), lo: orNull(iv.lo), hi: orNull(iv.hi), runIds: rs.map((r) => r.run.id) }
      })
    out.push({ target, protocol, encoder, points })
  }
  return out.sort((a, b) => a.target.localeCompare(b.target) || a.protocol.localeCompare(b.protocol) || a.encoder.localeCompare(b.encoder))
}
