// REFERENCE COPY of the analysis before issue 21 (commit 30d581b), kept to check that the fast
// implementation gives the same numbers. Not used by the app.
// The 14-finding multi-label target (multilabel14): one sigmoid per ChestX-ray14 finding. Its
// test_predictions.json holds N x 14 targets (0/1) and probabilities ("multilabel": true); the
// score is each finding's ROC-AUC and their mean, as CheXNet reports it (0.841, on another split).
// The file is read by readRunPredictions (predictions.ts), which knows both shapes.
import { binaryAuc } from './stats/metrics.ts'

/** Per-image multi-label predictions of one run. */
export interface MultilabelPredictions {
  /** Dataset indices. */
  indices: number[]
  /** 0/1 per finding, per image. */
  targets: number[][]
  /** Probability per finding, per image. */
  probs: number[][]
  /** Finding names. */
  classNames: string[]
}

/** CheXNet's mean AUROC over the 14 findings (Rajpurkar et al. 2017), on its own split of ChestX-ray14. */
export const CHEXNET_MEAN_AUROC = 0.841

/** ROC-AUC of each finding on rows (NaN where the rows hold one class of it). */
export function findingAucs(pred: MultilabelPredictions, rows?: readonly number[]): number[] {
  const rs = rows ?? pred.targets.map((_, i) => i)
  return pred.classNames.map((_, k) => binaryAuc(rs.map((i) => pred.probs[i]![k]!), rs.map((i) => pred.targets[i]![k]! > 0.5)))
}

/** The mean of the defined per-finding AUCs (NaN when none is defined). */
export function meanFindingAuc(pred: MultilabelPredictions, rows?: readonly number[]): number {
  const v = findingAucs(pred, rows).filter(Number.isFinite)
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN
}

/** Restricts predictions to `order` (dataset indices every run has). */
export function alignMultilabel(pred: MultilabelPredictions, order: readonly number[]): MultilabelPredictions {
  const pos = new Map(pred.indices.map((idx, i) => [idx, i]))
  const rows = order.map((idx) => pos.get(idx)!)
  return { indices: [...order], targets: rows.map((r) => pred.targets[r]!), probs: rows.map((r) => pred.probs[r]!), classNames: pred.classNames }
}

/** Groups multilabel14 runs at fraction 1 into cells (runs that differ by seed) with the mean AUROC's interval. */
export function multilabelCells(
  runs: readonly { run: { id: string; seed: number; protocol: string | null; fusionMode: string | null; encoders: string[]; summary: Record<string, unknown> | null }; pred: MultilabelPredictions }[],
  interval: (members: readonly MultilabelPredictions[]) => { lo: number; hi: number },
): { protocol: string; encoders: string[]; runIds: string[]; meanAuc: { mean: number | null; lo: number | null; hi: number | null }; perFinding: Record<string, number | null>; splitType: string | null }[] {
  const groups = new Map<string, typeof runs[number][]>()
  for (const r of runs) {
    const key = `${r.run.fusionMode ? `fusion-${r.run.fusionMode}` : (r.run.protocol ?? '')}|${r.run.encoders.join('+')}`
    groups.set(key, [...(groups.get(key) ?? []), r])
  }
  const fin = (x: number) => (Number.isFinite(x) ? x : null)
  return [...groups.entries()].map(([key, ms]) => {
    ms.sort((a, b) => a.run.seed - b.run.seed)
    const iv = interval(ms.map((m) => m.pred))
    const perSeed = ms.map((m) => findingAucs(m.pred))
    const names = ms[0]!.pred.classNames
    const perFinding = Object.fromEntries(names.map((n, k) => {
      const v = perSeed.map((a) => a[k]!).filter(Number.isFinite)
      return [n, v.length ? fin(v.reduce((a, b) => a + b, 0) / v.length) : null]
    }))
    const means = ms.map((m) => meanFindingAuc(m.pred)).filter(Number.isFinite)
    const split = ms.map((m) => m.run.summary?.split_type).find((x) => typeof x === 'string') as string | undefined
    return { protocol: key.split('|')[0]!, encoders: ms[0]!.run.encoders, runIds: ms.map((m) => m.run.id), meanAuc: { mean: means.length ? fin(means.reduce((a, b) => a + b, 0) / means.length) : null, lo: fin(iv.lo), hi: fin(iv.hi) }, perFinding, splitType: split ?? null }
  })
}
