// Columns of the verdict tables (fusion vs best member; H1's ANOVA and correlations): the
// difference, its interval, the raw and the corrected p, and the verdict, each sortable.
import type { StudyAnalysisView } from '../api/shapes.ts'
import { formatMetric } from './format.ts'
import { metricLabel } from './metric-names.ts'
import { formatInterval } from './results-overview.ts'
import type { Column } from './runs-table.ts'
import { differenceText, verdictText } from './verdict-words.ts'

/** One verdict of the summary (a pre-declared rule applied to a corrected test). */
export type Verdict = StudyAnalysisView['verdicts'][number]
/** One H2 comparison. */
export type FusionComparison = StudyAnalysisView['h2'][number]
/** One ANOVA table of H1. */
export type AnovaTable = StudyAnalysisView['h1']['anova'][number]
/** One correlation of H1. */
export type Correlation = StudyAnalysisView['h1']['correlations'][number]
/** One ANOVA row with its table's factors. */
export type AnovaRow = AnovaTable['rows'][number] & { target: string; protocol: string; metric: string }

const num = (v: string | number | null) => formatMetric(typeof v === 'number' ? v : null)
const pText = (v: string | number | null) => (typeof v !== 'number' ? '—' : v < 0.001 ? '<0.001' : v.toFixed(3))

const RULE_WORDS: Record<Verdict['rule'], string> = {
  'h1-task': 'H1: the pretext task matters',
  'h1-similarity': 'H1: similarity to the chest films matters',
  'h1-invariance': 'H1: an induced invariance matters',
  'h1-overall': 'H1 overall',
  'h2-fusion': 'H2: fusion beats its best member',
  'beats-scratch': 'Pretraining beats scratch',
  'beats-random-init': 'A pretext encoder beats random-init',
}

/** Every verdict of the study: the rule, where it applies, its number, interval, raw and corrected p, outcome. */
export const verdictColumns: Column<Verdict>[] = [
  { key: 'rule', label: 'Question', value: (v) => RULE_WORDS[v.rule] },
  { key: 'scope', label: 'Where', value: (v) => v.scope },
  { key: 'estimate', label: 'Estimate', value: (v) => v.estimate, format: num },
  { key: 'interval', label: '95% interval', value: (v) => formatInterval(v.lo, v.hi) },
  { key: 'p', label: 'p', value: (v) => v.p, format: pText },
  { key: 'pAdjusted', label: 'p (corrected)', value: (v) => v.pAdjusted, format: pText },
  { key: 'family', label: 'Tests corrected together', value: (v) => v.family },
  { key: 'outcome', label: 'Verdict (sign of the estimate)', value: (v) => verdictText(v) },
]

/** Fusion set against its best single member. */
export const fusionColumns: Column<FusionComparison>[] = [
  { key: 'set', label: 'Fusion set', value: (c) => c.encoders.join(' + ') },
  { key: 'mode', label: 'Mode', value: (c) => c.mode },
  { key: 'target', label: 'Task', value: (c) => c.target },
  { key: 'metric', label: 'Metric', value: (c) => metricLabel(c.metric) },
  { key: 'member', label: 'Best member (picked on validation)', value: (c) => [...new Set(c.perSeed.map((s) => s.bestMember))].join(', ') },
  { key: 'difference', label: 'Difference', value: (c) => c.difference.estimate, format: num },
  { key: 'interval', label: '95% interval', value: (c) => formatInterval(c.difference.lo, c.difference.hi) },
  { key: 'p', label: 'p', value: (c) => c.difference.p, format: pText },
  { key: 'pHolm', label: 'p (Holm)', value: (c) => c.holm.p, format: pText },
  { key: 'verdict', label: 'Verdict (Holm)', value: (c) => differenceText(c.holm.verdict, c.difference.estimate, true, c.perSeed.length) },
]

/** ANOVA rows (pretext x pretraining dataset). */
export const anovaColumns: Column<AnovaRow>[] = [
  { key: 'target', label: 'Task', value: (r) => r.target },
  { key: 'protocol', label: 'Protocol', value: (r) => r.protocol },
  { key: 'metric', label: 'Metric', value: (r) => metricLabel(r.metric) },
  { key: 'source', label: 'Source', value: (r) => r.source },
  { key: 'df', label: 'df', value: (r) => r.df },
  { key: 'f', label: 'F', value: (r) => r.f, format: num },
  { key: 'p', label: 'p', value: (r) => r.p, format: pText },
  { key: 'etaSq', label: 'η²', value: (r) => r.etaSq, format: num },
]

/** Rank correlations of performance with similarity and invariance. */
export const correlationColumns: Column<Correlation>[] = [
  { key: 'target', label: 'Task', value: (c) => c.target },
  { key: 'protocol', label: 'Protocol', value: (c) => c.protocol },
  { key: 'metric', label: 'Metric', value: (c) => metricLabel(c.metric) },
  { key: 'variable', label: 'Against', value: (c) => `${c.family}: ${c.variable}` },
  { key: 'rho', label: 'ρ (Spearman) / r (partial)', value: (c) => c.rho, format: num },
  { key: 'interval', label: 'approx. 95% interval', value: (c) => rhoIntervalText(c.rho, c.n) },
  { key: 'p', label: 'p', value: (c) => c.p, format: pText },
  { key: 'pHolm', label: 'p (Holm)', value: (c) => c.pHolm, format: (v) => (v === null ? 'descriptive' : pText(v)) },
  { key: 'n', label: 'n', value: (c) => c.n, display: (c) => `${c.n} ${c.unit}s` },
]

/** Fisher-z interval of a correlation, se 1/sqrt(n - 3): only an approximation, and none below 5 units. */
export function rhoInterval(rho: number | null, n: number): [number, number] | null {
  if (rho === null || !Number.isFinite(rho) || n < 5 || Math.abs(rho) >= 1) return null
  const z = Math.atanh(rho)
  const se = 1 / Math.sqrt(n - 3)
  return [Math.tanh(z - 1.96 * se), Math.tanh(z + 1.96 * se)]
}
const rhoIntervalText = (rho: number | null, n: number) => {
  const ci = rhoInterval(rho, n)
  return ci ? formatInterval(ci[0], ci[1]) : `none (n = ${n})`
}

/** ANOVA tables flattened into rows that keep their factors (so one table sorts them all). */
export function anovaRows(tables: readonly AnovaTable[]): AnovaRow[] {
  return tables.flatMap((t) => t.rows.filter((r) => r.source !== 'total').map((r) => ({ ...r, target: t.target, protocol: t.protocol, metric: t.metric })))
}
