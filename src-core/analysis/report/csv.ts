// The raw tables of the report as CSV (RFC 4180 quoting), one file per table.
import type { StudyAnalysis } from '../../api/results.ts'

/** One CSV document from a header and rows. */
export function toCsv(header: string[], rows: unknown[][]): string {
  const cell = (v: unknown) => {
    if (v === null || v === undefined) return ''
    const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v)
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n'
}

const METRICS = ['accuracy', 'f1_weighted', 'balanced_accuracy', 'roc_auc'] as const

/** File name -> CSV text for every table of an analysis. */
export function analysisCsvs(a: StudyAnalysis): Record<string, string> {
  const cellOf = new Map(a.cells.map((c) => [c.key, c]))
  // Per-class AUC columns: every class name of either target, blank where a run's target lacks it.
  const classes = [...new Set(a.cells.flatMap((c) => Object.keys(c.perClassAuc)))]
  const datasets = [...new Set(a.runs.flatMap((r) => Object.keys(r.provenance.datasets)))].sort()
  return {
    'runs.csv': toCsv(
      ['run_id', 'name', 'cell', 'seed', 'loss', ...METRICS.flatMap((m) => [m, `${m}_lo`, `${m}_hi`]), ...classes.map((c) => `auc_${c}`), 'engine', ...datasets.map((d) => `checksum_${d}`), 'stale', 'stale_reasons'],
      a.runs.map((r) => [
        r.runId,
        r.name,
        cellOf.get(r.cellKey)?.label ?? r.cellKey,
        r.seed,
        r.loss,
        ...METRICS.flatMap((m) => [r.metrics[m]?.estimate, r.metrics[m]?.lo, r.metrics[m]?.hi]),
        ...classes.map((c) => r.perClassAuc[c]),
        r.provenance.engine.join(' '),
        ...datasets.map((d) => r.provenance.datasets[d]),
        r.provenance.stale,
        r.provenance.staleReasons.join('; '),
      ]),
    ),
    'cells.csv': toCsv(
      ['cell', 'kind', 'target', 'protocol', 'pretext', 'pretrain_dataset', 'encoders', 'seeds', 'interval', ...METRICS.flatMap((m) => [`${m}_mean`, `${m}_sd`, `${m}_lo`, `${m}_hi`]), ...classes.flatMap((c) => [`auc_${c}_mean`, `auc_${c}_lo`, `auc_${c}_hi`])],
      a.cells.map((c) => [
        c.label,
        c.kind,
        c.target,
        c.protocol,
        c.pretext,
        c.pretrainDataset,
        c.encoders.join('+'),
        c.metrics.accuracy?.perSeed.map((s) => s.seed).join(' '),
        c.interval,
        ...METRICS.flatMap((m) => [c.metrics[m]?.mean, c.metrics[m]?.sd, c.metrics[m]?.lo, c.metrics[m]?.hi]),
        ...classes.flatMap((k) => [c.perClassAuc[k]?.mean, c.perClassAuc[k]?.lo, c.perClassAuc[k]?.hi]),
      ]),
    ),
    'verdicts.csv': toCsv(['rule', 'scope', 'outcome', 'estimate', 'lo', 'hi', 'p', 'p_adjusted', 'family', 'sentence'], a.verdicts.map((v) => [v.rule, v.scope, v.outcome, v.estimate, v.lo, v.hi, v.p, v.pAdjusted, v.family, v.sentence])),
    'sample_sizes.csv': toCsv(['target', 'split', 'class', 'images', 'patients'], a.sampleSizes.flatMap((s) => s.classes.map((c) => [s.target, s.split, c.name, c.images, c.patients]))),
    'fusion_vs_best_member.csv': toCsv(
      ['target', 'mode', 'encoders', 'metric', 'difference', 'lo', 'hi', 'verdict', 'p', 'p_holm', 'verdict_holm', 'per_seed_best_members'],
      a.h2.map((c) => [c.target, c.mode, c.encoders.join('+'), c.metric, c.difference.estimate, c.difference.lo, c.difference.hi, c.difference.verdict, c.difference.p, c.holm.p, c.holm.verdict, c.perSeed.map((s) => `s${s.seed}:${s.bestMember}:${s.selectedBy}`).join(' ')]),
    ),
    'similarity.csv': toCsv(
      ['dataset', 'frechet', 'histogram_l1', 'spectrum_l2', 'frechet_above_floor', 'histogram_l1_above_floor', 'spectrum_l2_above_floor'],
      [
        ...a.h1.similarity.map((s) => [s.dataset, s.frechet, s.histogram_l1, s.spectrum_l2, s.aboveFloor.frechet, s.aboveFloor.histogram_l1, s.aboveFloor.spectrum_l2]),
        ...(a.h1.similarityFloor ? [['noise floor (downstream vs itself)', a.h1.similarityFloor.frechet, a.h1.similarityFloor.histogram_l1, a.h1.similarityFloor.spectrum_l2]] : []),
      ],
    ),
    'invariance.csv': (() => {
      const keys = [...new Set(a.h1.invariance.flatMap((i) => Object.keys(i.values)))].sort()
      return toCsv(['encoder', 'pretext', 'dataset', 'seeds', 'reference', 'split', 'unrelated_cosine', ...keys], a.h1.invariance.map((i) => [i.encoder, i.pretext, i.dataset, i.seeds.join(' '), i.reference, i.split, i.unrelatedCosine, ...keys.map((k) => i.values[k])]))
    })(),
    'anova.csv': toCsv(
      ['target', 'protocol', 'metric', 'source', 'ss', 'df', 'ms', 'f', 'p', 'eta_sq', 'seeds', 'note'],
      [
        ...a.h1.anova.flatMap((t) => t.rows.map((r) => [t.target, t.protocol, t.metric, r.source, r.ss, r.df, r.ms, r.f, r.p, r.etaSq, t.seeds.join(' '), t.note])),
        // The H1 task test (cell means, pretext against the interaction) with its Holm p in the note.
        ...a.h1.anova.filter((t) => t.pretextTest).map((t) => [t.target, t.protocol, t.metric, 'pretext (task test on cell means)', null, t.pretextTest!.df1, null, t.pretextTest!.f, t.pretextTest!.p, t.pretextTest!.etaSq, t.seeds.join(' '), `df2 ${t.pretextTest!.df2}; Holm p ${t.pretextTest!.pHolm ?? ''}`]),
      ],
    ),
    'pretext_progress.csv': toCsv(
      ['target', 'pretext', 'dataset', 'seed', 'pretext_run', 'kind', 'step', 'fraction', 'roc_auc', 'roc_auc_lo', 'roc_auc_hi', 'n', 'pretext_val_metric', 'pretext_val', 'solved', 'run'],
      (a.h1.progress ?? []).flatMap((r) => r.points.map((p) => [r.target, r.pretext, r.dataset, r.seed, r.pretextRun, p.kind, p.step, p.fraction, p.auc.estimate, p.auc.lo, p.auc.hi, p.n, p.valMetric, p.val, p.solved, p.runName])),
    ),
    'correlations.csv': toCsv(['target', 'protocol', 'metric', 'family', 'variable', 'statistic', 'value', 'p', 'min_p', 'p_holm', 'n', 'unit'], a.h1.correlations.map((c) => [c.target, c.protocol, c.metric, c.family, c.variable, c.statistic, c.rho, c.p, c.minP, c.pHolm, c.n, c.unit])),
  }
}
