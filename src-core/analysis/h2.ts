// H2: does fusing encoders beat the best of its members? Each fusion run is compared with the
// single-encoder runs of its members under the same protocol, target and seed, on the same test
// images (paired bootstrap). The best member is picked on the full test set per metric, which
// favours the member: a "better" verdict for fusion is therefore conservative.
import type { FusionComparison } from '../api/results.ts'
import type { LoadedRun } from './collect.ts'
import { cellKindOf, orNull } from './cells.ts'
import { bootstrapInterval, pairedDifference, verdictOf, type BootstrapOptions } from './stats/bootstrap.ts'
import { computeMetric, METRIC_NAMES, type MetricName } from './stats/metrics.ts'
import { mean } from './stats/describe.ts'

interface Pairing {
  seed: number
  fusion: LoadedRun
  best: LoadedRun
  fusionValue: number
  memberValue: number
}

/** Fusion vs best single member for every fusion set, mode, target and metric. */
export function fusionComparisons(runs: readonly LoadedRun[], clusters: number[][], opts: BootstrapOptions, warnings: string[]): FusionComparison[] {
  const fusions = runs.filter((l) => cellKindOf(l.run) === 'fusion')
  const singles = runs.filter((l) => cellKindOf(l.run) === 'single')
  const groups = new Map<string, LoadedRun[]>()
  for (const f of fusions) {
    const mode = f.run.fusionMode ?? f.run.protocol ?? ''
    const key = `${f.run.target}|${mode}|${f.run.encoders.join('+')}`
    groups.set(key, [...(groups.get(key) ?? []), f])
  }
  const out: FusionComparison[] = []
  for (const [key, members] of groups) {
    const [target, mode] = key.split('|') as [string, string]
    const encoders = members[0]!.run.encoders
    for (const metric of METRIC_NAMES) {
      const pairings: Pairing[] = []
      for (const f of members.sort((a, b) => a.run.seed - b.run.seed)) {
        const candidates = singles.filter((s) => s.run.target === target && s.run.protocol === mode && s.run.seed === f.run.seed && encoders.includes(s.run.encoders[0]!))
        if (candidates.length < encoders.length) {
          if (metric === METRIC_NAMES[0]) warnings.push(`${f.run.name}: ${encoders.length - candidates.length} of its members have no finished ${mode} run with seed ${f.run.seed}; it is compared with the members that do.`)
          if (!candidates.length) continue
        }
        const all = f.pred.targets.map((_, i) => i)
        const scored = candidates.map((c) => ({ c, v: computeMetric(c.pred, metric, all) })).filter((x) => Number.isFinite(x.v))
        if (!scored.length) continue
        const best = scored.reduce((a, b) => (b.v > a.v ? b : a))
        pairings.push({ seed: f.run.seed, fusion: f, best: best.c, fusionValue: computeMetric(f.pred, metric, all), memberValue: best.v })
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
          fusion: orNull(p.fusionValue),
          member: orNull(p.memberValue),
          difference: { estimate: orNull(d.estimate), lo: orNull(d.lo), hi: orNull(d.hi), verdict: d.verdict },
        }
      })
      const pooled =
        pairings.length === 1
          ? perSeed[0]!.difference
          : (() => {
              const r = bootstrapInterval(n, clusters, (rows) => mean(pairings.map((p) => computeMetric(p.fusion.pred, metric, rows) - computeMetric(p.best.pred, metric, rows))), opts)
              return { estimate: orNull(r.estimate), lo: orNull(r.lo), hi: orNull(r.hi), verdict: verdictOf(r.lo, r.hi) }
            })()
      out.push({ target, mode, encoders, metric: metric satisfies MetricName, difference: pooled, perSeed })
    }
  }
  return out.sort((a, b) => a.target.localeCompare(b.target) || a.mode.localeCompare(b.mode) || a.encoders.join().localeCompare(b.encoders.join()) || a.metric.localeCompare(b.metric))
}
