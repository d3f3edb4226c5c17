// The research-tool controls every Results and Compare chart shares (ChartView): zoom to a range of
// the value axis with reset, EMA smoothing beside the raw curve, a log scale where values span
// decades. Pure functions from a chart's config and the controls' state to the config drawn, so
// the screen, the PNG and the SVG show the same thing. Smoothing and the hover that reads every
// series are the Runs view's (live-curves.ts), reused here.
import type { ChartConfiguration } from 'chart.js'
import { niceAxis, niceStep } from './chart-kit.ts'
import { ema } from './live-curves.ts'

/** Which controls a chart offers. */
export interface ChartTools {
  /** The axis a drag (or Zoom in/out) narrows; false: no zoom (a chart of categories only). Default 'x'. */
  zoom?: 'x' | 'y' | false
  /** The axis the "log scale" switch turns logarithmic; absent: no switch. */
  log?: 'x' | 'y'
  /** Offer EMA smoothing (charts of curves over epochs or steps). */
  smooth?: boolean
}

/** The controls' state. */
export interface ChartToolState {
  /** The zoomed range of the zoom axis; null: everything. */
  range: { min: number; max: number } | null
  /** EMA weight (0: off). */
  smoothing: number
  /** The log switch. */
  log: boolean
}

export const TOOLS_OFF: ChartToolState = { range: null, smoothing: 0, log: false }
/** Smoothing weights offered (as in the Runs view). */
export const SMOOTHING_WEIGHTS = [0, 0.6, 0.8, 0.9, 0.95] as const

type Scales = Record<string, Record<string, unknown> & { ticks?: Record<string, unknown> }>
type AnyDataset = { label?: string; data: unknown[]; borderColor?: unknown; hideFromLegend?: boolean; type?: string }

/** Values of a point on an axis: {x, y} points, plain numbers (on the value axis), floating bars [lo, hi]. */
function valuesOn(point: unknown, axis: 'x' | 'y', valueAxis: 'x' | 'y'): number[] {
  if (typeof point === 'number') return axis === valueAxis ? [point] : []
  if (Array.isArray(point)) return axis === valueAxis ? point.filter((v): v is number => typeof v === 'number') : []
  if (point && typeof point === 'object') {
    const v = (point as Record<string, unknown>)[axis]
    return typeof v === 'number' ? [v] : []
  }
  return []
}

/** The extent of an axis as drawn: its configured min/max, else the data's. Null when the axis holds no numbers (categories). */
export function axisExtent(config: ChartConfiguration, axis: 'x' | 'y'): { min: number; max: number } | null {
  const scale = ((config.options?.scales ?? {}) as Scales)[axis] ?? {}
  const valueAxis = (config.options as { indexAxis?: string } | undefined)?.indexAxis === 'y' ? 'x' : 'y'
  const xs = (config.data.datasets as AnyDataset[]).flatMap((d) => d.data.flatMap((p) => valuesOn(p, axis, valueAxis)))
  const lo = typeof scale.min === 'number' ? scale.min : xs.length ? Math.min(...xs) : null
  const hi = typeof scale.max === 'number' ? scale.max : xs.length ? Math.max(...xs) : null
  return lo !== null && hi !== null && hi > lo ? { min: lo, max: hi } : null
}

/** A dragged or stepped range, widened to round values so the ticks stay round (Observable Plot's rule). */
export function roundRange(a: number, b: number, log = false): { min: number; max: number } | null {
  const [lo, hi] = a < b ? [a, b] : [b, a]
  if (!(hi > lo)) return null
  if (log) return lo > 0 ? { min: lo, max: hi } : null
  const r = niceAxis([lo, hi], { target: 5 })
  return { min: r.min, max: r.max }
}

/** The range after zooming in (factor < 1) or out (> 1) about the middle of the current one. */
export function zoomBy(current: { min: number; max: number }, factor: number, log = false): { min: number; max: number } | null {
  if (log && current.min > 0) {
    const mid = Math.sqrt(current.min * current.max)
    const half = Math.sqrt(current.max / current.min) ** factor
    return { min: mid / half, max: mid * half }
  }
  const mid = (current.min + current.max) / 2
  const half = ((current.max - current.min) / 2) * factor
  return roundRange(mid - half, mid + half)
}

/** The config drawn with the controls applied; the input is never changed. */
export function withTools(config: ChartConfiguration, tools: ChartTools, state: ChartToolState): ChartConfiguration {
  const scales: Scales = { ...((config.options?.scales ?? {}) as Scales) }
  const zoomAxis = tools.zoom === undefined ? 'x' : tools.zoom
  const logOn = !!tools.log && state.log
  if (logOn) {
    const s = { ...(scales[tools.log!] ?? {}) }
    s.type = 'logarithmic'
    // A log axis cannot reach 0: bounds at or below 0 are left to the data; round linear steps no longer apply.
    if (typeof s.min === 'number' && s.min <= 0) delete s.min
    if (typeof s.max === 'number' && s.max <= 0) delete s.max
    if (s.ticks) s.ticks = { ...s.ticks, stepSize: undefined }
    scales[tools.log!] = s
  }
  if (zoomAxis && state.range) {
    const s: Scales[string] = { ...(scales[zoomAxis] ?? {}), min: state.range.min, max: state.range.max }
    const log = s.type === 'logarithmic'
    if (!log && !s.afterBuildTicks) s.ticks = { ...(s.ticks ?? {}), stepSize: niceStep(state.range.min, state.range.max) }
    scales[zoomAxis] = s
  }
  let datasets = config.data.datasets as AnyDataset[]
  if (tools.smooth && state.smoothing > 0) {
    datasets = datasets.flatMap((d) => {
      const pts = d.data as { x: number; y: number }[]
      const curve = pts.length > 2 && pts.every((p) => p && typeof p === 'object' && typeof p.x === 'number' && typeof p.y === 'number')
      if (!curve) return [d]
      const colour = typeof d.borderColor === 'string' ? d.borderColor : '#888888'
      // The raw curve stays, faint and out of the legend: smoothing is shown beside the data, never instead of it.
      const faint = colour.startsWith('#') && colour.length === 7 ? `${colour}55` : colour
      return [
        { ...d, label: `${d.label ?? ''} (raw)`, borderColor: faint, backgroundColor: faint, borderWidth: 1, pointRadius: 0, hideFromLegend: true },
        { ...d, label: `${d.label ?? ''} (EMA ${state.smoothing})`, data: ema(pts, state.smoothing) },
      ]
    })
  }
  return { ...config, data: { ...config.data, datasets: datasets as ChartConfiguration['data']['datasets'] }, options: { ...config.options, scales: scales as NonNullable<ChartConfiguration['options']>['scales'] } }
}
