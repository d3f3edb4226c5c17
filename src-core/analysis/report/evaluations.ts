// Report sections of the reviewer's evaluations (issue 15): baselines (random-init, reference
// encoders) and the beats-random-init comparisons, the ensembles beside the fusion sets, label
// efficiency, the 14-finding benchmark next to CheXNet, calibration and the head sweep.
import type { StudyAnalysis } from '../../api/results.ts'
import { esc } from './svg.ts'

const f = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d))
const ci = (lo: number | null, hi: number | null) => `<span class="muted">[${f(lo)}, ${f(hi)}]</span>`
const pval = (p: number | null) => (p === null ? '–' : p < 0.001 ? '<0.001' : p.toFixed(3))

/** Random-init and reference encoder cells, and every pretext encoder minus random-init. */
export function baselinesSection(a: StudyAnalysis): string {
  if (!a.baselines.length) return '<p class="muted">No baseline encoder (supervised reference, random-init or reference) has finished runs.</p>'
  const rows = a.baselines.map((b) => `<tr${b.kind === 'supervised' ? ' class="ref"' : ''}><td class="l">${esc(b.target)}</td><td class="l">${esc(b.protocol)}</td><td class="l">${esc(b.encoder)}</td><td class="l">${b.kind}</td><td>${f(b.auc)} ${ci(b.lo, b.hi)}</td></tr>`)
  const cmp = a.beatsRandomInit.map((c) => `<tr><td class="l">${esc(c.target)}</td><td class="l">${esc(c.protocol)}</td><td class="l">${esc(c.encoder)}</td><td>${f(c.difference.estimate)} ${ci(c.difference.lo, c.difference.hi)}</td><td>${pval(c.pHolm)}</td><td class="l">${c.pHolm !== null && c.pHolm < 0.05 ? ((c.difference.estimate ?? 0) > 0 ? 'beats' : 'loses to') : 'no evidence'}</td></tr>`)
  return (
    `<p class="small muted">Baselines are shown beside the pretext encoders, never as cells of H1 (whose factors are pretext task × pretraining dataset). Supervised (the reference row, listed first): the same ResNet-18 trained with cross-entropy on the pretraining set's own labels under the pretext budget (steps, batch, optimiser), the comparison every SSL transfer paper reports. Random-init: a frozen ResNet-18 drawn with the run's seed.</p>` +
    `<table><tr><th class="l">target</th><th class="l">protocol</th><th class="l">encoder</th><th class="l">kind</th><th>ROC-AUC [95% CI]</th></tr>${rows.join('')}</table>` +
    (cmp.length ? `<h3>Pretext encoder − random-init</h3><table><tr><th class="l">target</th><th class="l">protocol</th><th class="l">encoder</th><th>difference [95% CI]</th><th>Holm p</th><th class="l">verdict</th></tr>${cmp.join('')}</table><p class="small muted">Paired on the same seeds and test resamples; Holm over all ${a.beatsRandomInit.length} comparisons.</p>` : '')
  )
}

/** Each fusion set beside the ensemble of its members. */
export function ensemblesSection(a: StudyAnalysis): string {
  if (!a.ensembles.length) return ''
  const rows = a.ensembles.map((e) => `<tr><td class="l">${esc(e.target)}</td><td class="l">${esc(e.mode)}</td><td class="l">${esc(e.members.join(' + '))}</td><td>${f(e.fusion.auc)} ${ci(e.fusion.lo, e.fusion.hi)}</td><td>${f(e.ensemble.auc)} ${ci(e.ensemble.lo, e.ensemble.hi)}</td><td class="l">${esc(e.bestMember.encoder)}${e.bestMember.selectedBy === 'test' ? '*' : ''} ${f(e.bestMember.auc)}</td><td>${f(e.fusionMinusEnsemble.diff)} ${ci(e.fusionMinusEnsemble.lo, e.fusionMinusEnsemble.hi)}</td></tr>`)
  return `<h3>Fusion against the ensemble of its members</h3><p class="small muted">The ensemble averages the members' predicted probabilities (their single-encoder runs, same target, protocol and seed). Fusion beating its best member but not the ensemble means more models beat one, not that fusing the features helped.</p><table><tr><th class="l">target</th><th class="l">mode</th><th class="l">members</th><th>fusion ROC-AUC</th><th>ensemble ROC-AUC</th><th class="l">best member</th><th>fusion − ensemble</th></tr>${rows.join('')}</table>`
}

/** ROC-AUC against labelled fraction, one row per curve. */
export function labelEfficiencySection(a: StudyAnalysis): string {
  if (!a.labelEfficiency.length) return '<p class="muted">The study ran every encoder with all train labels only (downstream.labelFractions = [1]).</p>'
  const fractions = [...new Set(a.labelEfficiency.flatMap((c) => c.points.map((p) => p.fraction)))].sort((x, y) => x - y)
  const rows = a.labelEfficiency.map((c) => `<tr><td class="l">${esc(c.target)}</td><td class="l">${esc(c.protocol)}</td><td class="l">${esc(c.encoder)}</td>${fractions
    .map((fr) => {
      const p = c.points.find((x) => x.fraction === fr)
      return p ? `<td>${f(p.auc)} ${ci(p.lo, p.hi)}<br><span class="small muted">${p.nTrain ?? '–'} images</span></td>` : '<td>–</td>'
    })
    .join('')}</tr>`)
  return `<p class="small muted">ROC-AUC (multilabel14: mean over findings) with 95% CIs by share of train labels; subsets drawn by patient, stratified and nested, the same for every encoder.</p><table><tr><th class="l">target</th><th class="l">protocol</th><th class="l">encoder</th>${fractions.map((fr) => `<th>${fr}</th>`).join('')}</tr>${rows.join('')}</table>`
}

/** The 14-finding benchmark with CheXNet's number, said to be on a different split. */
export function multilabelSection(a: StudyAnalysis): string {
  const ml = a.multilabel
  if (!ml.cells.length) return ''
  const findings = [...new Set(ml.cells.flatMap((c) => Object.keys(c.perFinding)))]
  const rows = ml.cells.map((c) => `<tr><td class="l">${esc(c.protocol)}</td><td class="l">${esc(c.encoders.join(' + ') || 'scratch')}</td><td>${f(c.meanAuc.mean)} ${ci(c.meanAuc.lo, c.meanAuc.hi)}</td><td class="l">${esc(c.splitType ?? 'unknown')}</td>${findings.map((x) => `<td>${f(c.perFinding[x] ?? null)}</td>`).join('')}</tr>`)
  return `<h2 id="multilabel">The 14 findings (multilabel14)</h2><p>Reference: CheXNet's mean AUROC ${ml.reference.chexnetMeanAuroc} (different split). ${esc(ml.reference.note)}</p><table><tr><th class="l">protocol</th><th class="l">encoder</th><th>mean AUROC [95% CI]</th><th class="l">split</th>${findings.map((x) => `<th>${esc(x)}</th>`).join('')}</tr>${rows.join('')}</table>`
}

/** ECE and Brier per run, with the head sweep's chosen point where a run swept. */
export function calibrationSection(a: StudyAnalysis): string {
  const runs = a.runs.filter((r) => r.extras.calibration || r.extras.headSweep)
  if (!runs.length) return ''
  const swept = runs.filter((r) => r.extras.headSweep)
  const rows = runs.map((r) => `<tr><td class="l">${esc(r.name)}</td><td>${f(r.extras.calibration?.ece ?? null)}</td><td>${f(r.extras.calibration?.brier ?? null)}</td><td class="l">${r.extras.headSweep ? `lr ${r.extras.headSweep.chosen.lr ?? '–'}, weight decay ${r.extras.headSweep.chosen.weightDecay ?? '–'} (of ${r.extras.headSweep.grid.length})` : '–'}</td></tr>`)
  const sentence = swept.length ? `<p>The linear heads of ${swept.length} run(s) were swept over a grid of learning rates and weight decays; each chosen point was chosen on validation, never on test.</p>` : ''
  return `<h3>Calibration and head sweep</h3>${sentence}<table><tr><th class="l">run</th><th>ECE</th><th>Brier</th><th class="l">head sweep: chosen on validation</th></tr>${rows.join('')}</table><p class="small muted">ECE: bin-weighted gap between confidence and accuracy (0 = calibrated); Brier: mean squared error of the probabilities. Reliability diagrams are in each run's results.</p>`
}

/** Every finetune run that started from a linear probe: where it started and where it ended, on val and test; runs that ended below their start are named first. */
export function finetuneStartSection(a: StudyAnalysis): string {
  const runs = a.runs.filter((r) => r.extras.finetuneStart)
  if (!runs.length) return ''
  const below = runs.filter((r) => r.extras.finetuneStart!.below)
  const sorted = [...below, ...runs.filter((r) => !r.extras.finetuneStart!.below)]
  const rows = sorted.map((r) => {
    const s = r.extras.finetuneStart!
    return `<tr><td class="l">${esc(r.name)}</td><td>${f(s.valStart)} → ${f(s.valEnd)}</td><td>${f(s.testStart)} → ${f(s.testEnd)}</td><td class="l">${s.below ? '<strong>ended below its start</strong>' : 'at or above its start'}</td></tr>`
  })
  const sentence = below.length
    ? `<p><strong>${below.length} of ${runs.length} fine-tuning run(s) ended below the linear probe they started from</strong>: for those encoders the linear probe is the better model, and the fine-tuning budget (steps, encoder learning rate) did not suffice; read their fine-tuning results as under-trained, not as a property of the protocol.</p>`
    : `<p>Every one of the ${runs.length} fine-tuning run(s) ended at or above the linear probe it started from.</p>`
  return `<h3>Fine-tuning against its starting probe</h3>${sentence}<table><tr><th class="l">run</th><th>val (${esc(runs[0]!.extras.finetuneStart!.metric)}) start → end</th><th>test start → end</th><th class="l">check</th></tr>${rows.join('')}</table><p class="small muted">The start is the LP-FT linear probe (fitted on train, C chosen on val) scored once on val and test before any encoder weight moved; the end is the fine-tuning epoch kept on val.</p>`
}
