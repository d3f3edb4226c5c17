// The Results overview from the study analysis (the same numbers as the report): one heatmap per
// task x protocol over pretext x pretraining dataset, all sharing one direction-aware colour scale,
// with each panel's reference rows under it (random-init, reference encoders, scratch, chance) and its
// fusion sets, every value with its interval; only differences that survive the study's correction
// are marked, and the best mark never goes to a configuration a reference row matches or beats.
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
  /** Every reference row under the heatmap, in this order: random-init (frozen random ResNet-18, this
   *  protocol), reference encoders, scratch (trained end to end), fusion sets of this mode. */
  extras: AnalysisCell[]
  /** What a predictor without information scores on this metric (null where no single number is honest). */
  chance: number | null
  /** `${row}|${col}` -> the encoder minus random-init after the study's correction: `better` / `worse`
   *  only when it survives Holm (ROC-AUC, the primary metric); absent otherwise. */
  marks: Record<string, 'better' | 'worse'>
  /** The key of the one cell (heatmap `${row}|${col}` or an extra's cell key) that is best in this panel,
   *  or null. A pretext cell is starred only when no reference row matches or beats it and, where the
   *  random-init comparison exists, it beats random-init after the correction. */
  best: { key: string; isBaseline: boolean } | null
  /** Why the random-init row is empty when it is: the study ran it on other (frozen-feature) protocols, or not at all. */
  randomInitAbsent: 'frozen protocols only' | 'not in this study' | null
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

/** A pretext encoder's cell (pretext task and pretraining dataset), not a baseline encoder. */
export const isPretextCell = (c: AnalysisCell) => c.kind === 'single' && !!c.pretext && !!c.pretrainDataset
/** A random-init or reference-encoder cell. */
export const isBaselineCell = (c: AnalysisCell) => c.kind === 'single' && c.encoders.length === 1 && (c.encoders[0] === 'random-init' || c.encoders[0]!.startsWith('ref:'))

/** The exact name of a reference row: never "scratch" for the random-init encoder. */
export function cellName(c: AnalysisCell): string {
  if (c.kind === 'scratch') return 'scratch (trained end to end, no pretraining)'
  if (c.kind === 'fusion') return `fusion ${c.encoders.join(' + ')}`
  if (c.encoders[0] === 'random-init') return 'random-init (frozen random ResNet-18)'
  if (c.encoders[0]?.startsWith('ref:')) return `reference ${c.encoders[0].slice(4)}`
  return c.encoders.join(' + ')
}

/** Chance level of a metric: ROC-AUC 0.5, balanced accuracy 1/K, accuracy the majority class's test share; null for weighted F1. */
export function chanceOf(analysis: StudyAnalysisView, metric: string, target: string): number | null {
  if (metric === 'roc_auc') return 0.5
  const test = analysis.sampleSizes?.find((s) => s.split === 'test' && s.target === target)
  if (!test || !test.classes.length) return null
  if (metric === 'balanced_accuracy') return 1 / test.classes.length
  if (metric === 'accuracy') {
    const total = test.classes.reduce((a, c) => a + c.images, 0)
    return total ? Math.max(...test.classes.map((c) => c.images)) / total : null
  }
  return null
}

/** Every task x protocol panel of single-encoder cells with its reference rows, and one colour scale over all of them. */
export function overviewPanels(analysis: StudyAnalysisView, metric: string): { panels: OverviewPanel[]; scale: ColourScale | null } {
  const singles = analysis.cells.filter(isPretextCell)
  const up = metricInfo(metric).higherIsBetter
  const alpha = analysis.method?.alpha ?? 0.05
  const panels: OverviewPanel[] = []
  for (const target of sortStrings(analysis.cells.map((c) => c.target))) {
    for (const protocol of sortProtocols(singles.filter((c) => c.target === target).map((c) => c.protocol))) {
      const group = singles.filter((c) => c.target === target && c.protocol === protocol)
      const cells: Record<string, AnalysisCell> = {}
      for (const c of group) cells[`${c.pretext}|${c.pretrainDataset}`] = c
      const here = analysis.cells.filter((c) => c.target === target)
      const extras = [
        ...here.filter((c) => isBaselineCell(c) && c.protocol === protocol && c.encoders[0] === 'random-init'),
        ...here.filter((c) => isBaselineCell(c) && c.protocol === protocol && c.encoders[0] !== 'random-init'),
        ...here.filter((c) => c.kind === 'scratch'),
        ...here.filter((c) => c.kind === 'fusion' && c.protocol === protocol),
      ]
      const marks: Record<string, 'better' | 'worse'> = {}
      if (metric === (analysis.method?.primaryMetric ?? 'roc_auc')) {
        for (const cmp of analysis.beatsRandomInit ?? []) {
          if (cmp.target !== target || cmp.protocol !== protocol || (cmp.pHolm ?? 1) >= alpha || cmp.difference.verdict === 'no evidence') continue
          const c = group.find((x) => x.encoders[0] === cmp.encoder)
          if (c) marks[`${c.pretext}|${c.pretrainDataset}`] = cmp.difference.verdict
        }
      }
      const score = (c: AnalysisCell) => {
        const v = c.metrics[metric]?.mean
        return typeof v === 'number' ? (up ? v : -v) : -Infinity
      }
      let best: OverviewPanel['best'] = null
      let top = -Infinity
      for (const [k, c] of Object.entries(cells)) if (score(c) > top) [best, top] = [{ key: k, isBaseline: false }, score(c)]
      // A reference row that matches or beats the best pretext cell takes the mark: it is the winner.
      const refs = extras.filter((c) => c.kind !== 'fusion')
      for (const c of refs) if (score(c) >= top && score(c) > -Infinity) [best, top] = [{ key: c.key, isBaseline: true }, score(c)]
      // A pretext cell is starred only when, where the random-init comparison exists, it survived the correction as better.
      const hasRandomInit = (analysis.beatsRandomInit ?? []).some((x) => x.target === target && x.protocol === protocol)
      if (best && !best.isBaseline && hasRandomInit && metric === (analysis.method?.primaryMetric ?? 'roc_auc') && marks[best.key] !== 'better') best = null
      // Nor when its interval reaches chance: a cell at or below chance is never the one to look at.
      const chance = chanceOf(analysis, metric, target)
      if (best && !best.isBaseline && chance !== null) {
        const m = cells[best.key]!.metrics[metric]!
        const worstEnd = up ? (m.lo ?? m.mean) : (m.hi ?? m.mean)
        if (typeof worstEnd !== 'number' || (up ? worstEnd <= chance : worstEnd >= chance)) best = null
      }
      const randomInitAbsent = extras.some((c) => c.encoders[0] === 'random-init') ? null : analysis.cells.some((c) => c.encoders.length === 1 && c.encoders[0] === 'random-init') ? ('frozen protocols only' as const) : ('not in this study' as const)
      panels.push({ target, protocol, rows: sortStrings(group.map((c) => c.pretext!)), cols: sortStrings(group.map((c) => c.pretrainDataset!)), cells, extras, chance, marks, best, randomInitAbsent })
    }
  }
  // Chance is on the scale too: two cells 0.002 apart are not drawn as the darkest and the brightest.
  const values = panels.flatMap((p) => [...[...Object.values(p.cells), ...p.extras].map((c) => c.metrics[metric]?.mean), p.chance])
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
