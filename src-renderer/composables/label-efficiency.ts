// The label-efficiency chart: ROC-AUC against the labelled fraction of the training split (log x
// axis), one line per encoder, a vertical bar for each point's 95% interval, and the same numbers
// as table rows (the chart's accessible twin).
import type { ChartConfiguration, Plugin } from 'chart.js'
import { niceAxis } from './chart-kit.ts'
import { formatMetric } from './format.ts'
import { formatInterval } from './results-overview.ts'

/** One point of a curve (results.analysis labelEfficiency[].points[]). */
export interface EfficiencyPoint {
  /** Labelled fraction of the training split (0-1]. */
  fraction: number
  /** Labelled training images at that fraction (mean over seeds; null when not recorded). */
  nTrain: number | null
  /** Test ROC-AUC (mean over seeds). */
  auc: number | null
  /** Lower bound of its 95% interval. */
  lo: number | null
  /** Upper bound. */
  hi: number | null
  /** The runs behind it. */
  runIds: string[]
}

/** One encoder's curve for one target and protocol. */
export interface EfficiencyCurve {
  /** Downstream target. */
  target: string
  /** Protocol (linear, knn, finetune, ...). */
  protocol: string
  /** Encoder label. */
  encoder: string
  /** Points, any order. */
  points: EfficiencyPoint[]
}

/** The curves of one target and protocol: one chart and one table. */
export interface EfficiencyGroup {
  /** Downstream target. */
  target: string
  /** Protocol. */
  protocol: string
  /** Curves, one per encoder, points sorted by fraction. */
  curves: EfficiencyCurve[]
}

/** Groups curves by target and protocol (sorted), points by fraction. */
export function efficiencyGroups(curves: readonly EfficiencyCurve[]): EfficiencyGroup[] {
  const by = new Map<string, EfficiencyGroup>()
  for (const c of curves) {
    const key = `${c.target}|${c.protocol}`
    if (!by.has(key)) by.set(key, { target: c.target, protocol: c.protocol, curves: [] })
    by.get(key)!.curves.push({ ...c, points: [...c.points].sort((a, b) => a.fraction - b.fraction) })
  }
  for (const g of by.values()) g.curves.sort((a, b) => a.encoder.localeCompare(b.encoder))
  return [...by.values()].sort((a, b) => a.target.localeCompare(b.target) || a.protocol.localeCompare(b.protocol))
}

/** "10%", "1%", "0.1%": the fraction as the axis and the table write it. */
export function fractionText(f: number): string {
  const pct = f * 100
  return `${pct >= 1 ? Number(pct.toFixed(1)) : Number(pct.toPrecision(2))}%`
}

/** One row of the table beside the chart. */
export interface EfficiencyRow {
  /** Encoder label. */
  encoder: string
  /** Labelled fraction. */
  fraction: number
  /** Labelled training images. */
  nTrain: number | null
  /** ROC-AUC. */
  auc: number | null
  /** Its interval, written as the report writes it. */
  interval: string
}

/** The table rows of a group: encoder by encoder, fractions ascending. */
export function efficiencyRows(g: EfficiencyGroup): EfficiencyRow[] {
  return g.curves.flatMap((c) => c.points.map((p) => ({ encoder: c.encoder, fraction: p.fraction, nTrain: p.nTrain, auc: p.auc, interval: formatInterval(p.lo, p.hi) })))
}

/** Draws each point's interval as a vertical bar with caps, in its line's colour. */
const intervalBars: Plugin<'line'> = {
  id: 'xlabIntervalBars',
  afterDatasetsDraw(chart) {
    const { ctx, scales } = chart
    const y = scales.y!
    chart.data.datasets.forEach((ds, i) => {
      const meta = chart.getDatasetMeta(i)
      if (meta.hidden) return
      const intervals = (ds as unknown as { intervals?: ([number, number] | null)[] }).intervals ?? []
      ctx.save()
      ctx.strokeStyle = String(ds.borderColor)
      ctx.lineWidth = 1.5
      meta.data.forEach((pt, j) => {
        const iv = intervals[j]
        if (!iv) return
        const [top, bottom] = [y.getPixelForValue(iv[1]), y.getPixelForValue(iv[0])]
        ctx.beginPath()
        ctx.moveTo(pt.x, top)
        ctx.lineTo(pt.x, bottom)
        ctx.moveTo(pt.x - 4, top)
        ctx.lineTo(pt.x + 4, top)
        ctx.moveTo(pt.x - 4, bottom)
        ctx.lineTo(pt.x + 4, bottom)
        ctx.stroke()
      })
      ctx.restore()
    })
  },
}

/** Chart.js config: log x over the fractions, one line per encoder, interval bars. */
export function efficiencyChartConfig(g: EfficiencyGroup, colours: readonly string[]): ChartConfiguration<'line'> {
  const points = g.curves.flatMap((c) => c.points)
  const ys = points.flatMap((p) => [p.lo, p.hi, p.auc]).filter((v): v is number => typeof v === 'number')
  const fractions = [...new Set(points.map((p) => p.fraction))].sort((a, b) => a - b)
  const y = niceAxis(ys.length ? ys : [0.5, 1], { floor: 0, ceil: 1 })
  return {
    type: 'line',
    data: {
      datasets: g.curves.map((c, i) => {
        const shown = c.points.filter((p) => p.auc !== null)
        return {
          label: c.encoder,
          data: shown.map((p) => ({ x: p.fraction, y: p.auc! })),
          intervals: shown.map((p) => (p.lo !== null && p.hi !== null ? [p.lo, p.hi] : null)),
          borderColor: colours[i],
          backgroundColor: colours[i],
          // Baselines drawn dashed so they read as references, not as contenders.
          borderDash: c.encoder === 'random-init' || c.encoder === 'scratch' || c.encoder.startsWith('ref:') ? [6, 3] : [],
          pointRadius: 4,
          borderWidth: 2,
        }
      }),
    },
    plugins: [intervalBars],
    options: {
      parsing: false,
      scales: {
        x: { type: 'logarithmic', min: fractions[0]! / 1.5, max: fractions.at(-1)! * 1.5, title: { display: true, text: 'labelled fraction of the training split (log scale)' }, afterBuildTicks: (axis) => void (axis.ticks = fractions.map((value) => ({ value }))), ticks: { callback: (v) => fractionText(Number(v)) } },
        y: { min: y.min, max: y.max, ticks: { stepSize: y.step }, title: { display: true, text: 'test ROC-AUC (95% interval)' } },
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (ctx) => { const p = g.curves[ctx.datasetIndex]!.points.filter((q) => q.auc !== null)[ctx.dataIndex]!; return `${g.curves[ctx.datasetIndex]!.encoder} at ${fractionText(p.fraction)} (${p.nTrain ?? '?'} images): ${formatMetric(p.auc)} ${formatInterval(p.lo, p.hi)}` } } },
      },
    },
  }
}
