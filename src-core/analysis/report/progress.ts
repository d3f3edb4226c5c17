// The report's "transfer against pretext progress" part of H1: per pretext cell and target, a small
// chart and a table of downstream linear ROC-AUC (interval, n) at each encoder snapshot and for the
// extracted encoder, beside the pretext validation accuracy there and the "solved early" flag.
import type { PretextProgressRow, StudyAnalysis } from '../../api/results.ts'
import { barsWithIntervals, esc } from './svg.ts'

const f = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d))

/** The label of a point: `step 12 (25%)`, or `step 48, extracted (best.pth)`. */
export function pointLabel(p: PretextProgressRow['points'][number]): string {
  const at = p.step === null ? 'step ?' : `step ${p.step}${p.fraction !== null ? ` (${Math.round(p.fraction * 100)}%)` : ''}`
  return p.kind === 'extracted' ? `${at}, extracted (best.pth)` : at
}

function rowBlock(r: PretextProgressRow): string {
  const title = `${r.pretext} on ${r.dataset} · ${r.target} · seed ${r.seed}`
  const chart = barsWithIntervals({
    title: `${title}: linear ROC-AUC by pretext step`,
    items: r.points.map((p) => ({ label: pointLabel(p), value: p.auc.estimate, lo: p.auc.lo, hi: p.auc.hi, colour: p.kind === 'extracted' ? '#e0904a' : p.solved ? '#c8553d' : '#5b8fd9' })),
    min: 0.4,
    max: 1,
    zero: 0.5,
  })
  const rows = r.points.map(
    (p) =>
      `<tr${p.kind === 'extracted' ? ' class="ref"' : ''}><td class="l">${esc(pointLabel(p))}</td><td>${f(p.auc.estimate)}</td><td>[${f(p.auc.lo)}, ${f(p.auc.hi)}]</td><td>${p.n}</td><td>${p.valMetric ? `${esc(p.valMetric)} ${f(p.val)}` : '–'}</td><td class="l">${p.solved ? '<span class="worse">solved (≥ 0.99)</span>' : p.solved === false ? 'no' : '–'}</td></tr>`,
  )
  const solved = r.solvedEarly ? `<span class="worse">solved early</span> at step ${r.solvedEarly.step ?? '?'}${r.totalSteps ? ` of ${r.totalSteps}` : ''} (validation accuracy ${f(r.solvedEarly.accuracy)})` : 'not solved early'
  return (
    `<h4>${esc(title)} <span class="muted small">(${esc(r.pretextRun)}; ${solved})</span></h4>` +
    chart +
    `<table data-testid="progress-table"><tr><th class="l">encoder</th><th>ROC-AUC</th><th>95% CI</th><th>n</th><th>pretext validation</th><th class="l">task solved</th></tr>${rows.join('')}</table>` +
    (r.trend ? `<p class="small">${esc(r.trend.sentence)}</p>` : '')
  )
}

/** The whole part, or '' when the study probed no snapshots. */
export function progressSection(a: StudyAnalysis): string {
  const rows = a.h1.progress ?? []
  if (!rows.length) return ''
  return (
    '<h3>Transfer against pretext progress</h3>' +
    '<p class="small muted">A linear probe (the study\'s own L-BFGS protocol) of each pretext encoder snapshot, taken at a fraction of the pretext step budget, on the same test images as every other run; the last row of each table is the study\'s linear probe of the extracted encoder (best.pth, chosen on the pretext validation loss). Intervals cover test sampling only (one seed); the pretext validation is the task\'s own accuracy (rotation, structure) or loss (inpainting) at that step. Red bars mark snapshots taken once the task was solved (validation accuracy ≥ 0.99).</p>' +
    rows.map(rowBlock).join('\n')
  )
}
