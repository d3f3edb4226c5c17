// A chart as a file a researcher puts in a talk or a paper: its title above, the chart, and its
// legend below (the on-screen legend is HTML, so it is drawn again here), on the theme's solid
// background. PNG: the live chart's pixels at ratio 2. SVG: Chart.js draws the same config once
// more onto an SVG-writing 2D context (svg-context.ts), so every mark is a vector.
import { BasicPlatform, Chart, registerables, type ChartConfiguration, type Plugin } from 'chart.js'
import type { LegendItem } from './chart-kit.ts'
import { chartColors } from './theme.ts'
import { measureTextWidth, RecordedPath, SvgContext } from './svg-context.ts'

Chart.register(...registerables)

/** Colours and font of an exported chart. */
export interface ExportStyle {
  /** Page background (the theme's). */
  background: string
  /** Title and legend text. */
  text: string
  /** Font family of the title and legend. */
  fontFamily: string
}

/** The drawing calls the title and legend need: a canvas context or an SvgContext. */
type Ctx2D = Pick<CanvasRenderingContext2D, 'fillText' | 'fillRect' | 'beginPath' | 'moveTo' | 'lineTo' | 'stroke' | 'setLineDash' | 'save' | 'restore'> & {
  font: string; fillStyle: unknown; strokeStyle: unknown; lineWidth: number; textBaseline: string; textAlign: string
}

const TITLE_H = 26
const ROW_H = 18
const PAD = 8
const legendFont = (s: ExportStyle) => `12px ${s.fontFamily}`
const titleFont = (s: ExportStyle) => `600 14px ${s.fontFamily}`

/** Legend entries placed in rows that wrap within `width` (as the HTML legend wraps). */
export function layoutLegend(items: readonly LegendItem[], width: number, font: string): { item: LegendItem; x: number; row: number }[] {
  const out: { item: LegendItem; x: number; row: number }[] = []
  let x = PAD
  let row = 0
  for (const item of items) {
    const w = 24 + measureTextWidth(item.label, font) + 14
    if (x > PAD && x + w > width - PAD) {
      row++
      x = PAD
    }
    out.push({ item, x, row })
    x += w
  }
  return out
}

/** Height of the title and legend bands around a chart of this width. */
export function exportBands(items: readonly LegendItem[], width: number, style: ExportStyle): { top: number; bottom: number } {
  const rows = items.length ? Math.max(...layoutLegend(items, width, legendFont(style)).map((p) => p.row)) + 1 : 0
  return { top: TITLE_H, bottom: rows ? rows * ROW_H + PAD : 0 }
}

/** Draws the title at the top and the legend from `legendTop` down. */
export function drawTitleAndLegend(ctx: Ctx2D, title: string, items: readonly LegendItem[], width: number, legendTop: number, style: ExportStyle): void {
  ctx.save()
  ctx.fillStyle = style.text
  ctx.textBaseline = 'middle'
  ctx.textAlign = 'left'
  ctx.font = titleFont(style)
  ctx.fillText(title, PAD, TITLE_H / 2)
  ctx.font = legendFont(style)
  for (const { item, x, row } of layoutLegend(items, width, legendFont(style))) {
    const y = legendTop + PAD / 2 + row * ROW_H + ROW_H / 2
    ctx.fillStyle = item.colour
    ctx.strokeStyle = item.colour
    if (item.shape === 'marker') ctx.fillRect(x + 4, y - 5, 10, 10)
    else if (item.shape === 'bar') ctx.fillRect(x, y - 1.5, 18, 3)
    else {
      ctx.lineWidth = 3
      ctx.setLineDash(item.shape === 'dashed' ? [6, 3] : item.shape === 'dotted' ? [2, 3] : [])
      ctx.beginPath()
      ctx.moveTo(x, y)
      ctx.lineTo(x + 18, y)
      ctx.stroke()
      ctx.setLineDash([])
    }
    ctx.fillStyle = style.text
    ctx.fillText(item.label, x + 24, y)
  }
  ctx.restore()
}

/** The chart as an SVG document: Chart.js draws `config` (with its plugins) at `width` x `height`
 *  onto an SVG context, between the title and the legend. */
export function chartSvg(config: ChartConfiguration, plugins: Plugin[], size: { width: number; height: number }, title: string, legend: readonly LegendItem[], style: ExportStyle): string {
  const bands = exportBands(legend, size.width, style)
  const ctx = new SvgContext(size.width, bands.top + size.height + bands.bottom)
  ctx.fillStyle = style.background
  ctx.fillRect(0, 0, size.width, bands.top + size.height + bands.bottom)
  drawTitleAndLegend(ctx as unknown as Ctx2D, title, legend, size.width, bands.top + size.height, style)
  ctx.placeCanvas(bands.top, size.height)
  // Chart.js strokes lines through Path2D when the browser has it; while it draws here, Path2D is a
  // recorder the SVG context can read back (drawing is synchronous: nothing else runs meanwhile).
  const g = globalThis as { Path2D?: unknown }
  const realPath2D = g.Path2D
  g.Path2D = RecordedPath
  try {
    const options = config.options ?? {}
    const chart = new Chart(ctx as unknown as CanvasRenderingContext2D, {
      ...config,
      platform: BasicPlatform,
      plugins,
      options: { ...options, responsive: false, maintainAspectRatio: false, animation: false, devicePixelRatio: 1, events: [], plugins: { ...options.plugins, legend: { display: false }, tooltip: { enabled: false } } },
    } as ChartConfiguration)
    chart.destroy()
  } finally {
    g.Path2D = realPath2D
  }
  return ctx.toSvg()
}

/** The PNG: the chart's canvas (already drawn at the export ratio) between the title and the legend. */
export function chartPng(chartCanvas: HTMLCanvasElement, size: { width: number; height: number }, ratio: number, title: string, legend: readonly LegendItem[], style: ExportStyle): string {
  const bands = exportBands(legend, size.width, style)
  const out = document.createElement('canvas')
  out.width = Math.round(size.width * ratio)
  out.height = Math.round((bands.top + size.height + bands.bottom) * ratio)
  const ctx = out.getContext('2d')!
  // Every device pixel filled (the rounded canvas may be a pixel wider than the scaled chart): no transparent edge.
  ctx.fillStyle = style.background
  ctx.fillRect(0, 0, out.width, out.height)
  ctx.scale(ratio, ratio)
  drawTitleAndLegend(ctx, title, legend, size.width, bands.top + size.height, style)
  ctx.drawImage(chartCanvas, 0, bands.top, size.width, size.height)
  return out.toDataURL('image/png')
}

/** The export style of the current theme (colours) and the page's font. */
export function themeExportStyle(): ExportStyle {
  const c = chartColors()
  return { background: c.background, text: c.text, fontFamily: getComputedStyle(document.body).fontFamily || 'sans-serif' }
}

/** Fills a chart's canvas with the theme's background before anything is drawn (screen and export
 *  alike: a transparent PNG is unreadable on a dark slide). */
export const solidBackgroundPlugin: Plugin = {
  id: 'xlabSolidBackground',
  beforeDraw(c) {
    const ctx = c.ctx
    ctx.save()
    ctx.globalCompositeOperation = 'destination-over'
    ctx.fillStyle = chartColors().background
    ctx.fillRect(0, 0, c.width, c.height)
    ctx.restore()
  },
}

/** A live chart as a PNG data URL: drawn again at device pixel ratio 2, taken with its title and
 *  legend, then put back at the screen's ratio. */
export function livePng(chart: Chart, title: string, legend: readonly LegendItem[]): string {
  const screenRatio = chart.options.devicePixelRatio
  chart.options.devicePixelRatio = 2
  chart.resize()
  const url = chartPng(chart.canvas, { width: chart.width, height: chart.height }, 2, title, legend, themeExportStyle())
  chart.options.devicePixelRatio = screenRatio
  chart.resize()
  return url
}
