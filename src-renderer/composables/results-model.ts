// Pure shaping of the results table into what the charts draw: heatmap cells, per-encoder means
// with spread over seeds, fusion sets beside their best member. Tested without a DOM.
import type { ResultRow } from '../api/shapes.ts'
import type { Column } from './runs-table.ts'
import { formatMetric } from './format.ts'
import { metricLabel } from './metric-names.ts'

export const METRICS = ['roc_auc', 'accuracy', 'balanced_accuracy', 'f1_weighted', 'loss'] as const
export type MetricName = (typeof METRICS)[number]

/** Mean and sample standard deviation (0 for one value). */
export function meanStd(values: number[]): { mean: number; std: number; n: number } {
  const n = values.length
  const mean = values.reduce((a, b) => a + b, 0) / n
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0
  return { mean, std, n }
}

const metricOf = (r: ResultRow, m: MetricName) => r.metrics[m] ?? null
const isSingleEncoder = (r: ResultRow) => !r.fusionMode && r.pretext !== null && r.pretrainDataset !== null

/** (protocol, target) groups present among single-encoder runs. */
export function heatmapGroups(rows: readonly ResultRow[]): { protocol: string; target: string }[] {
  const seen = new Map<string, { protocol: string; target: string }>()
  for (const r of rows) if (isSingleEncoder(r) && r.protocol && r.target) seen.set(`${r.protocol}|${r.target}`, { protocol: r.protocol, target: r.target })
  return [...seen.values()]
}

/** Mean metric over seeds for each pretext x pretraining dataset cell of one protocol and target. */
export function heatmap(rows: readonly ResultRow[], metric: MetricName, protocol: string, target: string) {
  const cells = new Map<string, number[]>()
  const pretexts = new Set<string>()
  const datasets = new Set<string>()
  for (const r of rows) {
    if (!isSingleEncoder(r) || r.protocol !== protocol || r.target !== target || r.state !== 'done') continue
    const v = metricOf(r, metric)
    if (v === null) continue
    pretexts.add(r.pretext!)
    datasets.add(r.pretrainDataset!)
    const k = `${r.pretext}|${r.pretrainDataset}`
    cells.set(k, [...(cells.get(k) ?? []), v])
  }
  const values: Record<string, Record<string, number | null>> = {}
  for (const p of pretexts) {
    values[p] = {}
    for (const d of datasets) {
      const vs = cells.get(`${p}|${d}`)
      values[p]![d] = vs ? meanStd(vs).mean : null
    }
  }
  return { rows: [...pretexts].sort(), cols: [...datasets].sort(), values }
}

/** One bar per encoder (or scratch / fusion set) with the spread over seeds. */
export function encoderBars(rows: readonly ResultRow[], metric: MetricName, protocol: string, target: string) {
  const groups = new Map<string, number[]>()
  for (const r of rows) {
    if (r.target !== target || r.state !== 'done') continue
    if (r.fusionMode ? r.fusionMode !== protocol : r.protocol !== protocol && r.protocol !== 'scratch') continue
    const v = metricOf(r, metric)
    if (v === null) continue
    const label = encoderLabel(r)
    groups.set(label, [...(groups.get(label) ?? []), v])
  }
  return [...groups.entries()].map(([label, vs]) => ({ label, ...meanStd(vs) })).sort((a, b) => b.mean - a.mean)
}

/** A readable name for the encoder behind a downstream run. */
export function encoderLabel(r: Pick<ResultRow, 'fusionMode' | 'encoders' | 'protocol' | 'pretext' | 'pretrainDataset'>): string {
  if (r.fusionMode) return `fusion[${r.encoders.join(' + ')}]`
  // The random-init encoder (frozen random ResNet-18) and imported references are not scratch (trained end to end).
  if (r.encoders.length === 1 && (r.encoders[0] === 'random-init' || r.encoders[0]!.startsWith('ref:'))) return r.encoders[0]!
  if (r.protocol === 'scratch' || !r.pretext) return 'scratch'
  return `${r.pretext}/${r.pretrainDataset}`
}

/** A label fraction as it is written everywhere: 0.1 -> "10%", 0.25 -> "25%". */
export const fractionPercent = (f: number): string => `${Number((f * 100).toPrecision(3))}%`

/** The protocol with its labelled fraction: `linear`, `linear@10%`, `fusion-finetune`. */
export function protocolLabel(r: Pick<ResultRow, 'fusionMode' | 'protocol'> & { labelFraction?: number }): string {
  const p = r.fusionMode ? `fusion-${r.fusionMode}` : (r.protocol ?? '—')
  return r.labelFraction !== undefined && r.labelFraction < 1 ? `${p}@${fractionPercent(r.labelFraction)}` : p
}

/** Each fusion set (per mode and target) beside its best single member under the same protocol. */
export function fusionVsBest(rows: readonly ResultRow[], metric: MetricName) {
  const lowerIsBetter = metric === 'loss'
  const out: { set: string; mode: string; target: string; fusion: number; best: string; bestValue: number | null }[] = []
  const fusionGroups = new Map<string, { set: string[]; mode: string; target: string; values: number[] }>()
  for (const r of rows) {
    if (!r.fusionMode || !r.target || r.state !== 'done') continue
    const v = metricOf(r, metric)
    if (v === null) continue
    const k = `${r.encoders.join('+')}|${r.fusionMode}|${r.target}`
    const g = fusionGroups.get(k) ?? { set: r.encoders, mode: r.fusionMode, target: r.target, values: [] }
    g.values.push(v)
    fusionGroups.set(k, g)
  }
  for (const g of fusionGroups.values()) {
    const members = encoderBars(rows.filter((r) => !r.fusionMode && g.set.includes(`${r.pretext}/${r.pretrainDataset}`)), metric, g.mode, g.target)
    const best = members.sort((a, b) => (lowerIsBetter ? a.mean - b.mean : b.mean - a.mean))[0]
    out.push({ set: g.set.join(' + '), mode: g.mode, target: g.target, fusion: meanStd(g.values).mean, best: best?.label ?? '—', bestValue: best?.mean ?? null })
  }
  return out
}

/** Per-run intervals by run id and metric (from the analysis), for the table's display. */
export type RunIntervals = Record<string, Record<string, { lo: number | null; hi: number | null }>>

/** Columns of the results/runs table; with intervals each metric shows "value [lo, hi]". */
export function resultColumnsWith(intervals: RunIntervals = {}): Column<ResultRow>[] {
  return [
    { key: 'name', label: 'Run', value: (r) => r.name, grow: 3 },
    { key: 'encoder', label: 'Encoder', value: (r) => encoderLabel(r), grow: 2.2 },
    { key: 'target', label: 'Task', value: (r) => r.target },
    { key: 'protocol', label: 'Protocol', value: (r) => protocolLabel(r) },
    { key: 'seed', label: 'Seed', value: (r) => r.seed, grow: 0.5 },
    { key: 'state', label: 'State', value: (r) => r.state },
    ...METRICS.map((m): Column<ResultRow> => ({
      key: m,
      label: metricLabel(m),
      value: (r) => metricOf(r, m),
      format: (v) => formatMetric(typeof v === 'number' ? v : null),
      grow: 1.8,
      minCh: 22,
      display: (r) => {
        const ci = intervals[r.runId]?.[m]
        return `${formatMetric(metricOf(r, m))}${ci ? ` [${formatMetric(ci.lo)}, ${formatMetric(ci.hi)}]` : ''}`
      },
    })),
  ]
}

/** Columns of the results/runs table without intervals (CSV, tests). */
export const resultColumns: Column<ResultRow>[] = resultColumnsWith()
