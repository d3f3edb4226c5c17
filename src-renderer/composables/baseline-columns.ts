// Columns of the baseline tables: the reference rows every pretext encoder has to beat (a frozen
// random-init network, encoders the user imported), and the plain ensemble beside each fusion set
// (the average of its members' probabilities), so "fusion beats its best member" can be told apart
// from "more models beat one".
import { formatMetric } from './format.ts'
import { formatInterval } from './results-overview.ts'
import type { Column } from './runs-table.ts'
import { differenceText, signed } from './verdict-words.ts'

/** One baseline row (results.analysis baselines[]). */
export interface BaselineRow {
  /** Downstream target. */
  target: string
  /** Protocol. */
  protocol: string
  /** Encoder label (`random-init`, or the reference encoder's name). */
  encoder: string
  /** Which kind of baseline. */
  kind: 'random-init' | 'reference' | 'supervised'
  /** Test ROC-AUC. */
  auc: number | null
  /** 95% interval. */
  lo: number | null
  /** Upper bound. */
  hi: number | null
}

/** One fusion set with its ensemble baseline (results.analysis ensembles[]). */
export interface EnsembleRow {
  /** Downstream target. */
  target: string
  /** Fusion mode. */
  mode: string
  /** Member encoder labels. */
  members: string[]
  /** The fusion run(s). */
  fusion: { auc: number | null; lo: number | null; hi: number | null; runIds?: string[] }
  /** The average of the members' probabilities. */
  ensemble: { auc: number | null; lo: number | null; hi: number | null }
  /** The best single member. */
  bestMember: { encoder: string; auc: number | null }
  /** Fusion minus ensemble, paired on the same resamples. */
  fusionMinusEnsemble: { diff: number | null; lo: number | null; hi: number | null }
}

const KIND_WORDS: Record<BaselineRow['kind'], string> = { supervised: 'supervised reference (trained on the pretraining labels)', 'random-init': 'random-init (frozen random ResNet-18)', reference: 'reference encoder' }

/** Baseline rows: marked as baselines, with the interval. */
export const baselineColumns: Column<BaselineRow>[] = [
  { key: 'kind', label: 'Baseline', value: (b) => KIND_WORDS[b.kind] },
  { key: 'encoder', label: 'Encoder', value: (b) => b.encoder },
  { key: 'target', label: 'Task', value: (b) => b.target },
  { key: 'protocol', label: 'Protocol', value: (b) => b.protocol },
  { key: 'auc', label: 'ROC-AUC', value: (b) => b.auc, format: (v) => formatMetric(typeof v === 'number' ? v : null) },
  { key: 'interval', label: '95% interval', value: (b) => formatInterval(b.lo, b.hi) },
]

/** Does the fusion-minus-ensemble interval exclude 0, and which way? */
export function ensembleVerdict(e: EnsembleRow): 'fusion better' | 'ensemble better' | 'no evidence' {
  const d = e.fusionMinusEnsemble
  if (d.lo !== null && d.lo > 0) return 'fusion better'
  if (d.hi !== null && d.hi < 0) return 'ensemble better'
  return 'no evidence'
}

/** Each fusion set beside its ensemble baseline and best member. */
export const ensembleColumns: Column<EnsembleRow>[] = [
  { key: 'set', label: 'Fusion set', value: (e) => e.members.join(' + ') },
  { key: 'target', label: 'Task', value: (e) => e.target },
  { key: 'mode', label: 'Mode', value: (e) => e.mode },
  { key: 'fusion', label: 'Fusion', value: (e) => e.fusion.auc, display: (e) => `${formatMetric(e.fusion.auc)} ${formatInterval(e.fusion.lo, e.fusion.hi)}` },
  { key: 'ensemble', label: 'Ensemble (mean of members)', value: (e) => e.ensemble.auc, display: (e) => `${formatMetric(e.ensemble.auc)} ${formatInterval(e.ensemble.lo, e.ensemble.hi)}` },
  { key: 'best', label: 'Best member', value: (e) => e.bestMember.auc, display: (e) => `${formatMetric(e.bestMember.auc)} (${e.bestMember.encoder})` },
  { key: 'diff', label: 'Fusion − ensemble', value: (e) => e.fusionMinusEnsemble.diff, display: (e) => `${formatMetric(e.fusionMinusEnsemble.diff)} ${formatInterval(e.fusionMinusEnsemble.lo, e.fusionMinusEnsemble.hi)}` },
  // Descriptive: these differences are in no correction family, so they are never marked as findings.
  { key: 'verdict', label: 'Interval says (descriptive, uncorrected)', value: (e) => `${ensembleVerdict(e)} (${signed(e.fusionMinusEnsemble.diff)})` },
]

/** One pretext encoder minus random init (results.analysis beatsRandomInit[]). */
export interface RandomInitComparison {
  /** Downstream target. */
  target: string
  /** Protocol. */
  protocol: string
  /** The pretext encoder. */
  encoder: string
  /** Seeds both have. */
  seeds: number[]
  /** Paired difference encoder - random init of ROC-AUC. */
  difference: { estimate: number | null; lo: number | null; hi: number | null; p: number | null; verdict: string }
  /** p after Holm over every such comparison. */
  pHolm: number | null
}

const pText = (v: string | number | null) => (typeof v !== 'number' ? '—' : v < 0.001 ? '<0.001' : v.toFixed(3))

/** Pretext encoders against the frozen random-init network. */
export const randomInitColumns: Column<RandomInitComparison>[] = [
  { key: 'encoder', label: 'Encoder', value: (c) => c.encoder },
  { key: 'target', label: 'Task', value: (c) => c.target },
  { key: 'protocol', label: 'Protocol', value: (c) => c.protocol },
  { key: 'diff', label: 'Encoder − random-init [95% interval]', value: (c) => c.difference.estimate, display: (c) => `${formatMetric(c.difference.estimate)} ${formatInterval(c.difference.lo, c.difference.hi)}` },
  { key: 'p', label: 'p', value: (c) => c.difference.p, format: pText },
  { key: 'pHolm', label: 'p (Holm)', value: (c) => c.pHolm, format: pText },
  { key: 'verdict', label: 'Verdict (Holm)', value: (c) => differenceText(c.difference.verdict, c.difference.estimate, (c.pHolm ?? 1) < 0.05, c.seeds.length) },
]
