// A run's live curves for the Runs view, drawn against optimiser steps: the engine's throttled
// `train_step` points (loss, learning rate, images/s every few steps, engine/xlab/live.py) and the
// validation points at their interval; the data passes done (epochs) are a secondary x axis.
// Runs without live points (older runs, linear probes) fall back to their per-round `train` points.
// Pure functions: the component (LiveCurves.vue) owns the Chart.js instance.
import type { ChartConfiguration, InteractionItem, InteractionModeFunction, Scale } from 'chart.js'
import type { CurvePoint } from './curves.ts'
import { metricInfo, metricLabel, type CurveGroup } from './metric-names.ts'

declare module 'chart.js' {
  interface InteractionModeMap {
    /** One item per visible dataset, its point nearest the pointer's x (the crosshair tooltip; registered by LiveCurves.vue). */
    eachNearestX: InteractionModeFunction
  }
}

/** The tooltip's interaction mode: of every visible series, the point whose x is nearest the pointer's. */
export const eachNearestX: InteractionModeFunction = (chart, e) => {
  const items: InteractionItem[] = []
  if (e.x === null) return items
  const x = e.x
  chart.data.datasets.forEach((_, datasetIndex) => {
    if (!chart.isDatasetVisible(datasetIndex)) return
    let best: InteractionItem | undefined
    chart.getDatasetMeta(datasetIndex).data.forEach((element, index) => {
      if (!best || Math.abs(element.x - x) < Math.abs(best.element.x - x)) best = { element, datasetIndex, index }
    })
    if (best) items.push(best)
  })
  return items
}

/** The split of the engine's live training points. */
export const LIVE_SPLIT = 'train_step'
/** Values of a live point that are not curves: the data passes done (the secondary axis). */
const AXIS_ONLY = new Set(['epochs'])

/** One curve of one run, by step. */
export interface StepSeries {
  /** Run id. */
  runId: string
  /** Run name (legend). */
  runName: string
  /** 'train' or 'val'. */
  split: 'train' | 'val'
  /** Metric identifier. */
  name: string
  /** Chart group the metric belongs to. */
  group: CurveGroup
  /** Points by step: x = global optimiser step. */
  points: { x: number; y: number }[]
}

/** A run's stored and live points ("split/name" -> points), as the runs store keeps them. */
export type RunCurves = Record<string, CurvePoint[]>

const byStep = (pts: readonly CurvePoint[]) => [...pts].sort((a, b) => a.step - b.step).map((p) => ({ x: p.step, y: p.y }))

/** The step curves of one run: live train points where there are any, else the per-round train
 *  points; validation points as they are. */
export function stepSeries(runId: string, runName: string, curves: RunCurves): StepSeries[] {
  const keys = Object.keys(curves)
  const live = keys.some((k) => k.startsWith(`${LIVE_SPLIT}/`))
  const out: StepSeries[] = []
  for (const key of keys.sort()) {
    const [split, ...rest] = key.split('/')
    const name = rest.join('/')
    const pts = curves[key] ?? []
    if (!pts.length || AXIS_ONLY.has(name)) continue
    const trainLike = live ? split === LIVE_SPLIT : split === 'train'
    if (!trainLike && split !== 'val') continue
    out.push({ runId, runName, split: trainLike ? 'train' : 'val', name, group: metricInfo(name).group, points: byStep(pts) })
  }
  return out
}

/** Step -> data passes of a run, from its live points (empty when it has none). */
export function epochMap(curves: RunCurves): { step: number; epochs: number }[] {
  return [...(curves[`${LIVE_SPLIT}/epochs`] ?? [])].sort((a, b) => a.step - b.step).map((p) => ({ step: p.step, epochs: p.y }))
}

/** Data passes at a step, interpolated linearly between the live points (0 at step 0). */
export function epochsAt(map: readonly { step: number; epochs: number }[], step: number): number {
  let prev = { step: 0, epochs: 0 }
  for (const p of map) {
    if (p.step >= step) return p.step === prev.step ? p.epochs : prev.epochs + ((step - prev.step) / (p.step - prev.step)) * (p.epochs - prev.epochs)
    prev = p
  }
  const last = map[map.length - 1]
  const first = map.find((p) => p.step > 0)
  return last && first ? (step * last.epochs) / last.step : 0
}

/** Steps at round epoch values between two steps (the secondary axis's ticks): whole passes, or
 *  quarters, tenths... when the run covers less than a few passes. */
export function epochTicks(map: readonly { step: number; epochs: number }[], minStep: number, maxStep: number): { step: number; epochs: number }[] {
  if (map.length < 2 || maxStep <= minStep) return []
  const lo = epochsAt(map, minStep)
  const hi = epochsAt(map, maxStep)
  const span = hi - lo
  if (!(span > 0)) return []
  const raw = span / 6
  const unit = [0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100].find((u) => u >= raw) ?? Math.ceil(raw)
  const ticks: { step: number; epochs: number }[] = []
  for (let e = Math.ceil(lo / unit) * unit; e <= hi + 1e-9; e += unit) ticks.push({ step: stepAtEpochs(map, e), epochs: Number(e.toFixed(2)) })
  return ticks
}

function stepAtEpochs(map: readonly { step: number; epochs: number }[], epochs: number): number {
  let prev = { step: 0, epochs: 0 }
  for (const p of map) {
    if (p.epochs >= epochs) return p.epochs === prev.epochs ? p.step : prev.step + ((epochs - prev.epochs) / (p.epochs - prev.epochs)) * (p.step - prev.step)
    prev = p
  }
  const last = map[map.length - 1]!
  return (epochs * last.step) / last.epochs
}

/** Exponential moving average with TensorBoard's debiasing (the first points are not pulled to 0);
 *  `weight` 0 returns the points unchanged, 0.99 smooths hard. */
export function ema(points: readonly { x: number; y: number }[], weight: number): { x: number; y: number }[] {
  if (!(weight > 0)) return points.map((p) => ({ ...p }))
  let last = 0
  let n = 0
  return points.map((p) => {
    last = last * weight + (1 - weight) * p.y
    n++
    return { x: p.x, y: last / (1 - weight ** n) }
  })
}

/** Options of the live charts. */
export interface LiveChartOptions {
  /** EMA weight in [0, 1): 0 draws the raw curves only. */
  smoothing: number
  /** Logarithmic y axis. */
  logY: boolean
  /** Series colours of the theme. */
  colours: readonly string[]
  /** Muted colour (the crosshair). */
  muted: string
  /** Step -> epochs of the run the secondary axis follows (empty: no secondary axis). */
  epochs: readonly { step: number; epochs: number }[]
  /** Zoomed x range (steps), null for all. */
  range: { min: number; max: number } | null
}

/** Chart.js config of one group: x = optimiser step (bottom), epochs (top); one colour per run
 *  (per metric when a single run is shown), train dashed and validation solid; with smoothing a
 *  train curve's raw points stay faint beside its EMA. */
export function liveChartConfig(series: readonly StepSeries[], o: LiveChartOptions): ChartConfiguration<'line'> {
  const runs = [...new Set(series.map((s) => s.runId))]
  const names = [...new Set(series.map((s) => s.name))]
  const datasets: ChartConfiguration<'line'>['data']['datasets'] = []
  for (const s of series) {
    const colour = o.colours[(runs.length > 1 ? runs.indexOf(s.runId) : names.indexOf(s.name)) % o.colours.length]!
    const label = `${runs.length > 1 ? `${s.runName} · ` : ''}${s.split === 'val' ? 'validation' : 'train'} ${metricLabel(s.name)}`
    const dash = s.split === 'train' ? [5, 4] : []
    const pointRadius = s.points.length < 40 ? 2.5 : 0
    // Smoothing is for the dense live training curves; validation points are few and drawn as they are.
    const smooth = o.smoothing > 0 && s.split === 'train' && s.points.length > 2
    if (smooth) datasets.push({ label: `${label} (raw)`, data: s.points, borderColor: `${colour}55`, backgroundColor: `${colour}55`, borderDash: dash, borderWidth: 1, pointRadius: 0 })
    datasets.push({ label: smooth ? `${label} (EMA ${o.smoothing})` : label, data: smooth ? ema(s.points, o.smoothing) : s.points, borderColor: colour, backgroundColor: colour, borderDash: dash, borderWidth: 1.8, pointRadius })
  }
  const map = o.epochs
  // Both x axes get the same explicit bounds (the zoom, else the data's extent), so the top axis never
  // depends on the order Chart.js lays the two out in.
  const xs = series.flatMap((s) => s.points.map((p) => p.x))
  const lo = Math.min(...xs)
  const hi = Math.max(...xs)
  // A single step (a run's first point, a one-round run) gets a step either side, or nothing is drawn.
  const bounds = o.range ?? (xs.length ? (hi > lo ? { min: lo, max: hi } : { min: Math.max(0, lo - 1), max: hi + 1 }) : null)
  return {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      animation: false,
      interaction: { mode: 'eachNearestX', intersect: false },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'optimiser step' }, ticks: { precision: 0 }, ...(bounds ?? {}) },
        ...(map.length > 1
          ? {
              epochs: {
                type: 'linear',
                position: 'top',
                title: { display: true, text: 'epochs (data passes)' },
                grid: { drawOnChartArea: false },
                ...(bounds ?? {}),
                afterBuildTicks: (axis: Scale) => {
                  axis.ticks = epochTicks(map, axis.min, axis.max).map((t) => ({ value: t.step }))
                },
                ticks: { callback: (v: number | string) => String(Number(epochsAt(map, Number(v)).toFixed(2))) },
              },
            }
          : {}),
        y: { type: o.logY ? 'logarithmic' : 'linear' },
      },
      // The legend is HTML under the chart (LiveCurves.vue): it wraps instead of being clipped.
      plugins: { legend: { display: false }, tooltip: { mode: 'eachNearestX', intersect: false, position: 'nearest' } },
    },
  }
}

/** Charts in the Runs view's order: loss, accuracy-like, throughput, learning rate, others. */
const ORDER: CurveGroup[] = ['loss', 'quality', 'throughput', 'learning rate', 'other']
const TITLES: Record<CurveGroup, string> = { loss: 'Loss', quality: 'Validation metrics', throughput: 'Throughput (images/s)', 'learning rate': 'Learning rate', other: 'Other metrics' }

/** Series grouped into charts (empty groups left out). */
export function groupStepSeries(series: readonly StepSeries[]): { group: CurveGroup; title: string; series: StepSeries[] }[] {
  return ORDER.map((group) => ({ group, title: TITLES[group], series: series.filter((s) => s.group === group) })).filter((g) => g.series.length > 0)
}
