// The Results overview from the study analysis (the same numbers as the report): one heatmap per
// task x protocol over pretext x pretraining dataset, all sharing one direction-aware colour scale,
// with each panel's scratch baseline and fusion sets beside it, every value with its interval.
import type { StudyAnalysisView } from '../api/shapes.ts'
import { sharedScale, type ColourScale } from './colour-scale.ts'
import { metricInfo } from './metric-names.ts'

/** One configuration of the analysis (runs that differ only by seed). */
export type AnalysisCell = StudyAnalysisView['cells'][number]
/** Mean over seeds and its interval of one metric in one cell. */
export type CellMetric = AnalysisCell['metrics'][string]

/** One small multiple: a task x protocol heatmap. */
export interface OverviewPanel {
  /** binary / 3class. */
  target: string
  /** linear / finetune. */
  protocol: string
  /** Pretext tasks (rows). */
  rows: string[]
  /** Pretraining datasets (columns). */
  cols: string[]
  /** `${row}|${col}` -> the single-encoder cell. */
  cells: Record<string, AnalysisCell>
  /** Scratch baseline of this task and fusion sets of this mode, shown under the heatmap. */
  extras: AnalysisCell[]
}

/** `[lo, hi]` with 3 decimals, written exactly as the report writes it. */
export function formatInterval(lo: number | null | undefined, hi: number | null | undefined): string {
  const f = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(3))
  return `[${f(lo)}, ${f(hi)}]`
}

const sortStrings = (xs: Iterable<string>) => [...new Set(xs)].sort()
/** Panel order of the protocols: the kNN evaluation beside the linear probe, both on frozen features. */
const PROTOCOL_ORDER = ['linear', 'knn', 'finetune', 'scratch']
const protocolRank = (p: string) => (PROTOCOL_ORDER.includes(p) ? PROTOCOL_ORDER.indexOf(p) : PROTOCOL_ORDER.length)
const sortProtocols = (xs: Iterable<string>) => sortStrings(xs).sort((a, b) => protocolRank(a) - protocolRank(b))

/** Every task x protocol panel of single-encoder cells, and one colour scale over all of them. */
export function overviewPanels(analysis: StudyAnalysisView, metric: string): { panels: OverviewPanel[]; scale: ColourScale | null } {
  const singles = analysis.cells.filter((c) => c.kind === 'single' && c.pretext && c.pretrainDataset)
  const panels: OverviewPanel[] = []
  for (const target of sortStrings(analysis.cells.map((c) => c.target))) {
    for (const protocol of sortProtocols(singles.filter((c) => c.target === target).map((c) => c.protocol))) {
      const group = singles.filter((c) => c.target === target && c.protocol === protocol)
      const cells: Record<string, AnalysisCell> = {}
      for (const c of group) cells[`${c.pretext}|${c.pretrainDataset}`] = c
      const extras = analysis.cells.filter((c) => c.target === target && (c.kind === 'scratch' || (c.kind === 'fusion' && c.protocol === protocol)))
      panels.push({ target, protocol, rows: sortStrings(group.map((c) => c.pretext!)), cols: sortStrings(group.map((c) => c.pretrainDataset!)), cells, extras })
    }
  }
  const values = panels.flatMap((p) => [...Object.values(p.cells), ...p.extras].map((c) => c.metrics[metric]?.mean))
  return { panels, scale: sharedScale(values, metricInfo(metric).higherIsBetter) }
}

/** The sample behind every interval, in words: "120 test images, 60 patients, 2 seeds". */
export function sampleText(analysis: StudyAnalysisView): string {
  const b = analysis.bootstrap
  const seeds = new Set(analysis.runs.map((r) => r.seed)).size
  const units = b.unit === 'patient' ? `, ${b.nUnits} patients` : ''
  return `${b.nImages} test images${units}, ${seeds} seed${seeds === 1 ? '' : 's'}`
}

/** Cells of one target ranked by a metric (best first, direction-aware) for the encoder chart. */
export function rankedCells(analysis: StudyAnalysisView, metric: string, target: string): AnalysisCell[] {
  const up = metricInfo(metric).higherIsBetter
  return analysis.cells
    .filter((c) => c.target === target && typeof c.metrics[metric]?.mean === 'number')
    .sort((a, b) => (up ? 1 : -1) * ((b.metrics[metric]!.mean ?? 0) - (a.metrics[metric]!.mean ?? 0)))
}
