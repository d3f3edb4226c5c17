// What a downstream run's summary.json records beyond its metrics (issue 15), in the shapes the
// results and the run detail show: calibration (ECE, Brier, reliability bins), the 14-finding
// AUROCs, the linear-head sweep's chosen point (chosen on validation), the L-BFGS probe's chosen C,
// a fine-tuning run's starting probe (and whether it ended below it) and the label subset.
import type { RunExtras } from '../api/results.ts'

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null)

/** The extras of a run's summary; each null when the run did not record it. */
export function runExtrasOf(summary: Record<string, unknown> | null): RunExtras {
  const test = obj(summary?.test)
  const cal = obj(test?.calibration)
  const calibration = cal
    ? {
        ece: num(cal.ece),
        brier: num(cal.brier),
        nBins: num(cal.n_bins),
        kind: typeof cal.kind === 'string' ? cal.kind : null,
        bins: (Array.isArray(cal.bins) ? cal.bins : []).map((b) => obj(b)).filter((b): b is Record<string, unknown> => b !== null).map((b) => ({ lo: num(b.lo) ?? 0, hi: num(b.hi) ?? 0, n: num(b.n) ?? 0, confidence: num(b.confidence), accuracy: num(b.accuracy) })),
      }
    : null
  const pf = obj(test?.per_finding_auc)
  const ref = obj(summary?.reference)
  const perFindingAuc = pf
    ? {
        findings: Object.fromEntries(Object.entries(pf).map(([k, v]) => [k, num(v)])),
        mean: num(test?.mean_auc),
        splitType: typeof summary?.split_type === 'string' ? summary.split_type : null,
        reference: { chexnetMeanAuroc: num(ref?.chexnet_mean_auroc) ?? 0.841, note: typeof ref?.note === 'string' ? ref.note : 'CheXNet (Rajpurkar et al. 2017) on a different split of ChestX-ray14; not directly comparable.' },
      }
    : null
  const hs = obj(summary?.head_sweep)
  const chosen = obj(hs?.chosen)
  const headSweep = hs && chosen
    ? {
        chosen: { lr: num(chosen.lr), weightDecay: num(chosen.weight_decay) },
        selectedOn: typeof hs.selected_on === 'string' ? hs.selected_on : 'val',
        grid: (Array.isArray(hs.grid) ? hs.grid : []).map((g) => obj(g)).filter((g): g is Record<string, unknown> => g !== null).map((g) => ({ lr: num(g.lr), weightDecay: num(g.weight_decay), val: num(g.val), bestEpoch: num(g.best_epoch) })),
      }
    : null
  const ls = obj(summary?.label_subset)
  const labelSubset = ls ? { fraction: num(ls.fraction) ?? 1, nImages: num(ls.n_images), nPatients: num(ls.n_patients), sha256: typeof ls.sha256 === 'string' ? ls.sha256 : null } : null
  const knn = obj(summary?.knn)
  const lf = obj(summary?.linear_fit)
  const lfGrid = (Array.isArray(lf?.grid) ? lf.grid : []).map((g) => obj(g)).filter((g): g is Record<string, unknown> => g !== null && num(g.C) !== null)
  const linearFit = lf
    ? {
        chosenC: num(obj(lf.chosen)?.C),
        gridSize: Array.isArray(lf.grid) ? lf.grid.length : 0,
        atEdge: lf.at_edge === true,
        converged: lf.converged !== false,
        grid: lfGrid.map((g) => ({ c: num(g.C)!, val: Object.fromEntries(Object.entries(obj(g.val) ?? {}).map(([k, v]) => [k, num(v)])), converged: g.converged !== false })),
      }
    : null
  const st = obj(summary?.start)
  const cmp = obj(st?.compare)
  const side = (k: string) => obj(cmp?.[k])
  const finetuneStart = st && cmp
    ? { metric: typeof st.metric === 'string' ? st.metric : 'roc_auc', valStart: num(side('val')?.start), valEnd: num(side('val')?.end), testStart: num(side('test')?.start), testEnd: num(side('test')?.end), below: st.below === true }
    : null
  return { calibration, perFindingAuc, headSweep, labelSubset, linearFit, finetuneStart, knn: knn ? { k: num(knn.k), temperature: num(knn.temperature) } : null, trainSeconds: num(summary?.train_seconds) }
}
