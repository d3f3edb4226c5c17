// H1: does domain similarity explain transfer, or does the invariance a pretext task induces matter
// as much or more? Each question is tested at the level where its factor varies:
// - similarity has one value per pretraining dataset, so it is correlated with the dataset's mean
//   performance over pretext tasks (n = number of datasets, exact permutation p); with 3 datasets
//   no p can reach 0.05 and the relation is descriptive (the points are shown);
// - the pretext task is tested on cell means (seed means) with the pretraining dataset as a random
//   effect: F = MS(pretext) / MS(pretext x dataset), the mixed-model test of a fixed effect;
// - invariance varies per encoder, so it is correlated over encoders as a partial correlation
//   given the pretraining dataset, so a dataset-level effect cannot pass as an invariance effect.
// All correlations of the primary metric that can reach the level at all form one Holm family
// (Tarone 1990: a test whose smallest possible p is above alpha can never reject, so it is left
// out of the family instead of diluting it; with 3 datasets that is every similarity test).
import type { AnovaTable, Correlation, ResultCell, StudyAnalysis } from '../api/results.ts'
import type { ResultRun } from '../store/results.ts'
import { RANDOM_INIT_LABEL } from '../study/planner.ts'
import type { LoadedRun } from './collect.ts'
import { cellKindOf, orNull } from './cells.ts'
import { twoWayAnova } from './stats/anova.ts'
import { holmAdjust } from './stats/bootstrap.ts'
import { mean } from './stats/describe.ts'
import { computeMetrics, METRIC_NAMES } from './stats/metrics.ts'
import { partialCorrelation } from './stats/partial-correlation.ts'
import { spearmanPermutation } from './stats/permutation.ts'
import { ALPHA, PRIMARY_METRIC } from './verdict-rules.ts'

type H1 = StudyAnalysis['h1']

/** The three similarity distances the probe reports. */
export const SIMILARITY_VARIABLES = ['frechet', 'histogram_l1', 'spectrum_l2'] as const

const val = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null)

/** The newest done similarity probe. */
function similarityProbe(probes: readonly ResultRun[]): ResultRun | undefined {
  return probes.filter((p) => p.summary && typeof p.summary.similarity === 'object').at(-1)
}

/** The noise floor: distances between two disjoint samples of the downstream set. */
export function similarityFloor(probes: readonly ResultRun[]): H1['similarityFloor'] {
  const ref = similarityProbe(probes)?.summary?.reference_self as Record<string, unknown> | undefined
  if (!ref || typeof ref !== 'object') return null
  return { frechet: val(ref.frechet), histogram_l1: val(ref.histogram_l1), spectrum_l2: val(ref.spectrum_l2) }
}

/** Similarity rows from the newest done similarity probe, each distance marked above or within the floor. */
export function similarityRows(probes: readonly ResultRun[]): H1['similarity'] {
  const sim = similarityProbe(probes)
  if (!sim) return []
  const floor = similarityFloor(probes)
  const table = sim.summary!.similarity as Record<string, Record<string, unknown>>
  return Object.entries(table)
    .map(([dataset, v]) => {
      const row = { dataset, frechet: val(v.frechet), histogram_l1: val(v.histogram_l1), spectrum_l2: val(v.spectrum_l2) }
      const aboveFloor: Record<string, boolean> = {}
      for (const k of SIMILARITY_VARIABLES) {
        const f = floor?.[k]
        if (row[k] !== null && f !== null && f !== undefined) aboveFloor[k] = row[k]! > f
      }
      return { ...row, aboveFloor }
    })
    .sort((a, b) => a.dataset.localeCompare(b.dataset))
}

/** Baselined invariance profiles per encoder label (the random-init reference included), averaged over seeds. */
export function invarianceRows(probes: readonly ResultRun[], warnings: string[] = []): H1['invariance'] {
  const byLabel = new Map<string, ResultRun[]>()
  let raw = 0
  for (const p of probes) {
    if (!p.summary || typeof p.summary.invariance !== 'object' || !p.encoders[0]) continue
    // Probes of engines before 0.2.0 reported raw cosines, which a shared feature component pushes
    // towards 1 for any pair of images; they cannot be compared with baselined values.
    if (p.summary.measure !== 'baselined') {
      raw++
      continue
    }
    byLabel.set(p.encoders[0], [...(byLabel.get(p.encoders[0]) ?? []), p])
  }
  if (raw) warnings.push(`${raw} invariance probe(s) report raw cosine similarity (an older engine) and are left out; plan the study again to measure baselined invariance.`)
  const rows: H1['invariance'] = []
  for (const [label, list] of byLabel) {
    const keys = new Set<string>()
    for (const p of list) for (const k of Object.keys(p.summary!.invariance as object)) keys.add(k)
    const values: Record<string, number> = {}
    for (const k of keys) {
      const xs = list.map((p) => (p.summary!.invariance as Record<string, unknown>)[k]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x))
      if (xs.length) values[k] = mean(xs)
    }
    const unrelated = list.map((p) => val(p.summary!.unrelated_cosine)).filter((x): x is number => x !== null)
    const reference = label === RANDOM_INIT_LABEL
    const [pretext = '', dataset = ''] = reference ? ['', ''] : label.split('/')
    const split = String(list[0]!.summary!.split ?? 'val')
    rows.push({ encoder: label, pretext, dataset, seeds: list.map((p) => p.seed).sort((a, b) => a - b), values, reference, unrelatedCosine: orNull(mean(unrelated)), split })
  }
  // The reference row last, so it reads as the baseline under the encoders.
  return rows.sort((a, b) => Number(a.reference) - Number(b.reference) || a.encoder.localeCompare(b.encoder))
}

/** The H1 task test of one setting: cell means, pretext against the pretext x dataset interaction. */
function pretextTest(obs: { a: string; b: string; y: number }[]): AnovaTable['pretextTest'] {
  const cells = new Map<string, { a: string; b: string; ys: number[] }>()
  for (const o of obs) {
    const k = `${o.a}\u0000${o.b}`
    cells.set(k, { a: o.a, b: o.b, ys: [...(cells.get(k)?.ys ?? []), o.y] })
  }
  const means = [...cells.values()].map((c) => ({ a: c.a, b: c.b, y: mean(c.ys) }))
  const r = twoWayAnova(means, { a: 'pretext', b: 'dataset' })
  const row = r.rows[0]!
  const err = r.rows.find((x) => x.source.startsWith('error'))!
  return { f: orNull(row.f), df1: row.df, df2: err.df, p: orNull(row.p), pHolm: null, etaSq: orNull(row.etaSq) }
}

/** ANOVA per target x protocol x metric on the single-encoder runs, using the seeds every cell has. */
export function anovaTables(runs: readonly LoadedRun[], warnings: string[]): AnovaTable[] {
  const singles = runs.filter((l) => cellKindOf(l.run) === 'single')
  const settings = [...new Set(singles.map((l) => `${l.run.target}|${l.run.protocol}`))].sort()
  const tables: AnovaTable[] = []
  for (const setting of settings) {
    const [target, protocol] = setting.split('|') as [string, string]
    const group = singles.filter((l) => l.run.target === target && l.run.protocol === protocol)
    const cellOf = (l: LoadedRun) => `${l.run.encoders[0]}`
    const cells = [...new Set(group.map(cellOf))]
    const pretexts = [...new Set(cells.map((c) => c.split('/')[0]!))]
    const datasets = [...new Set(cells.map((c) => c.split('/')[1]!))]
    if (cells.length !== pretexts.length * datasets.length) {
      warnings.push(`ANOVA ${target} ${protocol}: only ${cells.length} of the ${pretexts.length * datasets.length} pretext x dataset cells have results, so no ANOVA was computed.`)
      continue
    }
    if (pretexts.length < 2 || datasets.length < 2) {
      warnings.push(`ANOVA ${target} ${protocol}: results exist for ${pretexts.length} pretext task(s) x ${datasets.length} pretraining dataset(s); separating the two factors needs at least two of each.`)
      continue
    }
    const seedSets = cells.map((c) => new Set(group.filter((l) => cellOf(l) === c).map((l) => l.run.seed)))
    const seeds = [...seedSets[0]!].filter((s) => seedSets.every((set) => set.has(s))).sort((a, b) => a - b)
    if (!seeds.length) {
      warnings.push(`ANOVA ${target} ${protocol}: no seed is shared by every cell, so no ANOVA was computed.`)
      continue
    }
    const used = group.filter((l) => seeds.includes(l.run.seed))
    const scores = new Map(used.map((l) => [l.run.id, computeMetrics(l.pred)]))
    for (const metric of METRIC_NAMES) {
      const obs = used.map((l) => ({ a: l.run.encoders[0]!.split('/')[0]!, b: l.run.encoders[0]!.split('/')[1]!, y: scores.get(l.run.id)![metric] }))
      if (obs.some((o) => !Number.isFinite(o.y))) continue
      tables.push(anovaTableOf(target, protocol, metric, seeds, obs))
    }
  }
  return adjustTaskTests(tables)
}

/** One ANOVA table of `metric` over pretext (a) x pretraining dataset (b); the primary metric also gets its task test. */
export function anovaTableOf(target: string, protocol: string, metric: string, seeds: number[], obs: { a: string; b: string; y: number }[]): AnovaTable {
  const r = twoWayAnova(obs, { a: 'pretext', b: 'dataset' })
  return {
    target,
    protocol,
    metric,
    seeds,
    rows: r.rows.map((x) => ({ ...x, ms: orNull(x.ms), f: orNull(x.f), p: orNull(x.p), etaSq: orNull(x.etaSq) })),
    interactionSeparated: r.interactionSeparated,
    note: r.note,
    pretextTest: metric === PRIMARY_METRIC ? pretextTest(obs) : null,
  }
}

/** Holm over the task tests of the primary metric (one family: the settings of the report). */
export function adjustTaskTests(tables: AnovaTable[]): AnovaTable[] {
  const family = tables.filter((t) => t.pretextTest)
  holmAdjust(family.map((t) => t.pretextTest!.p ?? NaN)).forEach((p, i) => (family[i]!.pretextTest!.pHolm = orNull(p)))
  return tables
}

/** Correlations of performance with similarity (dataset level) and with each invariance (encoder level). */
export function correlations(cells: readonly ResultCell[], sim: H1['similarity'], inv: H1['invariance']): Correlation[] {
  const out: Correlation[] = []
  const singles = cells.filter((c) => c.kind === 'single')
  const settings = [...new Set(singles.map((c) => `${c.target}|${c.protocol}`))].sort()
  const simByDataset = new Map(sim.map((s) => [s.dataset, s]))
  const encoders = inv.filter((i) => !i.reference)
  const invByEncoder = new Map(encoders.map((i) => [i.encoder, i.values]))
  const transforms = [...new Set(encoders.flatMap((i) => Object.keys(i.values)))].sort()
  for (const setting of settings) {
    const [target, protocol] = setting.split('|') as [string, string]
    const group = singles.filter((c) => c.target === target && c.protocol === protocol)
    for (const metric of METRIC_NAMES) {
      const perf = (c: ResultCell) => c.metrics[metric]?.mean ?? null
      // Dataset level: each dataset's mean over its pretext tasks.
      const byDataset = new Map<string, number[]>()
      for (const c of group) {
        const y = perf(c)
        if (y !== null && c.pretrainDataset) byDataset.set(c.pretrainDataset, [...(byDataset.get(c.pretrainDataset) ?? []), y])
      }
      for (const v of SIMILARITY_VARIABLES) {
        const points = [...byDataset].flatMap(([d, ys]) => {
          const x = simByDataset.get(d)?.[v]
          return x != null ? [{ label: d, x, y: mean(ys) }] : []
        })
        if (points.length < 2) continue
        const r = spearmanPermutation(points.map((p) => p.x), points.map((p) => p.y))
        out.push({ target, protocol, metric, family: 'similarity', variable: v, statistic: 'spearman', rho: orNull(r.rho), p: orNull(r.p), minP: orNull(r.minP), pHolm: null, n: r.n, unit: 'dataset', points })
      }
      for (const t of transforms) {
        const points = group.flatMap((c) => {
          const x = invByEncoder.get(c.encoders[0] ?? '')?.[t]
          const y = perf(c)
          return x != null && y != null ? [{ label: c.encoders[0]!, x, y }] : []
        })
        const strata = points.map((p) => p.label.split('/')[1] ?? '')
        const r = partialCorrelation(points.map((p) => p.x), points.map((p) => p.y), strata)
        if (r.df < 1) continue
        out.push({ target, protocol, metric, family: 'invariance', variable: t, statistic: 'partial-pearson', rho: orNull(r.r), p: orNull(r.p), minP: 0, pHolm: null, n: r.n, unit: 'encoder', points })
      }
    }
  }
  // One family: every correlation of the primary metric in this report that can reach ALPHA. Other metrics are descriptive.
  const family = out.filter((c) => c.metric === PRIMARY_METRIC && c.minP !== null && c.minP < ALPHA)
  holmAdjust(family.map((c) => c.p ?? NaN)).forEach((p, i) => (family[i]!.pHolm = orNull(p)))
  return out
}
