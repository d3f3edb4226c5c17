// REFERENCE COPY of the analysis before issue 21 (commit 30d581b), kept to check that the fast
// implementation gives the same numbers. Not used by the app.
// Bootstrap confidence intervals over test images. Where images share a patient, patients are the
// resampling unit (a cluster bootstrap): a patient's images are drawn together or not at all, since
// images of one patient are not independent and resampling them singly makes intervals too narrow.
import { mulberry32 } from '../../../../../src-core/util/rng.ts'

/** Positions 0..n-1 grouped by patient (images without patients: one group per image). */
export function clustersOf(n: number, groups: readonly (number | string)[] | null): number[][] {
  if (!groups) return Array.from({ length: n }, (_, i) => [i])
  if (groups.length !== n) throw new Error(`There are ${groups.length} patient ids for ${n} test images; the patient array does not match the predictions.`)
  const byGroup = new Map<number | string, number[]>()
  groups.forEach((g, i) => {
    const list = byGroup.get(g)
    if (list) list.push(i)
    else byGroup.set(g, [i])
  })
  return [...byGroup.values()]
}

/** How a bootstrap is drawn. */
export interface BootstrapOptions {
  /** Number of resamples. */
  replicates: number
  /** Seed of the resampling; equal seeds give equal intervals. */
  seed: number
  /** Two-sided level, e.g. 0.95. */
  level: number
}

export const DEFAULT_BOOTSTRAP: BootstrapOptions = { replicates: 1000, seed: 20240607, level: 0.95 }

/** Yields `replicates` resamples: each a list of positions built from clusters drawn with replacement. */
export function* resamples(clusters: readonly number[][], opts: BootstrapOptions): Generator<number[]> {
  const rand = mulberry32(opts.seed)
  const m = clusters.length
  for (let b = 0; b < opts.replicates; b++) {
    const rows: number[] = []
    for (let j = 0; j < m; j++) for (const i of clusters[Math.floor(rand() * m)]!) rows.push(i)
    yield rows
  }
}

/** A point estimate with its percentile interval. */
export interface Interval {
  /** The statistic on all images. */
  estimate: number
  /** Lower bound (NaN when no resample gave a finite value). */
  lo: number
  /** Upper bound. */
  hi: number
  /** Resamples whose statistic was finite (AUC is undefined when a resample lacks a class). */
  valid: number
}

/** Linear-interpolated quantile of sorted values (numpy's default "linear" method). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
}

function percentile(values: number[], level: number): { lo: number; hi: number; valid: number } {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b)
  const tail = (1 - level) / 2
  return { lo: quantileSorted(finite, tail), hi: quantileSorted(finite, 1 - tail), valid: finite.length }
}

/** `stat` on all n positions and on every resample. */
function bootstrapValues(n: number, clusters: readonly number[][], stat: (rows: readonly number[]) => number, opts: BootstrapOptions): { estimate: number; values: number[] } {
  const values: number[] = []
  for (const rows of resamples(clusters, opts)) values.push(stat(rows))
  return { estimate: stat(Array.from({ length: n }, (_, i) => i)), values }
}

/** Percentile bootstrap interval of `stat` (a function of the resampled positions). */
export function bootstrapInterval(
  n: number,
  clusters: readonly number[][],
  stat: (rows: readonly number[]) => number,
  opts: BootstrapOptions = DEFAULT_BOOTSTRAP,
): Interval {
  const { estimate, values } = bootstrapValues(n, clusters, stat, opts)
  return { estimate, ...percentile(values, opts.level) }
}

/** Several statistics computed together on each resample (one call per resample), e.g. every metric of a run. */
export function bootstrapIntervals<K extends string>(
  n: number,
  clusters: readonly number[][],
  stats: (rows: readonly number[]) => Record<K, number>,
  opts: BootstrapOptions = DEFAULT_BOOTSTRAP,
): Record<K, Interval> {
  const all = Array.from({ length: n }, (_, i) => i)
  const estimate = stats(all)
  const keys = Object.keys(estimate) as K[]
  const values = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>
  for (const rows of resamples(clusters, opts)) {
    const v = stats(rows)
    for (const k of keys) values[k].push(v[k])
  }
  return Object.fromEntries(keys.map((k) => [k, { estimate: estimate[k], ...percentile(values[k], opts.level) }])) as Record<K, Interval>
}

/** What a paired comparison concludes. */
export type Verdict = 'better' | 'no evidence' | 'worse'

/** A paired difference a - b on the same resamples, with its interval and verdict. */
export interface PairedDifference extends Interval {
  /** `better` when the whole interval is above 0, `worse` when below, else `no evidence`. */
  verdict: Verdict
  /** Two-sided bootstrap p-value for "no difference" (see bootstrapPValue). */
  p: number
}

/**
 * Two-sided bootstrap p-value for a difference of 0: twice the smaller share of resampled
 * differences on either side of 0, with the +1 correction that keeps it above 0 for a finite number
 * of resamples ((k + 1) / (B + 1)), capped at 1. It agrees with the percentile interval: p < 1 -
 * level roughly when that interval excludes 0.
 */
export function bootstrapPValue(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite)
  if (!finite.length) return NaN
  const below = finite.filter((v) => v <= 0).length
  const above = finite.filter((v) => v >= 0).length
  return Math.min(1, (2 * Math.min(below, above) + 1) / (finite.length + 1))
}

/**
 * Holm's step-down adjustment of a family of p-values (controls the family-wise error rate).
 * NaN p-values are left out of the family and stay NaN. Returns adjusted values in input order.
 */
export function holmAdjust(ps: readonly number[]): number[] {
  const order = ps.map((p, i) => ({ p, i })).filter((x) => Number.isFinite(x.p)).sort((a, b) => a.p - b.p)
  const m = order.length
  const out = ps.map(() => NaN)
  let running = 0
  order.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p))
    out[i] = running
  })
  return out
}

/** Verdict of an interval for a difference: only an interval that excludes 0 is evidence. */
export function verdictOf(lo: number, hi: number): Verdict {
  if (lo > 0) return 'better'
  if (hi < 0) return 'worse'
  return 'no evidence'
}

/**
 * Paired bootstrap of statA - statB: both statistics see the very same resampled images, so the
 * image-to-image variation they share cancels out of the difference.
 */
export function pairedDifference(
  n: number,
  clusters: readonly number[][],
  statA: (rows: readonly number[]) => number,
  statB: (rows: readonly number[]) => number,
  opts: BootstrapOptions = DEFAULT_BOOTSTRAP,
): PairedDifference {
  return differenceInterval(n, clusters, (rows) => statA(rows) - statB(rows), opts)
}

/** Interval, verdict and bootstrap p-value of a statistic that is itself a difference. */
export function differenceInterval(n: number, clusters: readonly number[][], diff: (rows: readonly number[]) => number, opts: BootstrapOptions = DEFAULT_BOOTSTRAP): PairedDifference {
  const { estimate, values } = bootstrapValues(n, clusters, diff, opts)
  const r = { estimate, ...percentile(values, opts.level) }
  return { ...r, verdict: verdictOf(r.lo, r.hi), p: bootstrapPValue(values) }
}
