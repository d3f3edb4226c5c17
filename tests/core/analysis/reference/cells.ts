// REFERENCE COPY of the analysis before issue 21 (commit 30d581b), kept to check that the fast
// implementation gives the same numbers. Not used by the app.
// Per-run and per-cell intervals. A cell is the set of runs that differ only by seed; its interval
// is that of the seed mean from the hierarchical bootstrap (seeds, then patients; with one seed
// only patients, which the report says covers test-set sampling only).
import type { ResultCell } from '../../../../src-core/api/results.ts'
import type { LoadedRun } from '../../../../src-core/analysis/collect.ts'
import { bootstrapIntervals, type BootstrapOptions, type Interval } from './stats/bootstrap.ts'
import { mean, sampleSd } from '../../../../src-core/analysis/stats/describe.ts'
import { hierarchicalIntervals } from './stats/hierarchical.ts'
import { classAucs, computeMetrics, METRIC_NAMES, type Predictions } from './stats/metrics.ts'

/** Every recomputed metric and the one-vs-rest AUC of each class (keys `auc:<class>`). */
export function metricsWithClassAuc(pred: Predictions, rows?: readonly number[]): Record<string, number> {
  const out: Record<string, number> = { ...computeMetrics(pred, rows) }
  classAucs(pred, rows).forEach((auc, c) => (out[`auc:${pred.classNames[c]}`] = auc))
  return out
}

/** NaN (undefined statistic) becomes null so results survive JSON. */
export const orNull = (x: number | null | undefined): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : x)

/** The cell key of a run: everything that defines it except the seed. */
export function cellKeyOf(r: LoadedRun['run']): string {
  return [r.target ?? '', r.protocol ?? '', r.fusionMode ?? '', r.encoders.join('+')].join('|')
}

/** single / fusion / scratch. */
export function cellKindOf(r: LoadedRun['run']): ResultCell['kind'] {
  if (r.protocol === 'scratch' || r.encoders.length === 0) return 'scratch'
  return r.encoders.length > 1 || r.fusionMode ? 'fusion' : 'single'
}

/** Readable cell label, e.g. `binary linear rotation/demo-mammo` or `3class fusion-finetune a + b`. */
export function cellLabelOf(r: LoadedRun['run']): string {
  const kind = cellKindOf(r)
  if (kind === 'scratch') return `${r.target} scratch`
  if (kind === 'fusion') return `${r.target} fusion-${r.fusionMode ?? r.protocol} ${r.encoders.join(' + ')}`
  return `${r.target} ${r.protocol} ${r.encoders[0]}`
}

/** Intervals of every recomputed metric of each run. */
export function runIntervals(runs: readonly LoadedRun[], clusters: number[][], opts: BootstrapOptions): Map<string, Record<string, Interval>> {
  const out = new Map<string, Record<string, Interval>>()
  for (const l of runs) out.set(l.run.id, bootstrapIntervals(l.pred.targets.length, clusters, (rows) => metricsWithClassAuc(l.pred, rows), opts))
  return out
}

/** Groups runs into cells and summarises each metric across seeds. */
export function buildCells(
  runs: readonly LoadedRun[],
  perRun: Map<string, Record<string, Interval>>,
  clusters: number[][],
  opts: BootstrapOptions,
  unit: 'patient' | 'image' = 'patient',
): ResultCell[] {
  const groups = new Map<string, LoadedRun[]>()
  for (const l of runs) groups.set(cellKeyOf(l.run), [...(groups.get(cellKeyOf(l.run)) ?? []), l])
  const cells: ResultCell[] = []
  for (const [key, members] of groups) {
    members.sort((a, b) => a.run.seed - b.run.seed)
    const first = members[0]!.run
    const kind = cellKindOf(first)
    // One seed: the run's own interval is the cell's; several: the hierarchical bootstrap of the seed mean.
    const joint: Record<string, Interval> =
      members.length === 1 ? perRun.get(first.id)! : hierarchicalIntervals(members.length, members[0]!.pred.targets.length, clusters, (s, rows) => metricsWithClassAuc(members[s]!.pred, rows), opts)
    const metrics: ResultCell['metrics'] = {}
    for (const name of METRIC_NAMES) {
      const values = members.map((m) => perRun.get(m.run.id)![name]!.estimate)
      const finite = values.filter(Number.isFinite)
      metrics[name] = {
        mean: orNull(mean(finite)),
        sd: orNull(sampleSd(finite)),
        perSeed: members.map((m, i) => ({ seed: m.run.seed, value: orNull(values[i]) })),
        lo: orNull(joint[name]!.lo),
        hi: orNull(joint[name]!.hi),
      }
    }
    const perClassAuc: ResultCell['perClassAuc'] = {}
    for (const cls of members[0]!.pred.classNames) {
      const key = `auc:${cls}`
      const values = members.map((m) => perRun.get(m.run.id)![key]?.estimate ?? NaN).filter(Number.isFinite)
      perClassAuc[cls] = { mean: orNull(mean(values)), lo: orNull(joint[key]?.lo), hi: orNull(joint[key]?.hi) }
    }
    cells.push({
      key,
      label: cellLabelOf(first),
      kind,
      target: first.target ?? '',
      protocol: first.protocol ?? '',
      pretext: kind === 'single' ? (first.pretext ?? first.encoders[0]?.split('/')[0] ?? null) : null,
      pretrainDataset: kind === 'single' ? (first.pretrainDataset ?? first.encoders[0]?.split('/')[1] ?? null) : null,
      encoders: first.encoders,
      runIds: members.map((m) => m.run.id),
      metrics,
      perClassAuc,
      interval: members.length > 1 ? (unit === 'patient' ? 'seeds+patients' : 'seeds+images') : unit === 'patient' ? 'patients' : 'images',
    })
  }
  const order = { scratch: 0, single: 1, fusion: 2 }
  return cells.sort((a, b) => a.target.localeCompare(b.target) || a.protocol.localeCompare(b.protocol) || order[a.kind] - order[b.kind] || a.label.localeCompare(b.label))
}
