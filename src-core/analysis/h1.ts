// H1: does domain similarity explain transfer, or does the invariance a pretext task induces matter
// as much or more? Inputs: the similarity probe (distances of each pretraining set to the downstream
// set), the invariance probes (per encoder and seed), and the single-encoder cells. Outputs: ANOVA of
// each metric over pretext x pretraining dataset, and Spearman correlations of performance with
// similarity and with each invariance, over the encoders (seed means, so seeds are not counted as
// independent encoders).
import type { AnovaTable, Correlation, ResultCell, StudyAnalysis } from '../api/results.ts'
import type { LoadedRun } from './collect.ts'
import { cellKindOf, orNull } from './cells.ts'
import { twoWayAnova } from './stats/anova.ts'
import { mean } from './stats/describe.ts'
import { computeMetrics, METRIC_NAMES } from './stats/metrics.ts'
import { spearman } from './stats/spearman.ts'
import type { ResultRun } from '../store/results.ts'

type H1 = StudyAnalysis['h1']

/** The three similarity distances the probe reports. */
export const SIMILARITY_VARIABLES = ['frechet', 'histogram_l1', 'spectrum_l2'] as const

/** Similarity rows from the newest done similarity probe. */
export function similarityRows(probes: readonly ResultRun[]): H1['similarity'] {
  const sim = probes.filter((p) => p.summary && typeof p.summary.similarity === 'object').at(-1)
  if (!sim) return []
  const table = sim.summary!.similarity as Record<string, Record<string, unknown>>
  const val = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null)
  return Object.entries(table)
    .map(([dataset, v]) => ({ dataset, frechet: val(v.frechet), histogram_l1: val(v.histogram_l1), spectrum_l2: val(v.spectrum_l2) }))
    .sort((a, b) => a.dataset.localeCompare(b.dataset))
}

/** Invariance profiles per encoder label, averaged over the seeds that have a probe. */
export function invarianceRows(probes: readonly ResultRun[]): H1['invariance'] {
  const byLabel = new Map<string, ResultRun[]>()
  for (const p of probes) {
    if (!p.summary || typeof p.summary.invariance !== 'object' || !p.encoders[0]) continue
    byLabel.set(p.encoders[0], [...(byLabel.get(p.encoders[0]) ?? []), p])
  }
  const rows: H1['invariance'] = []
  for (const [label, list] of byLabel) {
    const keys = new Set<string>()
    for (const p of list) for (const k of Object.keys(p.summary!.invariance as object)) keys.add(k)
    const values: Record<string, number> = {}
    for (const k of keys) {
      const xs = list.map((p) => (p.summary!.invariance as Record<string, unknown>)[k]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x))
      if (xs.length) values[k] = mean(xs)
    }
    const [pretext = '', dataset = ''] = label.split('/')
    rows.push({ encoder: label, pretext, dataset, seeds: list.map((p) => p.seed).sort((a, b) => a - b), values })
  }
  return rows.sort((a, b) => a.encoder.localeCompare(b.encoder))
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
      const r = twoWayAnova(obs, { a: 'pretext', b: 'dataset' })
      tables.push({
        target,
        protocol,
        metric,
        seeds,
        rows: r.rows.map((x) => ({ ...x, ms: orNull(x.ms), f: orNull(x.f), p: orNull(x.p), etaSq: orNull(x.etaSq) })),
        interactionSeparated: r.interactionSeparated,
        note: r.note,
      })
    }
  }
  return tables
}

/** Spearman correlations of single-encoder cell means with similarity and with each invariance. */
export function correlations(cells: readonly ResultCell[], sim: H1['similarity'], inv: H1['invariance']): Correlation[] {
  const out: Correlation[] = []
  const singles = cells.filter((c) => c.kind === 'single')
  const settings = [...new Set(singles.map((c) => `${c.target}|${c.protocol}`))].sort()
  const simByDataset = new Map(sim.map((s) => [s.dataset, s]))
  const invByEncoder = new Map(inv.map((i) => [i.encoder, i.values]))
  const transforms = [...new Set(inv.flatMap((i) => Object.keys(i.values)))].sort()
  for (const setting of settings) {
    const [target, protocol] = setting.split('|') as [string, string]
    const group = singles.filter((c) => c.target === target && c.protocol === protocol)
    for (const metric of METRIC_NAMES) {
      const add = (family: Correlation['family'], variable: string, pairs: [number, number][]) => {
        const r = spearman(pairs.map((p) => p[0]), pairs.map((p) => p[1]))
        out.push({ target, protocol, metric, family, variable, rho: orNull(r.rho), p: orNull(r.p), n: r.n })
      }
      const perf = (c: ResultCell) => c.metrics[metric]?.mean ?? null
      for (const v of SIMILARITY_VARIABLES) {
        const pairs = group.flatMap((c): [number, number][] => {
          const x = simByDataset.get(c.pretrainDataset ?? '')?.[v]
          const y = perf(c)
          return x != null && y != null ? [[x, y]] : []
        })
        if (pairs.length) add('similarity', v, pairs)
      }
      for (const t of transforms) {
        const pairs = group.flatMap((c): [number, number][] => {
          const x = invByEncoder.get(c.encoders[0] ?? '')?.[t]
          const y = perf(c)
          return x != null && y != null ? [[x, y]] : []
        })
        if (pairs.length) add('invariance', t, pairs)
      }
    }
  }
  return out
}
