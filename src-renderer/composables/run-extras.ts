// The issue-15 parts of one run's detail (results.run): calibration, per-finding AUROC of the
// 14-finding target, the linear-head sweep and the label subset it trained on. Read tolerantly
// (the engine's summary.json writes snake_case, the API camelCase), so a run from before these
// fields existed simply has none of them.
import type { Calibration } from './calibration.ts'

/** What the run detail shows beside its confusion matrix and ROC. */
export interface RunExtras {
  /** ECE, Brier score and the reliability bins; null without predictions. */
  calibration: Calibration | null
  /** The 14-finding target: AUROC per finding, their mean, the split type and the published reference. */
  perFinding: { auc: Record<string, number | null>; mean: number | null; splitType: string | null; reference: { chexnet_mean_auroc: number; note?: string } | null } | null
  /** Linear probes with a head sweep: the grid, the chosen point and what chose it. */
  headSweep: { grid: { lr: number; weight_decay: number; val: number | null; best_epoch?: number | null }[]; chosen: { lr: number; weight_decay: number } | null; selectedOn: string } | null
  /** Runs on a label fraction: the fraction, images and patients it trained on. */
  labelSubset: { fraction: number; nImages: number | null; nPatients: number | null } | null
}

type Loose = Record<string, unknown>
const obj = (v: unknown): Loose | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : null)
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const pick = (o: Loose, ...keys: string[]) => keys.map((k) => o[k]).find((v) => v !== undefined)

/** The extras of a run detail, each null when the run has none. */
export function runExtras(detail: unknown): RunExtras {
  const d = obj(detail) ?? {}
  const cal = obj(d.calibration)
  const sweep = obj(pick(d, 'headSweep', 'head_sweep'))
  const subset = obj(pick(d, 'labelSubset', 'label_subset'))
  const perFinding = pick(d, 'perFindingAuc', 'per_finding_auc')
  // results.run: {findings, mean, splitType, reference}; a bare summary: per_finding_auc is the map itself.
  const nested = obj(perFinding) && 'findings' in obj(perFinding)! ? obj(perFinding)! : null
  const aucs = nested ? obj(nested.findings) : obj(perFinding)
  const values = aucs ? Object.values(aucs).map(num).filter((v): v is number => v !== null) : []
  const ref = obj(nested?.reference ?? d.reference)
  const meanOf = nested ? num(nested.mean) : num(pick(d, 'meanAuc', 'mean_auc'))
  return {
    calibration: cal && Array.isArray(cal.bins) ? { ece: num(cal.ece), brier: num(cal.brier), bins: cal.bins as Calibration['bins'], kind: typeof cal.kind === 'string' ? cal.kind : undefined } : null,
    perFinding: aucs
      ? {
          auc: Object.fromEntries(Object.entries(aucs).map(([k, v]) => [k, num(v)])),
          mean: meanOf ?? (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null),
          splitType: ((nested?.splitType ?? pick(d, 'splitType', 'split_type')) as string | null | undefined) ?? null,
          reference: ref && typeof pick(ref, 'chexnet_mean_auroc', 'chexnetMeanAuroc') === 'number' ? { chexnet_mean_auroc: pick(ref, 'chexnet_mean_auroc', 'chexnetMeanAuroc') as number, note: typeof ref.note === 'string' ? ref.note : undefined } : null,
        }
      : null,
    headSweep: sweep && Array.isArray(sweep.grid) ? { grid: (sweep.grid as Loose[]).map((g) => ({ lr: g.lr as number, weight_decay: pick(g, 'weight_decay', 'weightDecay') as number, val: num(g.val), best_epoch: num(pick(g, 'best_epoch', 'bestEpoch')) })), chosen: obj(sweep.chosen) ? { lr: obj(sweep.chosen)!.lr as number, weight_decay: pick(obj(sweep.chosen)!, 'weight_decay', 'weightDecay') as number } : null, selectedOn: String(pick(sweep, 'selected_on', 'selectedOn') ?? 'val') } : null,
    labelSubset: subset ? { fraction: num(subset.fraction) ?? 1, nImages: num(pick(subset, 'n_images', 'nImages')), nPatients: num(pick(subset, 'n_patients', 'nPatients')) } : null,
  }
}
