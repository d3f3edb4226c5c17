// Uncertainty that includes training randomness. A cell's runs differ only by seed, and every seed
// predicts the same test images, so two things vary: which models training happened to produce
// (seeds) and which patients the test set happened to hold. The hierarchical bootstrap resamples
// both, seeds first and then patients (Davison & Hinkley 1997, section 3.8, two-stage sampling):
// each replicate draws k of the k seeds with replacement and one patient resample shared by every
// drawn seed (they are scored on the same images). With one seed it is the patient bootstrap.
import { mulberry32 } from '../../../../../src-core/util/rng.ts'
import { quantileSorted, type BootstrapOptions, type Interval } from './bootstrap.ts'
import { tTwoSided } from '../../../../../src-core/analysis/stats/distributions.ts'

/** One replicate: seed positions (0..k-1, with repeats) and test positions built from drawn clusters. */
export interface HierarchicalResample {
  /** Drawn seed positions. */
  seeds: number[]
  /** Drawn test positions (a patient's images together). */
  rows: number[]
}

/**
 * Yields `replicates` hierarchical resamples. With one seed the random stream is exactly that of
 * the patient bootstrap (`resamples`), so one-seed intervals do not change.
 */
export function* hierarchicalResamples(nSeeds: number, clusters: readonly number[][], opts: BootstrapOptions): Generator<HierarchicalResample> {
  const rand = mulberry32(opts.seed)
  const m = clusters.length
  for (let b = 0; b < opts.replicates; b++) {
    const seeds = nSeeds === 1 ? [0] : Array.from({ length: nSeeds }, () => Math.floor(rand() * nSeeds))
    const rows: number[] = []
    for (let j = 0; j < m; j++) for (const i of clusters[Math.floor(rand() * m)]!) rows.push(i)
    yield { seeds, rows }
  }
}

/**
 * Percentile intervals of the seed mean of several statistics: estimate = mean over seeds of
 * `stats(s, all)`, replicate = mean over the drawn seeds of `stats(s, rows)`.
 */
export function hierarchicalIntervals<K extends string>(
  nSeeds: number,
  n: number,
  clusters: readonly number[][],
  stats: (seed: number, rows: readonly number[]) => Record<K, number>,
  opts: BootstrapOptions,
): Record<K, Interval> {
  const all = Array.from({ length: n }, (_, i) => i)
  const perSeed = Array.from({ length: nSeeds }, (_, s) => stats(s, all))
  const keys = Object.keys(perSeed[0]!) as K[]
  const meanOf = (rs: Record<K, number>[], k: K) => rs.reduce((acc, r) => acc + r[k], 0) / rs.length
  const values = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>
  for (const { seeds, rows } of hierarchicalResamples(nSeeds, clusters, opts)) {
    // A seed drawn twice is scored once: its statistic on these rows is the same.
    const cache = new Map<number, Record<K, number>>()
    const drawn = seeds.map((s) => cache.get(s) ?? cache.set(s, stats(s, rows)).get(s)!)
    for (const k of keys) values[k].push(meanOf(drawn, k))
  }
  const tail = (1 - opts.level) / 2
  return Object.fromEntries(
    keys.map((k) => {
      const finite = values[k].filter(Number.isFinite).sort((a, b) => a - b)
      return [k, { estimate: meanOf(perSeed, k), lo: quantileSorted(finite, tail), hi: quantileSorted(finite, 1 - tail), valid: finite.length }]
    }),
  ) as Record<K, Interval>
}

/** The t quantile: the t with two-sided tail probability `p` at `df` degrees of freedom (bisection). */
export function tQuantileTwoSided(p: number, df: number): number {
  let lo = 0
  let hi = 1e3
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2
    if (tTwoSided(mid, df) > p) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

/** A paired difference across seeds. */
export interface SeedPairedDifference extends Interval {
  /** Two-sided p for no difference. */
  p: number
  /** Standard error of the seed-mean difference. */
  se: number
  /** Degrees of freedom of the t reference (k - 1; with pooling, the family's sum of k - 1). */
  df: number
  /** Seeds. */
  k: number
  /** Sample variance of the per-seed differences (the between-seed training noise of a - b). */
  seedVar: number
  /** Patient-bootstrap variance of the seed-mean difference (test-set sampling). */
  patientVar: number
}

/**
 * Issue 24: the between-seed variance pooled over a family of comparisons. With 3 seeds each
 * comparison's own seed spread has 2 degrees of freedom, and the paired t test found a planted
 * +0.15 ROC-AUC in no simulated study. Retraining noise is a property of the training recipe, not of
 * one comparison, so it is estimated from all of them together: the pooled residual variance
 * s^2 = sum_c (k_c - 1) seedVar_c / sum_c (k_c - 1), with sum_c (k_c - 1) degrees of freedom (the
 * residual of a model with one mean per comparison and seed as the replicate). Each comparison keeps
 * its own mean and test-set variance: se_c = sqrt(s^2 / k_c + patientVar_c), t reference with the
 * pooled degrees of freedom. Comparisons with one seed are returned unchanged.
 */
export function poolSeedVariance<T extends SeedPairedDifference>(ds: readonly T[], level: number): T[] {
  const several = ds.filter((d) => d.k >= 2 && Number.isFinite(d.seedVar))
  const df = several.reduce((a, d) => a + d.k - 1, 0)
  if (several.length < 2 || df < 1) return [...ds]
  const pooled = several.reduce((a, d) => a + (d.k - 1) * d.seedVar, 0) / df
  const q = tQuantileTwoSided(1 - level, df)
  return ds.map((d) => {
    if (!(d.k >= 2 && Number.isFinite(d.seedVar))) return d
    const se = Math.sqrt(pooled / d.k + d.patientVar)
    const mean = d.estimate
    if (!(se > 0) || !Number.isFinite(mean)) return { ...d, df, se: 0, seedVar: pooled }
    return { ...d, lo: mean - q * se, hi: mean + q * se, p: tTwoSided(mean / se, df), se, df, seedVar: pooled }
  })
}

/**
 * The paired test across seeds for a - b, both scored per seed on the same test images. The seed
 * mean difference d has variance (seed spread)/k + (test-set sampling): the first is the sample
 * variance of the per-seed differences over k, the second the patient-bootstrap variance of d with
 * the seeds fixed. The first also holds part of the second, so the sum errs on the wide side. The
 * reference is Student's t with k - 1 degrees of freedom, as for a paired t test over the seeds:
 * with few seeds the seed spread is itself known only roughly, and a simulation with 3 seeds showed
 * Welch-Satterthwaite degrees of freedom (towards the patients) claiming too often. Needs k >= 2;
 * with one seed use the patient bootstrap (differenceInterval).
 */
export function seedPairedDifference(
  k: number,
  n: number,
  clusters: readonly number[][],
  diffOf: (seed: number, rows: readonly number[]) => number,
  opts: BootstrapOptions,
): SeedPairedDifference {
  if (k < 2) throw new Error('seedPairedDifference needs two or more seeds')
  const all = Array.from({ length: n }, (_, i) => i)
  const d = Array.from({ length: k }, (_, s) => diffOf(s, all))
  const mean = d.reduce((a, b) => a + b, 0) / k
  const seedVar = d.reduce((a, x) => a + (x - mean) ** 2, 0) / (k - 1)
  const boot: number[] = []
  const rand = mulberry32(opts.seed)
  const m = clusters.length
  for (let b = 0; b < opts.replicates; b++) {
    const rows: number[] = []
    for (let j = 0; j < m; j++) for (const i of clusters[Math.floor(rand() * m)]!) rows.push(i)
    let s = 0
    for (let t = 0; t < k; t++) s += diffOf(t, rows)
    boot.push(s / k)
  }
  const finite = boot.filter(Number.isFinite)
  const bm = finite.reduce((a, b) => a + b, 0) / Math.max(1, finite.length)
  const patientVar = finite.length > 1 ? finite.reduce((a, x) => a + (x - bm) ** 2, 0) / (finite.length - 1) : 0
  const se = Math.sqrt(seedVar / k + patientVar)
  const df = k - 1
  if (!(se > 0) || !Number.isFinite(mean)) return { estimate: mean, lo: mean, hi: mean, valid: finite.length, p: Number.isFinite(mean) && mean !== 0 ? 0 : 1, se: 0, df, k, seedVar, patientVar }
  const q = tQuantileTwoSided(1 - opts.level, df)
  return { estimate: mean, lo: mean - q * se, hi: mean + q * se, valid: finite.length, p: tTwoSided(mean / se, df), se, df, k, seedVar, patientVar }
}
