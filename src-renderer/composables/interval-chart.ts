// The encoder chart: one row per configuration, a dot for the mean over seeds and a whisker for its
// 95% interval, horizontal so every label is written out in full at 1024 px and up.
import type { ChartConfiguration } from 'chart.js'
import { formatMetric } from './format.ts'
import { metricLabel } from './metric-names.ts'
import { formatInterval, type AnalysisCell } from './results-overview.ts'

/** Colours by kind of configuration. */
export interface IntervalColours {
  /** Single-encoder cells. */
  single: string
  /** Fusion cells. */
  fusion: string
  /** Scratch baselines. */
  scratch: string
  /** Whiskers. */
  whisker: string
}

/** Pixel height that keeps every row readable. */
export const intervalChartHeight = (rows: number): number => Math.max(160, 26 * rows + 70)

/** Chart.js config of the interval chart for cells of one target (already ranked). */
export function intervalChartConfig(cells: readonly AnalysisCell[], metric: string, target: string, colours: IntervalColours): ChartConfiguration {
  const label = (c: AnalysisCell) => c.label.replace(new RegExp(`^${target} `), '')
  const m = (c: AnalysisCell) => c.metrics[metric]!
  const all = cells.flatMap((c) => [m(c).lo, m(c).hi, m(c).mean]).filter((v): v is number => typeof v === 'number')
  const lo = Math.min(...all)
  const hi = Math.max(...all)
  const pad = Math.max((hi - lo) * 0.05, 0.005)
  // The mean is a short floating bar (a tick), the interval a thin one: no plugin needed.
  const tick = (hi - lo + 2 * pad) / 250
  const colourOf = (c: AnalysisCell) => colours[c.kind]
  return {
    type: 'bar',
    data: {
      labels: cells.map(label),
      datasets: [
        { label: '95% interval', data: cells.map((c) => [m(c).lo ?? m(c).mean ?? 0, m(c).hi ?? m(c).mean ?? 0] as [number, number]), backgroundColor: colours.whisker, barThickness: 2, grouped: false, order: 1 },
        { label: 'mean over seeds', data: cells.map((c) => [(m(c).mean ?? 0) - tick, (m(c).mean ?? 0) + tick] as [number, number]), backgroundColor: cells.map(colourOf), barThickness: 14, grouped: false, order: 0 },
      ],
    },
    options: {
      indexAxis: 'y',
      scales: {
        x: { min: lo - pad, max: hi + pad, title: { display: true, text: metricLabel(metric) } },
        y: { ticks: { autoSkip: false } },
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (ctx) => { const c = cells[ctx.dataIndex]!; return `${formatMetric(m(c).mean)} ${formatInterval(m(c).lo, m(c).hi)}` } } },
      },
    },
  }
}
