// A run's curves as charts: one chart per metric group (loss, accuracy-like, throughput, learning
// rate), x in epochs (every job kind reports one train and one val point per epoch; test values are
// one number each, shown in a table, not drawn as curves), train dashed and validation solid,
// several runs overlaid in their own colours.
import { currentTheme, palette } from './chart-kit.ts'
import type { ChartConfiguration } from 'chart.js'
import { CURVE_GROUPS, GROUP_TITLES, metricInfo, metricLabel, type CurveGroup } from './metric-names.ts'

/** One point of a stored or live curve. */
export interface CurvePoint {
  /** Epoch the value belongs to (from 1; the x of every curve). */
  x: number
  /** Global step the worker reported with it. */
  step: number
  /** Metric value. */
  y: number
}

/** One series: a metric of one split of one run. */
export interface CurveSeries {
  /** Run id. */
  runId: string
  /** Run name (legend). */
  runName: string
  /** train / val. */
  split: string
  /** Metric identifier. */
  name: string
  /** Points ordered by x. */
  points: CurvePoint[]
}

/** Splits drawn as curves; test values are single numbers. */
const CURVE_SPLITS = new Set(['train', 'val'])

/** Series per run from its "split/name" -> points map. */
export function seriesOf(runId: string, runName: string, curves: Record<string, CurvePoint[]>): CurveSeries[] {
  return Object.entries(curves).map(([key, points]) => {
    const [split, ...rest] = key.split('/')
    return { runId, runName, split: split!, name: rest.join('/'), points: [...points].sort((a, b) => a.x - b.x || a.step - b.step) }
  })
}

/** Curve series grouped into charts, in the fixed group order; empty groups left out. */
export function groupCurves(series: readonly CurveSeries[]): { group: CurveGroup; title: string; series: CurveSeries[] }[] {
  return CURVE_GROUPS.map((group) => ({ group, title: GROUP_TITLES[group], series: series.filter((s) => CURVE_SPLITS.has(s.split) && s.points.length > 0 && metricInfo(s.name).group === group) })).filter((g) => g.series.length > 0)
}

/** The last test value of each metric of a run (a table beside the curves). */
export function testValues(series: readonly CurveSeries[]): { runName: string; name: string; label: string; value: number }[] {
  return series.filter((s) => s.split === 'test' && s.points.length).map((s) => ({ runName: s.runName, name: s.name, label: metricLabel(s.name), value: s.points[s.points.length - 1]!.y }))
}

const POINT_STYLES = ['circle', 'triangle', 'rect', 'star', 'crossRot', 'rectRot'] as const

/** Chart.js config of one group: every series in its own colour (runs beyond the palette get spread
 *  hues), several runs' metrics also told apart by point shape; train dashed, validation solid. */
export function curveChartConfig(series: readonly CurveSeries[], colours: readonly string[]): ChartConfiguration {
  const runs = [...new Set(series.map((s) => s.runId))]
  const names = [...new Set(series.map((s) => s.name))]
  const all = colours.length >= series.length ? colours : palette(series.length, currentTheme())
  return {
    type: 'line',
    data: {
      datasets: series.map((s, i) => {
        const colour = all[i]!
        return {
          label: `${runs.length > 1 ? `${s.runName} · ` : ''}${s.split === 'val' ? 'validation' : 'train'} ${metricLabel(s.name)}`,
          data: s.points.map((p) => ({ x: p.x, y: p.y })),
          borderColor: colour,
          backgroundColor: colour,
          borderDash: s.split === 'train' ? [5, 4] : [],
          pointRadius: s.points.length < 40 ? 3 : 0,
          pointStyle: runs.length > 1 ? POINT_STYLES[names.indexOf(s.name) % POINT_STYLES.length] : s.split === 'train' ? 'rectRot' : 'circle',
          borderWidth: 1.8,
        }
      }),
    },
    options: { parsing: false, scales: { x: { type: 'linear', title: { display: true, text: 'epoch' }, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } },
  }
}

/** Distinct x values of each series (the e2e check: more than one per metric once two epochs ran). */
export const distinctX = (s: CurveSeries): number => new Set(s.points.map((p) => p.x)).size
