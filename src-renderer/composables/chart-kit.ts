// What every chart shares: a categorical palette with enough distinct colours for every series,
// axes whose ticks sit at round values, a legend listing every series (drawn as HTML by ChartView,
// so it wraps and is never clipped), reference lines (random-init, scratch, chance) and a crosshair.
import type { Plugin } from 'chart.js'

/** One legend entry: a series (or a reference line) and how it is drawn. */
export interface LegendItem {
  /** The series' name, exactly as the chart names it. */
  label: string
  /** Its colour. */
  colour: string
  /** How it is drawn: a line, a dashed line (reference), a marker, a bar (interval). */
  shape: 'line' | 'dashed' | 'dotted' | 'marker' | 'bar'
}

/** A vertical (or horizontal) reference line drawn across the plot with its name. */
export interface ReferenceLine {
  /** Name shown in the legend and at the line. */
  label: string
  /** Position on the value axis. */
  value: number
  /** Colour. */
  colour: string
  /** Dash pattern. */
  dash: number[]
}

/** 12 categorical colours per theme, chosen to stay apart from each other (and 3:1 on the background). */
const PALETTE = {
  light: ['#2f6db5', '#d9822b', '#2e8b57', '#b0413e', '#7e57c2', '#00897b', '#c2185b', '#6d4c41', '#5a6b00', '#455a64', '#0277bd', '#8e24aa'],
  dark: ['#6ea8ff', '#ffb066', '#6fd39b', '#ff8a80', '#b39ddb', '#4dd0c4', '#f48fb1', '#d7b29d', '#c5d86d', '#b0bec5', '#4fc3f7', '#e1a0f0'],
} as const

/** n distinct colours: the palette, then evenly spread hues (golden angle) for any series beyond it. */
export function palette(n: number, theme: 'light' | 'dark' = 'light'): string[] {
  const base = PALETTE[theme]
  const out: string[] = base.slice(0, n)
  for (let i = base.length; i < n; i++) out.push(`hsl(${Math.round((i * 137.508) % 360)} ${theme === 'dark' ? '70% 70%' : '65% 38%'})`)
  return out
}

/** The active theme's name (read from the document; light outside a browser). */
export function currentTheme(): 'light' | 'dark' {
  return typeof document !== 'undefined' && document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light'
}

/** A step of 1, 2 or 5 times a power of ten that splits [lo, hi] into about `target` parts. */
export function niceStep(lo: number, hi: number, target = 5): number {
  const span = Math.max(hi - lo, 1e-9)
  const raw = span / target
  const pow = 10 ** Math.floor(Math.log10(raw))
  const m = raw / pow
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * pow
}

/** Axis bounds at round values around every value given (ticks then land on round numbers, ends included). */
export function niceAxis(values: readonly (number | null | undefined)[], opts: { floor?: number; ceil?: number; target?: number } = {}): { min: number; max: number; step: number } {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
  if (!xs.length) return { min: opts.floor ?? 0, max: opts.ceil ?? 1, step: 0.1 }
  const lo = Math.min(...xs)
  const hi = Math.max(...xs)
  const step = niceStep(lo, hi === lo ? lo + 0.01 : hi, opts.target ?? 5)
  const round = (v: number) => Number(v.toFixed(10))
  let min = round(Math.floor(lo / step) * step)
  let max = round(Math.ceil(hi / step) * step)
  if (max === min) max = round(min + step)
  if (opts.floor !== undefined) min = Math.max(min, opts.floor)
  if (opts.ceil !== undefined) max = Math.min(max, opts.ceil)
  return { min, max, step }
}

/** Draws reference lines across the plot on the value axis (`x` for horizontal charts) with a short label. */
export function referenceLinesPlugin(lines: readonly ReferenceLine[], axis: 'x' | 'y' = 'x'): Plugin {
  return {
    id: 'xlabReferenceLines',
    afterDatasetsDraw(chart) {
      const scale = chart.scales[axis]
      const area = chart.chartArea
      if (!scale || !area) return
      const ctx = chart.ctx
      for (const l of lines) {
        const p = scale.getPixelForValue(l.value)
        if (!Number.isFinite(p) || (axis === 'x' ? p < area.left || p > area.right : p < area.top || p > area.bottom)) continue
        ctx.save()
        ctx.strokeStyle = l.colour
        ctx.setLineDash(l.dash)
        ctx.lineWidth = 1.5
        ctx.beginPath()
        if (axis === 'x') {
          ctx.moveTo(p, area.top)
          ctx.lineTo(p, area.bottom)
        } else {
          ctx.moveTo(area.left, p)
          ctx.lineTo(area.right, p)
        }
        ctx.stroke()
        ctx.restore()
      }
    },
  }
}

/** A thin line under the pointer across the plot (the hover reads every series at that position). */
export const crosshairPlugin: Plugin = {
  id: 'xlabCrosshair',
  afterDraw(chart) {
    const active = chart.tooltip?.getActiveElements?.() ?? []
    const area = chart.chartArea
    if (!active.length || !area) return
    const horizontal = (chart.options as { indexAxis?: string }).indexAxis === 'y'
    const el = active[0]!.element as unknown as { x: number; y: number }
    const ctx = chart.ctx
    ctx.save()
    ctx.strokeStyle = String(chart.options.color ?? '#888')
    ctx.globalAlpha = 0.5
    ctx.lineWidth = 1
    ctx.beginPath()
    if (horizontal) {
      ctx.moveTo(area.left, el.y)
      ctx.lineTo(area.right, el.y)
    } else {
      ctx.moveTo(el.x, area.top)
      ctx.lineTo(el.x, area.bottom)
    }
    ctx.stroke()
    ctx.restore()
  },
}

/** The legend of a Chart.js config: every labelled dataset with its colour and how it is drawn. */
export function legendFromConfig(config: { type?: string; data: { datasets: readonly unknown[] } }): LegendItem[] {
  return config.data.datasets.flatMap((raw) => {
    const ds = raw as { label?: string; borderColor?: unknown; backgroundColor?: unknown; borderDash?: number[]; type?: string; hideFromLegend?: boolean; showLine?: boolean }
    if (!ds.label || ds.hideFromLegend) return []
    const pickColour = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : null)
    const type = ds.type ?? config.type
    const colour = (type === 'bar' ? pickColour(ds.backgroundColor) ?? pickColour(ds.borderColor) : pickColour(ds.borderColor) ?? pickColour(ds.backgroundColor)) ?? '#888'
    const shape: LegendItem['shape'] = type === 'bar' ? 'bar' : ds.showLine === false ? 'marker' : ds.borderDash?.length ? (ds.borderDash[0]! > 2 ? 'dashed' : 'dotted') : 'line'
    return [{ label: ds.label, colour, shape }]
  })
}
