// The baselines below the pretext encoders (issue 15): the frozen random-init ResNet-18, the
// reference encoders a user imported and the supervised reference (issue 24: the same ResNet-18
// trained with a pretraining set's own labels under the pretext budget). They are shown beside the pretext cells, never as cells of
// H1 (whose factors are pretext task x pretraining dataset), and every pretext encoder is compared
// with the random-init encoder of the same target, protocol and seeds: the paired difference
// encoder - random-init on the same resamples (the paired test across seeds with two or more, the
// between-seed variance pooled over all these comparisons), one
// Holm family over all these comparisons of the study, as the beats-scratch comparisons are corrected
// over their targets.
import type { BaselineOut, RandomInitComparisonOut, ResultCell } from '../../../../src-core/api/results.ts'
import type { ResultRun } from '../../../../src-core/store/results.ts'
import type { LoadedRun } from '../../../../src-core/analysis/collect.ts'
import { acrossSeeds, poolAcrossFamily } from './h2.ts'
import { orNull } from './cells.ts'
import { holmAdjust, type BootstrapOptions } from './stats/bootstrap.ts'
import { computeMetric } from './stats/metrics.ts'
import { PRIMARY_METRIC } from '../../../../src-core/analysis/verdict-rules.ts'

/** Label of the random-init encoder in run encoders (study/planner.ts RANDOM_INIT_LABEL). */
export const RANDOM_INIT = 'random-init'

/** Prefix of the supervised reference's label (study/planner.ts SUPERVISED_PREFIX). */
export const SUPERVISED = 'supervised/'

/** What kind of encoder a label names. */
export type EncoderKind = 'pretext' | 'random-init' | 'reference' | 'supervised'

/** pretext (`rotation/demo-mammo`), random-init, reference (`ref:<name>`) or the supervised reference (`supervised/<dataset>`). */
export function encoderKindOf(label: string): EncoderKind {
  if (label === RANDOM_INIT) return 'random-init'
  if (label.startsWith('ref:')) return 'reference'
  if (label.startsWith(SUPERVISED)) return 'supervised'
  return 'pretext'
}

/** The share of train labels a downstream run used (1 unless its spec asked for fewer). */
export function labelFractionOf(run: Pick<ResultRun, 'spec'>): number {
  const f = run.spec?.params?.label_fraction
  return typeof f === 'number' && f > 0 && f < 1 ? f : 1
}

/** A single-encoder run or cell whose encoder is a baseline (random-init or reference). */
export function isBaselineEncoder(encoders: readonly string[]): boolean {
  return encoders.length === 1 && encoderKindOf(encoders[0]!) !== 'pretext'
}

/** A cell or run that H1 may use: single-encoder on a pretext encoder (or scratch). */
export function isPretextOrScratch(encoders: readonly string[]): boolean {
  return encoders.every((e) => encoderKindOf(e) === 'pretext')
}

/** The baseline rows: every random-init, reference and supervised-reference cell at fraction 1, with its
 *  ROC-AUC interval; the supervised reference rows first (the reference every SSL paper reports). */
export function baselineRows(cells: readonly ResultCell[]): BaselineOut[] {
  return cells
    .filter((c) => c.kind === 'single' && isBaselineEncoder(c.encoders))
    .map((c) => {
      const m = c.metrics[PRIMARY_METRIC]
      return { target: c.target, protocol: c.protocol, encoder: c.encoders[0]!, kind: encoderKindOf(c.encoders[0]!) as BaselineOut['kind'], auc: m?.mean ?? null, lo: m?.lo ?? null, hi: m?.hi ?? null, runIds: c.runIds }
    })
    .sort((a, b) => Number(b.kind === 'supervised') - Number(a.kind === 'supervised'))
}

/** Every pretext encoder minus the random-init encoder of the same target and protocol, paired by seed; Holm over all of them. */
export function randomInitComparisons(runs: readonly LoadedRun[], clusters: number[][], opts: BootstrapOptions): RandomInitComparisonOut[] {
  const single = runs.filter((l) => l.run.encoders.length === 1 && !l.run.fusionMode && l.run.protocol !== 'scratch')
  const key = (l: LoadedRun) => `${l.run.target}|${l.run.protocol}`
  const random = new Map<string, Map<number, LoadedRun>>()
  for (const l of single.filter((x) => x.run.encoders[0] === RANDOM_INIT)) {
    if (!random.has(key(l))) random.set(key(l), new Map())
    random.get(key(l))!.set(l.run.seed, l)
  }
  const groups = new Map<string, LoadedRun[]>()
  for (const l of single.filter((x) => encoderKindOf(x.run.encoders[0]!) === 'pretext' && random.has(key(x)))) {
    const g = `${key(l)}|${l.run.encoders[0]}`
    groups.set(g, [...(groups.get(g) ?? []), l])
  }
  const raw: { target: string; protocol: string; encoder: string; seeds: number[]; d: ReturnType<typeof acrossSeeds> }[] = []
  for (const [g, members] of groups) {
    const [target, protocol, encoder] = g.split('|') as [string, string, string]
    const base = random.get(`${target}|${protocol}`)!
    const pairs = members.filter((l) => base.has(l.run.seed)).sort((a, b) => a.run.seed - b.run.seed)
    if (!pairs.length) continue
    const n = pairs[0]!.pred.targets.length
    const d = acrossSeeds(pairs.length, n, clusters, (s, rows) => computeMetric(pairs[s]!.pred, PRIMARY_METRIC, rows) - computeMetric(base.get(pairs[s]!.run.seed)!.pred, PRIMARY_METRIC, rows), opts)
    raw.push({ target, protocol, encoder, seeds: pairs.map((l) => l.run.seed), d })
  }
  // With several seeds the between-seed variance is pooled over every comparison of the family (issue 24).
  const pooled = poolAcrossFamily(raw.map((r) => r.d), opts.level)
  const out: Omit<RandomInitComparisonOut, 'pHolm'>[] = raw.map(({ d: _, ...r }, i) => {
    const d = pooled[i]!
    return { ...r, difference: { estimate: orNull(d.estimate), lo: orNull(d.lo), hi: orNull(d.hi), verdict: d.verdict, p: orNull(d.p) } }
  })
  const adjusted = holmAdjust(out.map((c) => c.difference.p ?? NaN))
  return out.map((c, i) => ({ ...c, pHolm: orNull(adjusted[i]) })).sort((a, b) => a.target.localeCompare(b.target) || a.protocol.localeCompare(b.protocol) || a.encoder.localeCompare(b.encoder))
}
