// Report sections that say how far the numbers can be trusted: the verdict list, the method (the
// pre-declared rules and what each measurement means), sample sizes per class and split, run
// flags, validation selection, per-class AUC, and the dataset checksums every run used.
import type { ResultCell, StudyAnalysis } from '../../api/results.ts'
import { esc } from './svg.ts'

const f = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d))
const pval = (p: number | null) => (p === null ? '–' : p < 0.001 ? '<0.001' : p.toFixed(3))
const OUTCOME_CLASS: Record<string, string> = { claimed: 'better', 'no evidence': 'none', 'not testable': 'none' }

/** The summary as a list: one line per rule, each with its number and interval. */
export function summaryList(a: StudyAnalysis): string {
  return `<ol class="verdicts">${a.summary.map((s) => `<li>${esc(s)}</li>`).join('')}</ol>`
}

/** Every verdict with its rule, scope, outcome and corrected p. */
export function verdictTable(a: StudyAnalysis): string {
  if (!a.verdicts.length) return ''
  const rows = a.verdicts.map(
    (v) =>
      `<tr><td class="l">${esc(v.rule)}</td><td class="l">${esc(v.scope)}</td><td class="l ${OUTCOME_CLASS[v.outcome]}">${esc(v.outcome)}</td><td>${f(v.estimate)}</td><td>${v.lo !== null ? `[${f(v.lo)}, ${f(v.hi)}]` : '–'}</td><td>${pval(v.p)}</td><td>${pval(v.pAdjusted)}</td><td>${v.family}</td></tr>`,
  )
  return `<details><summary>Every verdict (${a.verdicts.length})</summary><table><tr><th class="l">rule</th><th class="l">scope</th><th class="l">outcome</th><th>estimate</th><th>95% CI</th><th>p</th><th>adjusted p</th><th>family</th></tr>${rows.join('')}</table></details>`
}

/** The method section: primary metric, correction, every rule and what each measurement means. */
export function methodSection(a: StudyAnalysis): string {
  const m = a.method
  return (
    `<p>Every verdict is decided on ${esc(m.primaryMetric === 'roc_auc' ? 'ROC-AUC' : m.primaryMetric)} at a family-wise error rate of ${m.alpha}; other metrics are shown but decide nothing. Correction: ${esc(m.correction)} A verdict is "no evidence either way" unless its test survives the correction, and "not testable" when the design cannot reach the level at all.</p>` +
    `<table><tr><th class="l">rule</th><th class="l">decided by</th></tr>${m.rules.map((r) => `<tr><td class="l">${esc(r.rule)}</td><td class="l">${esc(r.text)}</td></tr>`).join('')}</table>` +
    `<ul>${m.measurements.map((t) => `<li>${esc(t)}</li>`).join('')}</ul>`
  )
}

/** Images (and patients) per class in each split, per target. */
export function sampleSizeSection(a: StudyAnalysis): string {
  if (!a.sampleSizes.length) return '<p class="muted">The downstream cache was not found, so the per-class counts are unknown.</p>'
  const out: string[] = []
  for (const target of [...new Set(a.sampleSizes.map((s) => s.target))]) {
    const rows = a.sampleSizes.filter((s) => s.target === target)
    const classes = rows[0]!.classes.map((c) => c.name)
    const cell = (c: { images: number; patients: number | null }) => `<td${c.images < 30 ? ' class="worse"' : ''}>${c.images}${c.patients !== null ? ` <span class="small muted">(${c.patients} pt)</span>` : ''}</td>`
    out.push(`<table><tr><th class="l">${esc(target)}</th>${classes.map((c) => `<th>${esc(c)}</th>`).join('')}<th>total</th></tr>${rows.map((r) => `<tr><td class="l">${esc(r.split)}</td>${r.classes.map(cell).join('')}<td>${r.classes.reduce((s, c) => s + c.images, 0)}</td></tr>`).join('')}</table>`)
  }
  return `<p class="small muted">Images per class (patients in brackets); red: fewer than 30 images.</p><div>${out.join('')}</div>`
}

/** Runs whose numbers mean less than they seem. */
export function flagSection(a: StudyAnalysis): string {
  if (!a.flags.length) return ''
  return `<div class="box warn"><strong>Run flags</strong><ul>${a.flags.map((x) => `<li><strong>${esc(x.kind)}</strong>: ${esc(x.message)}</li>`).join('')}</ul></div>`
}

/** The validation-chosen best configurations and how many each was chosen from. */
export function selectionSection(a: StudyAnalysis): string {
  if (!a.selection.length) return ''
  return `<h3>Best configurations, chosen on validation</h3><table><tr><th class="l">target</th><th class="l">among</th><th class="l">chosen</th><th>chosen from</th><th>validation ROC-AUC</th><th>test ROC-AUC [95% CI]</th></tr>${a.selection
    .map((s) => `<tr><td class="l">${esc(s.target)}</td><td class="l">${esc(s.protocol === 'any' ? 'all pretrained' : s.protocol)}</td><td class="l">${esc(s.label)}</td><td>${s.chosenFrom}</td><td>${f(s.validation)}</td><td>${f(s.test.mean)} <span class="muted">[${f(s.test.lo)}, ${f(s.test.hi)}]</span></td></tr>`)
    .join('')}</table><p class="small muted">The test value of a configuration picked on the test set would flatter it; these were picked on validation, so their test values are honest estimates for one chosen configuration.</p>`
}

/** One-vs-rest ROC-AUC per class for every cell. */
export function perClassAucTable(cells: readonly ResultCell[]): string {
  const out: string[] = []
  for (const target of [...new Set(cells.map((c) => c.target))]) {
    const group = cells.filter((c) => c.target === target)
    const classes = Object.keys(group[0]?.perClassAuc ?? {})
    out.push(`<table><tr><th class="l">${esc(target)} configuration</th>${classes.map((c) => `<th>${esc(c)} vs rest</th>`).join('')}</tr>${group.map((c) => `<tr><td class="l">${esc(c.label)}</td>${classes.map((k) => `<td>${f(c.perClassAuc[k]?.mean)} <span class="muted small">[${f(c.perClassAuc[k]?.lo)}, ${f(c.perClassAuc[k]?.hi)}]</span></td>`).join('')}</tr>`).join('')}</table>`)
  }
  return `<details><summary>ROC-AUC per class (one-vs-rest)</summary>${out.join('')}</details>`
}

/** The points a dataset-level similarity correlation rests on. */
export function similarityPoints(a: StudyAnalysis): string {
  const cs = a.h1.correlations.filter((c) => c.family === 'similarity' && c.metric === a.method.primaryMetric && c.variable === 'frechet')
  if (!cs.length) return ''
  return `<p class="small muted">Similarity is a property of a pretraining dataset, so it is related to each dataset's mean ROC-AUC over its pretext tasks (one point per dataset). The points:</p><table><tr><th class="l">setting</th><th class="l">dataset: Fréchet distance → mean ROC-AUC</th><th>rho</th><th>exact p</th><th>smallest possible p</th></tr>${cs
    .map((c) => `<tr><td class="l">${esc(c.target)} · ${esc(c.protocol)}</td><td class="l">${c.points.map((p) => `${esc(p.label)}: ${f(p.x, 2)} → ${f(p.y)}`).join('<br>')}</td><td>${f(c.rho, 2)}</td><td>${pval(c.p)}</td><td>${pval(c.minP)}</td></tr>`)
    .join('')}</table>`
}

/** Per run: the content checksums of the datasets it read and the engine version; stale runs marked. */
export function provenanceSection(a: StudyAnalysis): string {
  const names = [...new Set(a.runs.flatMap((r) => Object.keys(r.provenance.datasets)))].sort()
  const stale = a.runs.filter((r) => r.provenance.stale).length
  const rows = a.runs.map(
    (r) =>
      `<tr><td class="l">${esc(r.name)}</td><td class="l">${esc(r.provenance.engine.join(', ') || '–')}</td>${names.map((n) => `<td class="l small">${n in r.provenance.datasets ? esc(r.provenance.datasets[n]?.slice(0, 12) ?? 'not recorded') : ''}</td>`).join('')}<td class="l small${r.provenance.stale ? ' worse' : ''}">${r.provenance.stale ? esc(r.provenance.staleReasons.join('; ')) : 'current'}</td></tr>`,
  )
  return `<details><summary>Dataset checksums per run (${a.runs.length} runs${stale ? `, ${stale} stale` : ''})</summary><p class="small muted">Content checksum of every dataset a run read, directly or through its encoders (sha256 over the dataset's file checksums, first 12 hex), as recorded in the run's identity and checked when it started.</p><table><tr><th class="l">run</th><th class="l">engine</th>${names.map((n) => `<th class="l">${esc(n)}</th>`).join('')}<th class="l">status</th></tr>${rows.join('')}</table></details>`
}
