// The static study report: one self-contained HTML page (inline CSS and SVG, no scripts, no external
// resources), so it opens from disk, prints, and shows in the app's sandboxed iframe.
import { baselinesSection, calibrationSection, ensemblesSection, finetuneStartSection, labelEfficiencySection, multilabelSection } from './evaluations.ts'
import type { ResultCell, RunResult, StudyAnalysis } from '../../api/results.ts'
import { PRIMARY_METRIC } from '../summary.ts'
import type { ReportEnvironment } from './environment.ts'
import { progressSection } from './progress.ts'
import { flagSection, methodSection, perClassAucTable, provenanceSection, sampleSizeSection, selectionSection, similarityPoints, summaryList, verdictTable } from './sections.ts'
import { barsWithIntervals, confusionChart, esc, heatmap, rocChart } from './svg.ts'

/** What the report page is rendered from. */
export interface ReportInput {
  /** The study analysis. */
  analysis: StudyAnalysis
  /** The study config as stored. */
  config: unknown
  /** Versions, device, seeds, dataset checksums. */
  environment: ReportEnvironment
  /** Runs shown with confusion matrix and ROC curves (best per target, scratch baselines). */
  examples: { why: string; detail: RunResult }[]
}

const METRIC_LABEL: Record<string, string> = { accuracy: 'accuracy', f1_weighted: 'weighted F1', balanced_accuracy: 'balanced accuracy', roc_auc: 'ROC-AUC' }
const f = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d))
const pval = (p: number | null) => (p === null ? '–' : p < 0.001 ? '<0.001' : p.toFixed(3))

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232a;margin:0;background:#fafbfc}
main{max-width:1100px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:2px solid #e3e7ec;padding-bottom:4px}
h3{font-size:15px;margin:20px 0 6px}.muted{color:#667}.small{font-size:12px}
table{border-collapse:collapse;margin:8px 0 14px;font-size:12.5px}th,td{border:1px solid #dde2e8;padding:3px 7px;text-align:right}
th{background:#f1f4f7}td.l,th.l{text-align:left}tr.ref td{font-weight:600;background:#f6f8fb}
.better{color:#137333;font-weight:600}.worse{color:#b3261e;font-weight:600}.none{color:#555}
.chart{margin:6px 12px 12px 0;vertical-align:top}.chart .t{font-weight:600;font-size:13px}.chart .l{font-size:11px;fill:#333}.chart .v{font-size:11px}
.box{background:#f6f8fa;border-left:4px solid #5b8fd9;padding:8px 14px;margin:10px 0}.warn{border-left-color:#d9a25b}
pre{background:#f6f8fa;padding:10px;font-size:12px;overflow:auto;max-height:420px}
nav a{margin-right:12px}details summary{cursor:pointer;font-weight:600}
ol.verdicts{margin:4px 0;padding-left:22px}ol.verdicts li{margin:5px 0}
`

function cellsTable(cells: ResultCell[]): string {
  const metrics = ['roc_auc', 'balanced_accuracy', 'f1_weighted', 'accuracy']
  const head = `<tr><th class="l">configuration</th><th>seeds</th>${metrics.map((m) => `<th>${METRIC_LABEL[m]} mean ± sd [95% CI]</th>`).join('')}</tr>`
  const rows = cells.map((c) => {
    const seeds = c.metrics.accuracy?.perSeed.map((s) => s.seed).join(', ') ?? ''
    const tds = metrics.map((m) => {
      const x = c.metrics[m]
      if (!x) return '<td>–</td>'
      const per = x.perSeed.length > 1 ? `<br><span class="small muted">${x.perSeed.map((s) => `s${s.seed} ${f(s.value)}`).join(' · ')}</span>` : ''
      return `<td>${f(x.mean)}${x.sd !== null ? ` ± ${f(x.sd)}` : ''} <span class="muted">[${f(x.lo)}, ${f(x.hi)}]</span>${per}</td>`
    })
    return `<tr><td class="l">${esc(c.label)}</td><td>${esc(seeds)}</td>${tds.join('')}</tr>`
  })
  return `<table>${head}${rows.join('')}</table>`
}

function overview(a: StudyAnalysis): string {
  const out: string[] = []
  const m = PRIMARY_METRIC
  for (const target of [...new Set(a.cells.map((c) => c.target))]) {
    const singles = a.cells.filter((c) => c.target === target && c.kind === 'single')
    for (const protocol of [...new Set(singles.map((c) => c.protocol))]) {
      const group = singles.filter((c) => c.protocol === protocol)
      const pretexts = [...new Set(group.map((c) => c.pretext ?? ''))].sort()
      const datasets = [...new Set(group.map((c) => c.pretrainDataset ?? ''))].sort()
      const values = pretexts.map((p) => datasets.map((d) => group.find((c) => c.pretext === p && c.pretrainDataset === d)?.metrics[m]?.mean ?? null))
      out.push(heatmap({ title: `${target} · ${protocol}: ROC-AUC, pretext × pretraining dataset`, rows: pretexts, cols: datasets, values, min: 0.5, max: 1 }))
    }
    const all = a.cells.filter((c) => c.target === target)
    out.push(
      barsWithIntervals({
        title: `${target}: ROC-AUC with 95% bootstrap CI, every configuration`,
        items: all.map((c) => ({ label: c.label.replace(`${target} `, ''), value: c.metrics[m]?.mean ?? null, lo: c.metrics[m]?.lo ?? null, hi: c.metrics[m]?.hi ?? null, colour: c.kind === 'scratch' ? '#999' : c.kind === 'fusion' ? '#e0904a' : '#5b8fd9' })),
        // 0.4..1 unless a value or bound lies outside: then the axis widens, never clipping.
        min: 0.4,
        max: 1,
        zero: 0.5,
      }),
    )
  }
  return out.join('\n')
}

function h2Section(a: StudyAnalysis): string {
  if (!a.h2.length) return '<p class="muted">This study has no finished fusion runs with finished members, so H2 cannot be answered yet.</p>'
  const primary = a.h2.filter((c) => c.metric === PRIMARY_METRIC)
  const bars = barsWithIntervals({
    title: 'Fusion − best single member, ROC-AUC (paired bootstrap 95% CI; dashed line = no difference)',
    items: primary.map((c) => ({ label: `${c.target} ${c.mode} ${c.encoders.map((e) => e.split('/')[0]).join('+')}`, value: c.difference.estimate, lo: c.difference.lo, hi: c.difference.hi, colour: c.difference.verdict === 'better' ? '#3a9d5d' : c.difference.verdict === 'worse' ? '#c8553d' : '#9aa5b1' })),
    zero: 0,
  })
  const cls = (v: string) => (v === 'better' ? 'better' : v === 'worse' ? 'worse' : 'none')
  const rows = a.h2.map((c) => {
    const members = c.perSeed.map((s) => `s${s.seed}: ${esc(s.bestMember)}${s.selectedBy === 'test' ? '*' : ''} ${f(s.member)} → fusion ${f(s.fusion)}`).join('<br>')
    return `<tr><td class="l">${esc(c.target)}</td><td class="l">${esc(c.mode)}</td><td class="l">${esc(c.encoders.join(' + '))}</td><td class="l">${METRIC_LABEL[c.metric] ?? c.metric}</td><td>${f(c.difference.estimate)}</td><td>[${f(c.difference.lo)}, ${f(c.difference.hi)}]</td><td class="l ${cls(c.difference.verdict)}">${c.difference.verdict}</td><td>${f(c.holm.p)}</td><td class="l ${cls(c.holm.verdict)}">${c.holm.verdict}</td><td class="l small">${members}</td></tr>`
  })
  return `${bars}<details><summary>All metrics (${a.h2.length} comparisons)</summary><table><tr><th class="l">target</th><th class="l">mode</th><th class="l">fused encoders</th><th class="l">metric</th><th>difference</th><th>95% CI</th><th class="l">verdict</th><th>Holm p</th><th class="l">after Holm</th><th class="l">best member per seed</th></tr>${rows.join('')}</table><p class="small muted">The best member is the one with the higher validation value of the metric at its selected epoch; * marks a pick made on the test set because a member had no validation value (this favours the member).</p></details>`
}

/** Which pretext cells a trivial statistic solves: the engine's shortcut score, measured before training. */
export function shortcutSection(a: StudyAnalysis): string {
  const cells = a.h1.shortcuts ?? []
  if (!cells.length) return ''
  const trivial = cells.filter((c) => c.trivial)
  const list = trivial.length
    ? `<p data-testid="shortcut-trivial-cells"><strong>Solved by a trivial statistic:</strong> ${[...new Set(trivial.map((c) => `${esc(c.pretext)} on ${esc(c.dataset)}`))].join(', ')}. These cells' pretext accuracy says little about what their encoders learned; read their downstream results with that in mind.</p>`
    : '<p data-testid="shortcut-trivial-cells">No pretext cell is solved by a trivial statistic (none reaches 0.9 of the way from chance to perfect).</p>'
  const rows = cells.map((c) => `<tr><td class="l">${esc(c.pretext)}</td><td class="l">${esc(c.dataset)}</td><td>${c.seed}</td><td class="l">${esc(c.metric)}</td><td>${f(c.chance, 3)}</td><td>${f(c.stats, 3)}${c.trivial ? ' <span class="worse small">trivial</span>' : ''}</td><td>${f(c.randomInit, 3)}</td><td>${f(c.achieved, 3)}</td></tr>`)
  return '<h3>Shortcut scores of the pretext tasks</h3>' +
    '<p class="small muted">Before training, two unlearned baselines were fitted on pretext samples of each cell\'s own dataset and scored on held-out ones: a logistic regression on 24 cheap image statistics (border and half means, frame contrast, gradient anisotropy, variance by region), and the same on the features of a random-init ResNet-18. A cell is marked trivial when the statistics reach 0.9 of the way from chance to perfect.</p>' +
    list + `<table><tr><th class="l">pretext</th><th class="l">dataset</th><th>seed</th><th class="l">measure</th><th>chance</th><th>cheap statistics</th><th>random-init probe</th><th>pretext (final val)</th></tr>${rows.join('')}</table>`
}

function h1Section(a: StudyAnalysis): string {
  const out: string[] = []
  const { similarity, invariance, anova, correlations } = a.h1
  out.push('<h3>Domain similarity to the downstream set</h3>')
  if (similarity.length) {
    out.push('<p class="small muted">Smaller = more similar. Fréchet distance of pooled features under a fixed random-init ResNet-18 (seeded; no downloaded weights); L1 distance of grey-level histograms; RMS difference of radially averaged log power spectra.</p>')
    const vars = ['frechet', 'histogram_l1', 'spectrum_l2'] as const
    const floor = a.h1.similarityFloor
    const mark = (s: (typeof similarity)[number], v: (typeof vars)[number]) => (s.aboveFloor[v] === false ? ' <span class="worse small">≤ floor</span>' : '')
    out.push(`<table><tr><th class="l">pretraining dataset</th>${vars.map((v) => `<th>${v}</th>`).join('')}</tr>${similarity.map((s) => `<tr><td class="l">${esc(s.dataset)}</td>${vars.map((v) => `<td>${f(s[v], 4)}${mark(s, v)}</td>`).join('')}</tr>`).join('')}${floor ? `<tr><td class="l muted">noise floor (downstream vs itself)</td>${vars.map((v) => `<td class="muted">${f(floor[v], 4)}</td>`).join('')}</tr>` : ''}</table>`)
    out.push(similarityPoints(a))
    for (const v of vars) out.push(barsWithIntervals({ title: `${v} to the downstream set`, items: similarity.map((s) => ({ label: s.dataset, value: s[v], lo: null, hi: null, colour: '#7a6fd1' })), digits: 4 }))
  } else out.push('<p class="muted">No similarity probe has finished.</p>')
  out.push('<h3>Invariance profiles</h3>')
  if (invariance.length) {
    const split = invariance[0]!.split
    const unrelated = invariance.map((i) => i.unrelatedCosine).filter((x): x is number => x !== null)
    out.push(`<p class="small muted">Baselined invariance on ${esc(split)} images: (cos(x, T x) − cos(x, y)) / (1 − cos(x, y)) of pooled features, y an unrelated image. 1 = the encoder ignores the change, 0 = it moves the features as far as another image would, below 0 = further. Raw cosines of unrelated images were ${f(Math.min(...unrelated), 2)}–${f(Math.max(...unrelated), 2)}, which is why raw cosines say little. The random-init row is the architecture without pretraining.</p>`)
    const keys = [...new Set(invariance.flatMap((i) => Object.keys(i.values)))]
    out.push(heatmap({ title: 'Baselined invariance under each transform', rows: invariance.map((i) => (i.reference ? `${i.encoder} (reference)` : i.encoder)), cols: keys, values: invariance.map((i) => keys.map((k) => i.values[k] ?? null)), max: 1, digits: 2 }))
  } else out.push('<p class="muted">No invariance probe has finished.</p>')
  out.push(shortcutSection(a))
  out.push(progressSection(a))
  out.push('<h3>Variance decomposition (two-way ANOVA: pretext × pretraining dataset, seeds as replicates)</h3>')
  if (!anova.length) out.push('<p class="muted">No complete pretext × dataset grid of finished runs, so no ANOVA.</p>')
  const table = (t: (typeof anova)[number]) =>
    `<h4>${esc(t.target)} · ${esc(t.protocol)} · ${METRIC_LABEL[t.metric] ?? t.metric} <span class="muted small">(seeds ${t.seeds.join(', ')})</span></h4>` +
    `<table><tr><th class="l">source</th><th>SS</th><th>df</th><th>MS</th><th>F</th><th>p</th><th>η²</th></tr>${t.rows.map((r) => `<tr><td class="l">${esc(r.source)}</td><td>${f(r.ss, 5)}</td><td>${r.df}</td><td>${f(r.ms, 5)}</td><td>${f(r.f, 2)}</td><td>${pval(r.p)}</td><td>${f(r.etaSq, 3)}</td></tr>`).join('')}</table>` +
    (t.note ? `<p class="small muted">${esc(t.note)}</p>` : '') +
    (t.pretextTest ? `<p class="small">H1 task test on cell means (pretext against the pretext × dataset interaction, dataset as a random effect): F(${t.pretextTest.df1}, ${t.pretextTest.df2}) = ${f(t.pretextTest.f, 2)}, p ${pval(t.pretextTest.p)}, Holm p ${pval(t.pretextTest.pHolm)}.</p>` : '')
  const primary = anova.filter((t) => t.metric === PRIMARY_METRIC)
  out.push(primary.map(table).join(''))
  const others = anova.filter((t) => t.metric !== PRIMARY_METRIC)
  if (others.length) out.push(`<details><summary>Other metrics (${others.length} tables)</summary>${others.map(table).join('')}</details>`)
  out.push('<h3>Correlations with downstream ROC-AUC</h3>')
  out.push('<p class="small muted">Similarity: Spearman rho over pretraining datasets (dataset means). Invariance: partial correlation with ROC-AUC given the pretraining dataset, over encoders. Holm p over every correlation of ROC-AUC that can reach 0.05.</p>')
  const corr = correlations.filter((c) => c.metric === PRIMARY_METRIC)
  if (corr.length) {
    const settings = [...new Set(corr.map((c) => `${c.target} · ${c.protocol}`))]
    const vars = [...new Set(corr.map((c) => `${c.family}:${c.variable}`))]
    out.push(heatmap({ title: 'Correlation of ROC-AUC with each measurement', rows: vars, cols: settings, values: vars.map((v) => settings.map((s) => corr.find((c) => `${c.family}:${c.variable}` === v && `${c.target} · ${c.protocol}` === s)?.rho ?? null)), min: -1, max: 1, digits: 2 }))
    out.push(`<details><summary>Table with p-values and n</summary><table><tr><th class="l">target</th><th class="l">protocol</th><th class="l">measurement</th><th class="l">statistic</th><th>value</th><th>p</th><th>Holm p</th><th>n</th><th class="l">unit</th></tr>${corr.map((c) => `<tr><td class="l">${esc(c.target)}</td><td class="l">${esc(c.protocol)}</td><td class="l">${esc(`${c.family}: ${c.variable}`)}</td><td class="l">${esc(c.statistic)}</td><td>${f(c.rho, 2)}</td><td>${pval(c.p)}</td><td>${c.pHolm === null ? 'not testable' : pval(c.pHolm)}</td><td>${c.n}</td><td class="l">${esc(c.unit)}</td></tr>`).join('')}</table></details>`)
  } else out.push('<p class="muted">No correlations: they need finished probes and single-encoder runs.</p>')
  return out.join('\n')
}

function examplesSection(examples: ReportInput['examples']): string {
  return examples
    .map(({ why, detail }) => {
      const parts = [`<h3>${esc(detail.name)} <span class="muted small">(${esc(why)})</span></h3>`]
      if (detail.confusion) parts.push(confusionChart('Confusion matrix (count, share of the true class)', detail.classNames, detail.confusion))
      if (detail.roc.length) parts.push(rocChart('ROC curves (one-vs-rest)', detail.roc.map((r) => ({ name: r.className, fpr: r.fpr, tpr: r.tpr, auc: r.auc }))))
      return parts.join('\n')
    })
    .join('\n')
}

function environmentSection(env: ReportEnvironment): string {
  const sw = `<table>${env.software.map(([k, v]) => `<tr><th class="l">${esc(k)}</th><td class="l">${esc(v)}</td></tr>`).join('')}<tr><th class="l">seeds</th><td class="l">${esc(env.seeds.join(', '))}</td></tr></table>`
  const workers = env.workers.length ? `<p>Engine workers (device, torch):</p><ul>${env.workers.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '<p class="muted">No worker reported its device yet.</p>'
  const ds = `<table><tr><th class="l">dataset</th><th class="l">role</th><th>images</th><th class="l">stored size</th><th class="l">checksums (sha256, first 16 hex)</th></tr>${env.datasets
    .map((d) => `<tr><td class="l">${esc(d.name)}</td><td class="l">${d.role}</td><td>${d.n ?? '–'}</td><td class="l">${esc(d.shape ?? '–')}</td><td class="l small">${Object.entries(d.checksums).map(([k, v]) => `${esc(k)} ${esc(v.slice(0, 16))}`).join('<br>') || (d.dir ? 'no checksums in meta.json' : 'dataset not found')}</td></tr>`)
    .join('')}</table>`
  return sw + workers + ds
}

/** Renders the whole report page. */
export function renderReportHtml(input: ReportInput): string {
  const a = input.analysis
  const b = a.bootstrap
  const warnings = a.warnings.length ? `<div class="box warn"><strong>Data notes</strong><ul>${a.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></div>` : ''
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(a.studyName)} · X-Ray SSL Lab report</title><style>${CSS}</style></head>
<body><main>
<h1>Study report: ${esc(a.studyName)}</h1>
<p class="muted">Generated ${esc(a.generatedAt)} · ${a.runs.length} downstream runs analysed · ${b.nImages} test images, ${b.nUnits} ${b.unit === 'patient' ? 'patients' : 'images'} as bootstrap units · ${b.replicates} resamples, seed ${b.seed}</p>
<nav><a href="#summary">Summary</a><a href="#method">Method</a><a href="#samples">Sample sizes</a><a href="#results">Results</a><a href="#labels">Label efficiency</a><a href="#h1">H1</a><a href="#h2">H2</a><a href="#runs">Runs</a><a href="#config">Config</a><a href="#env">Environment</a></nav>
<h2 id="summary">Summary</h2>
<div class="box">${summaryList(a)}${verdictTable(a)}</div>
<div class="box warn"><strong>Caveats</strong><ul>${a.caveats.map((c) => `<li>${esc(c)}</li>`).join('')}</ul></div>
${warnings}
${flagSection(a)}
<h2 id="method">Method: how each verdict is decided</h2>
${methodSection(a)}
<h2 id="samples">Sample sizes</h2>
${sampleSizeSection(a)}
<h2 id="results">Results</h2>
<p class="small muted">Each configuration's value is the mean over seeds; the interval is a 95% percentile bootstrap over test ${b.unit === 'patient' ? 'patients (all images of a patient drawn together)' : 'images'}${a.cells.some((c) => c.interval.startsWith('seeds')) ? ', with the seeds resampled first (hierarchical bootstrap)' : '; with one seed it covers test-set sampling only'}.</p>
${overview(a)}
${selectionSection(a)}
${cellsTable(a.cells)}
${perClassAucTable(a.cells)}
<h3>Baselines: the supervised reference, random-init and reference encoders</h3>
${baselinesSection(a)}
${finetuneStartSection(a)}
<h2 id="labels">Label efficiency</h2>
${labelEfficiencySection(a)}
${multilabelSection(a)}
<h2 id="h1">H1: similarity or invariance?</h2>
${h1Section(a)}
<h2 id="h2">H2: does fusion beat its best member?</h2>
<p class="small muted">Each fusion run against the single-encoder run of its best member (same target, protocol, seed), paired on the same test images. Only an interval that excludes 0 counts as evidence.</p>
${h2Section(a)}
${ensemblesSection(a)}
<h2 id="runs">Confusion matrices and ROC curves</h2>
${examplesSection(input.examples)}
${calibrationSection(a)}
<h2 id="config">Study configuration</h2>
<pre>${esc(JSON.stringify(input.config, null, 2))}</pre>
<h2 id="env">Environment</h2>
${environmentSection(input.environment)}
${provenanceSection(a)}
<p class="small muted">Raw tables: runs.csv, cells.csv, fusion_vs_best_member.csv, similarity.csv, invariance.csv, anova.csv, correlations.csv, pretext_progress.csv, verdicts.csv, sample_sizes.csv, analysis.json (next to this file).</p>
</main></body></html>
`
}
