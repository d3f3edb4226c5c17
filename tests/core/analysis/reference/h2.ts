// H2: does fusing encoders beat the best of its members? Each fusion run is compared with the
// single-encoder runs of its members under the same protocol, target and seed, on the same test
// images (paired bootstrap). The best member is picked per metric on the validation split (the
// metrics at each run's selected epoch, summary.best.metrics), so the test images that judge the
// comparison did not also choose the member. Where a member lacks that validation value, the pick
// falls back to the test set, which favours the member (a "better" verdict stays conservative);
// `selectedBy` says which was used. With two or more seeds the difference of seed means comes from
// the paired test across seeds (stats/hierarchical.ts seedPairedDifference), so training
// randomness enters the interval, its between-seed variance pooled over all fusion comparisons of a
// metric (poolSeedVariance); with one seed it covers test-set sampling only (and the verdict is
// "not testable").
import type { FusionComparison } from '../../../../src-core/api/results.ts'
import type { LoadedRun } from '../../../../src-core/analysis/collect.ts'
import { cellKindOf, orNull } from './cells.ts'
import { differenceInterval, holmAdjust, pairedDifference, verdictOf, type BootstrapOptions, type PairedDifference, type Verdict } from './stats/bootstrap.ts'
import { poolSeedVariance, seedPairedDifference, type SeedPairedDifference } from './stats/hierarchical.ts'
import { computeMetric, METRIC_NAMES, type MetricName } from './stats/metrics.ts'

interface Pairing {
  seed: number
  fusion: LoadedRun
  best: LoadedRun
  fusionValue: number
  memberValue: number
  selectedBy: 'validation' | 'test'
}

/** A run's validation value of `metric` at its selected epoch, when the worker reported one. */
export function validationValue(l: LoadedRun, metric: MetricName): number | null {
  const best = l.run.summary?.best as { metrics?: Record<string, unknown> } | null | undefined
  const v = best?.metrics?.[metric]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

function differenceOut(d: PairedDifference) {
  return { estimate: orNull(d.estimate), lo: orNull(d.lo), hi: orNull(d.hi), verdict: d.verdict, p: orNull(d.p) }
}

/** The difference of seed means: the paired test across seeds, with the verdict of its interval
 *  (with several seeds also the seed spread, test-set variance and seeds that poolAcrossFamily uses). */
export function acrossSeeds(k: number, n: number, clusters: number[][], diffOf: (seed: number, rows: readonly number[]) => number, opts: BootstrapOptions): PairedDifference & Partial<SeedPairedDifference> {
  if (k === 1) return differenceInterval(n, clusters, (rows) => diffOf(0, rows), opts)
  const d = seedPairedDifference(k, n, clusters, diffOf, opts)
  return { ...d, verdict: verdictOf(d.lo, d.hi) }
}

/** Issue 24: the differences of one family with the between-seed variance pooled over all of them
 *  (stats/hierarchical.ts poolSeedVariance); one-seed differences pass unchanged. */
export function poolAcrossFamily<T extends PairedDifference & Partial<SeedPairedDifference>>(ds: readonly T[], level: number): T[] {
  const full = ds.map((d) => (d.k !== undefined && d.seedVar !== undefined && d.patientVar !== undefined ? (d as T & SeedPairedDifference) : null))
  const pooled = poolSeedVariance(full.filter((d): d is T & SeedPairedDifference => d !== null), level)
  let i = 0
  return ds.map((d, j) => (full[j] ? { ...pooled[i++]!, verdict: verdictOf(pooled[i - 1]!.lo, pooled[i - 1]!.hi) } : d))
}

/** Holm's correction within each metric: all fusion comparisons of the study form one family. */
function withHolm(comparisons: Omit<FusionComparison, 'holm'>[], level: number): FusionComparison[] {
  const adjusted = new Map<object, number>()
  for (const metric of METRIC_NAMES) {
    const family = comparisons.filter((c) => c.metric === metric)
    holmAdjust(family.map((c) => c.difference.p ?? NaN)).forEach((p, i) => adjusted.set(family[i]!, p))
  }
  return comparisons.map((c) => {
    const p = adjusted.get(c)!
    const verdict: Verdict = !(p < 1 - level) ? 'no evidence' : (c.difference.estimate ?? 0) > 0 ? 'better' : 'worse'
    return { ...c, holm: { p: orNull(p), verdict } }
  })
}

/** Fusion vs best single member for every fusion set, mode, target and metric. */
export function fusionComparisons(runs: readonly LoadedRun[], clusters: number[][], opts: BootstrapOptions, warnings: string[], metrics: readonly MetricName[] = METRIC_NAMES): FusionComparison[] {
  const fusions = runs.filter((l) => cellKindOf(l.run) === 'fusion')
  const singles = runs.filter((l) => cellKindOf(l.run) === 'single')
  const groups = new Map<string, LoadedRun[]>()
  for (const f of fusions) {
    const mode = f.run.fusionMode ?? f.run.protocol ?? ''
    const key = `${f.run.target}|${mode}|${f.run.encoders.join('+')}`
    groups.set(key, [...(groups.get(key) ?? []), f])
  }
  const out: Omit<FusionComparison, 'holm'>[] = []
  const raw: { out: Omit<FusionComparison, 'holm'>; d: PairedDifference & Partial<SeedPairedDifference> }[] = []
  for (const [key, members] of groups) {
    const [target, mode] = key.split('|') as [string, string]
    const encoders = members[0]!.run.encoders
    for (const metric of metrics) {
      const pairings: Pairing[] = []
      for (const f of members.sort((a, b) => a.run.seed - b.run.seed)) {
        const candidates = singles.filter((s) => s.run.target === target && s.run.protocol === mode && s.run.seed === f.run.seed && encoders.includes(s.run.encoders[0]!))
        if (candidates.length < encoders.length) {
          if (metric === metrics[0]) warnings.push(`${f.run.name}: ${encoders.length - candidates.length} of its members have no finished ${mode} run with seed ${f.run.seed}; it is compared with the members that do.`)
          if (!candidates.length) continue
        }
        const all = f.pred.targets.map((_, i) => i)
        const scored = candidates.map((c) => ({ c, v: computeMetric(c.pred, metric, all), val: validationValue(c, metric) })).filter((x) => Number.isFinite(x.v))
        if (!scored.length) continue
        const byValidation = scored.every((x) => x.val !== null)
        const rank = (x: (typeof scored)[number]) => (byValidation ? x.val! : x.v)
        const best = scored.reduce((a, b) => (rank(b) > rank(a) ? b : a))
        pairings.push({ seed: f.run.seed, fusion: f, best: best.c, fusionValue: computeMetric(f.pred, metric, all), memberValue: best.v, selectedBy: byValidation ? 'validation' : 'test' })
      }
      if (!pairings.length) continue
      const n = pairings[0]!.fusion.pred.targets.length
      const perSeed = pairings.map((p) => {
        const d = pairedDifference(n, clusters, (rows) => computeMetric(p.fusion.pred, metric, rows), (rows) => computeMetric(p.best.pred, metric, rows), opts)
        return {
          seed: p.seed,
          fusionRunId: p.fusion.run.id,
          bestMember: p.best.run.encoders[0]!,
          memberRunId: p.best.run.id,
          selectedBy: p.selectedBy,
          fusion: orNull(p.fusionValue),
          member: orNull(p.memberValue),
          difference: differenceOut(d),
        }
      })
      if (pairings.length === 1) out.push({ target, mode, encoders, metric: metric satisfies MetricName, difference: perSeed[0]!.difference, perSeed })
      else raw.push({ out: { target, mode, encoders, metric: metric satisfies MetricName, difference: perSeed[0]!.difference, perSeed }, d: acrossSeeds(pairings.length, n, clusters, (s, rows) => computeMetric(pairings[s]!.fusion.pred, metric, rows) - computeMetric(pairings[s]!.best.pred, metric, rows), opts) })
    }
  }
  // With several seeds the between-seed variance is pooled over the comparisons of each metric.
  for (const metric of metrics) {
    const family = raw.filter((r) => r.out.metric === metric)
    poolAcrossFamily(family.map((r) => r.d), opts.level).forEach((d, i) => out.push({ ...family[i]!.out, difference: differenceOut(d) }))
  }
  return withHolm(out, opts.level).sort((a, b) => a.target.localeCompare(b.target) || a.mode.localeCompare(b.mode) || a.encoders.join().localeCompare(b.encoders.join()) || a.metric.localeCompare(b.metric))
}
