// The summary's forest plot: for one task and protocol, every encoder (pretext encoders, reference
// encoders, fusion sets of that mode) as a row with its mean over seeds and 95% interval, and the
// random-init, scratch and chance references drawn as vertical lines across it, so a reader sees at
// once which encoders clear which baseline. One config per panel; the legend lists every series.
import type { ChartConfiguration } from 'chart.js'
import type { StudyAnalysisView } from '../api/shapes.ts'
import { crosshairPlugin, niceAxis, referenceLinesPlugin, type LegendItem, type ReferenceLine } from './chart-kit.ts'
import { formatMetric } from './format.ts'
import { metricInfo, metricLabel } from './metric-names.ts'
import { cellName, chanceOf, formatInterval, isBaselineCell, isPretextCell, type AnalysisCell } from './results-overview.ts'

/** Colours of the forest plot's series (one each, all different). */
export interface ForestColours {
  /** Pretext encoders. */
  pretext: string
  /** Fusion sets. */
  fusion: string
  /** Reference encoders drawn as rows (imported references). */
  reference: string
  /** Interval whiskers. */
  interval: string
  /** The random-init line. */
  randomInit: string
  /** The scratch line. */
  scratch: string
  /** The chance line. */
  chance: string
}

/** One panel: a task and protocol. */
export interface ForestPanel {
  target: string
  protocol: string
  /** Rows, best first. */
  rows: AnalysisCell[]
  /** Reference lines present in this panel. */
  lines: ReferenceLine[]
  /** Chart.js config. */
  config: ChartConfiguration
  /** Every series drawn, for the legend. */
  legend: LegendItem[]
  /** Pixel height. */
  height: number
}

const kindOf = (c: AnalysisCell): 'pretext' | 'fusion' | 'reference' => (c.kind === 'fusion' ? 'fusion' : isBaselineCell(c) ? 'reference' : 'pretext')
const SERIES_NAMES = { pretext: 'pretext encoder (mean over seeds)', fusion: 'fusion set (mean over seeds)', reference: 'reference encoder (mean over seeds)' } as const

/** A fusion set's row label on one line (a chart's axis cuts long ones): `fusion rotation+structure`
 *  when every member was pretrained on the same dataset (named once under the plot, see
 *  fusionDatasetNote), else every member in full. */
export function fusionLabel(encoders: readonly string[]): string {
  const parts = encoders.map((e) => e.split('/'))
  const ds = parts[0]?.[1]
  return parts.every((p) => p.length === 2 && p[1] === ds) ? `fusion ${parts.map((p) => p[0]).join('+')}` : `fusion ${encoders.join(' + ')}`
}

/** The sentence that names the fusion members' pretraining dataset when fusionLabel left it out (null otherwise). */
export function fusionDatasetNote(analysis: StudyAnalysisView): string | null {
  const sets = analysis.cells.filter((c) => c.kind === 'fusion').map((c) => c.encoders.map((e) => e.split('/')[1]))
  const all = new Set(sets.flat())
  if (!sets.length || sets.some((s) => new Set(s).size !== 1) || all.size === 0) return null
  return all.size === 1 ? `Fusion rows name their members' pretext tasks; every fusion member was pretrained on ${[...all][0]}.` : `Fusion rows name their members' pretext tasks; each set's members share one pretraining dataset (${[...all].join(', ')}): hover a row for its full name.`
}

/** Every task x protocol panel of the forest plot for one metric. */
export function forestPanels(analysis: StudyAnalysisView, metric: string, colours: ForestColours): ForestPanel[] {
  const up = metricInfo(metric).higherIsBetter
  const has = (c: AnalysisCell) => typeof c.metrics[metric]?.mean === 'number'
  const out: ForestPanel[] = []
  const pairs = new Map<string, { target: string; protocol: string }>()
  for (const c of analysis.cells) if (isPretextCell(c) && has(c)) pairs.set(`${c.target}|${c.protocol}`, { target: c.target, protocol: c.protocol })
  const order = ['linear', 'knn', 'finetune']
  const sorted = [...pairs.values()].sort((a, b) => a.target.localeCompare(b.target) || (order.indexOf(a.protocol) + 1 || 9) - (order.indexOf(b.protocol) + 1 || 9))
  for (const { target, protocol } of sorted) {
    const rows = analysis.cells
      .filter((c) => c.target === target && c.protocol === protocol && has(c) && c.kind !== 'scratch' && c.encoders[0] !== 'random-init')
      .sort((a, b) => (up ? 1 : -1) * (b.metrics[metric]!.mean! - a.metrics[metric]!.mean!))
    const randomInit = analysis.cells.find((c) => c.target === target && c.protocol === protocol && c.encoders.length === 1 && c.encoders[0] === 'random-init' && c.kind === 'single')
    const scratch = analysis.cells.find((c) => c.target === target && c.kind === 'scratch')
    const chance = chanceOf(analysis, metric, target)
    const lines: ReferenceLine[] = []
    if (randomInit?.metrics[metric]?.mean != null) lines.push({ label: `random-init ${formatMetric(randomInit.metrics[metric]!.mean)}`, value: randomInit.metrics[metric]!.mean!, colour: colours.randomInit, dash: [6, 3] })
    if (scratch?.metrics[metric]?.mean != null) lines.push({ label: `scratch ${formatMetric(scratch.metrics[metric]!.mean)}`, value: scratch.metrics[metric]!.mean!, colour: colours.scratch, dash: [2, 3] })
    if (chance !== null) lines.push({ label: `chance ${formatMetric(chance)}`, value: chance, colour: colours.chance, dash: [1, 4] })
    const m = (c: AnalysisCell) => c.metrics[metric]!
    const axis = niceAxis([...rows.flatMap((c) => [m(c).lo, m(c).hi, m(c).mean]), ...lines.map((l) => l.value)], metricInfo(metric).group === 'quality' ? { floor: 0, ceil: 1 } : {})
    const tick = (axis.max - axis.min) / 200
    const kinds = [...new Set(rows.map(kindOf))]
    const label = (c: AnalysisCell): string => (c.kind === 'single' && isPretextCell(c) ? c.encoders[0]! : c.kind === 'fusion' ? fusionLabel(c.encoders) : cellName(c))
    const config: ChartConfiguration = {
      type: 'bar',
      data: {
        labels: rows.map(label),
        datasets: [
          { label: '95% interval', data: rows.map((c) => [m(c).lo ?? m(c).mean!, m(c).hi ?? m(c).mean!] as [number, number]), backgroundColor: colours.interval, barThickness: 2, grouped: false, order: 1 },
          ...kinds.map((k, i) => ({ label: SERIES_NAMES[k], data: rows.map((c) => (kindOf(c) === k ? ([m(c).mean! - tick, m(c).mean! + tick] as [number, number]) : null)), backgroundColor: colours[k], barThickness: 12, grouped: false, order: -i })),
        ],
      },
      plugins: [referenceLinesPlugin(lines, 'x'), crosshairPlugin],
      options: {
        indexAxis: 'y',
        interaction: { mode: 'index', axis: 'y', intersect: false },
        scales: {
          x: { min: axis.min, max: axis.max, ticks: { stepSize: axis.step }, title: { display: true, text: metricLabel(metric) } },
          y: { ticks: { autoSkip: false, font: { size: 10 } } },
        },
        plugins: {
          legend: { display: false },
          tooltip: { filter: (item) => item.datasetIndex === 0, callbacks: { label: (ctx) => { const c = rows[ctx.dataIndex]!; return `${cellName(c)}: ${formatMetric(m(c).mean)} ${formatInterval(m(c).lo, m(c).hi)}, ${c.runIds.length} seed${c.runIds.length === 1 ? '' : 's'}` } } },
        },
      },
    }
    const legend: LegendItem[] = [
      ...kinds.map((k) => ({ label: SERIES_NAMES[k], colour: colours[k], shape: 'marker' as const })),
      { label: '95% interval', colour: colours.interval, shape: 'bar' },
      ...lines.map((l) => ({ label: l.label, colour: l.colour, shape: l.dash[0]! > 2 ? ('dashed' as const) : ('dotted' as const) })),
    ]
    out.push({ target, protocol, rows, lines, config, legend, height: Math.max(130, 17 * rows.length + 56) })
  }
  return out
}
