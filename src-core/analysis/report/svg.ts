// Inline SVG charts for the static report: no scripts, no external resources, readable when printed.

/** Escapes text for HTML and SVG content and attribute values. */
export function esc(s: unknown): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

const fmt = (x: number | null | undefined, digits = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits))

// A perceptually ordered blue-to-yellow ramp (viridis stops), so heatmaps read without a legend key.
const STOPS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
]

/** Colour of t in [0, 1] on the ramp. */
export function ramp(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1)
  const i = Math.min(STOPS.length - 2, Math.floor(x))
  const f = x - i
  const c = STOPS[i]!.map((v, k) => Math.round(v + (STOPS[i + 1]![k]! - v) * f))
  return `rgb(${c[0]},${c[1]},${c[2]})`
}

const textColour = (t: number) => (t > 0.6 ? '#111' : '#fff')

/** A labelled grid of coloured cells with their values printed. */
export function heatmap(opts: {
  title: string
  rows: string[]
  cols: string[]
  values: (number | null)[][]
  min?: number
  max?: number
  digits?: number
}): string {
  const flat = opts.values.flat().filter((v): v is number => v !== null && Number.isFinite(v))
  const min = opts.min ?? Math.min(...flat)
  const max = opts.max ?? Math.max(...flat)
  const span = max > min ? max - min : 1
  const labelW = Math.max(80, ...opts.rows.map((r) => r.length * 7 + 10))
  // Wide enough for the longest column label, but capped so ten columns still fit a page.
  const cellW = Math.min(92, Math.max(60, ...opts.cols.map((c) => c.length * 6.2 + 8)))
  const cellH = 30
  const top = 44
  const w = Math.max(labelW + cellW * opts.cols.length + 10, opts.title.length * 8.4 + 12)
  const h = top + cellH * opts.rows.length + 10
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(opts.title)}">`]
  parts.push(`<text x="4" y="14" class="t">${esc(opts.title)}</text>`)
  opts.cols.forEach((c, j) => parts.push(`<text x="${labelW + cellW * j + cellW / 2}" y="${top - 8}" text-anchor="middle" class="l"${c.length * 6.2 + 8 > cellW ? ` textLength="${cellW - 6}" lengthAdjust="spacingAndGlyphs"` : ''}>${esc(c)}</text>`))
  opts.rows.forEach((r, i) => {
    const y = top + cellH * i
    parts.push(`<text x="${labelW - 6}" y="${y + cellH / 2 + 4}" text-anchor="end" class="l">${esc(r)}</text>`)
    opts.cols.forEach((_, j) => {
      const v = opts.values[i]?.[j] ?? null
      const x = labelW + cellW * j
      if (v === null || !Number.isFinite(v)) {
        parts.push(`<rect x="${x}" y="${y}" width="${cellW - 2}" height="${cellH - 2}" fill="#eee"/><text x="${x + cellW / 2}" y="${y + cellH / 2 + 4}" text-anchor="middle" class="v" fill="#888">–</text>`)
        return
      }
      const t = (v - min) / span
      parts.push(`<rect x="${x}" y="${y}" width="${cellW - 2}" height="${cellH - 2}" fill="${ramp(t)}"><title>${esc(`${r} / ${opts.cols[j]}: ${fmt(v, 4)}`)}</title></rect>`)
      parts.push(`<text x="${x + cellW / 2 - 1}" y="${y + cellH / 2 + 4}" text-anchor="middle" class="v" fill="${textColour(t)}">${fmt(v, opts.digits ?? 3)}</text>`)
    })
  })
  parts.push('</svg>')
  return parts.join('')
}

/** Round tick values (1, 2 or 5 times a power of ten) inside [min, max]. */
export function niceTicks(min: number, max: number, target = 5): number[] {
  const raw = (max - min) / target
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag
  const ticks: number[] = []
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v)
  return ticks
}

/** One bar with its interval. */
export interface BarItem {
  /** Label left of the bar. */
  label: string
  /** Bar length. */
  value: number | null
  /** Interval lower bound. */
  lo: number | null
  /** Interval upper bound. */
  hi: number | null
  /** Optional fill colour. */
  colour?: string
}

/**
 * The axis range of a bar chart: the preferred `min`/`max` where every value and interval bound
 * fits inside, else widened to the data (to a round step), so no bar or whisker is ever clipped or
 * drawn over the row labels.
 */
export function barAxis(values: readonly number[], prefMin?: number, prefMax?: number): { min: number; max: number } {
  let min = Math.min(prefMin ?? 0, ...values)
  let max = Math.max(prefMax ?? 0, ...values)
  if (!(max > min)) {
    min -= 0.5
    max += 0.5
  }
  if (prefMin === undefined || min < prefMin || prefMax === undefined || max > prefMax) {
    // Widened to the data: snap outwards to the tick step so the axis ends on a labelled value.
    const ticks = niceTicks(min, max)
    const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : (max - min) / 4
    if (prefMin === undefined || min < prefMin) min = Math.floor(min / step + 1e-9) * step
    if (prefMax === undefined || max > prefMax) max = Math.ceil(max / step - 1e-9) * step
  }
  return { min, max }
}

/** Horizontal bars with interval whiskers; `zero` draws the reference line (0 for differences). */
export function barsWithIntervals(opts: { title: string; items: BarItem[]; min?: number; max?: number; zero?: number; digits?: number }): string {
  const vals = opts.items.flatMap((b) => [b.value, b.lo, b.hi]).filter((v): v is number => v !== null && Number.isFinite(v))
  const { min, max } = barAxis(vals, opts.min, opts.max)
  const labelW = Math.max(100, ...opts.items.map((b) => b.label.length * 6.6 + 10))
  const plotW = 360
  const rowH = 22
  const top = 30
  const w = Math.max(labelW + plotW + 150, opts.title.length * 8.4 + 12)
  const h = top + rowH * opts.items.length + 26
  const xOf = (v: number) => labelW + ((v - min) / (max - min)) * plotW
  const base = opts.zero ?? (min <= 0 && max >= 0 ? 0 : min)
  const p: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(opts.title)}">`]
  p.push(`<text x="4" y="14" class="t">${esc(opts.title)}</text>`)
  for (const v of niceTicks(min, max)) {
    const x = xOf(v)
    p.push(`<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${h - 22}" stroke="#ddd"/><text x="${x}" y="${h - 8}" text-anchor="middle" class="l">${Number(v.toPrecision(6))}</text>`)
  }
  opts.items.forEach((b, i) => {
    const y = top + rowH * i
    p.push(`<text x="${labelW - 6}" y="${y + 14}" text-anchor="end" class="l">${esc(b.label)}</text>`)
    if (b.value !== null && Number.isFinite(b.value)) {
      const x0 = xOf(Math.min(base, b.value))
      const x1 = xOf(Math.max(base, b.value))
      p.push(`<rect x="${x0}" y="${y + 4}" width="${Math.max(1, x1 - x0)}" height="${rowH - 8}" fill="${b.colour ?? '#5b8fd9'}"><title>${esc(`${b.label}: ${fmt(b.value, 4)} [${fmt(b.lo, 4)}, ${fmt(b.hi, 4)}]`)}</title></rect>`)
    }
    if (b.lo !== null && b.hi !== null && Number.isFinite(b.lo) && Number.isFinite(b.hi)) {
      const yc = y + rowH / 2
      p.push(`<line x1="${xOf(b.lo)}" y1="${yc}" x2="${xOf(b.hi)}" y2="${yc}" stroke="#222" stroke-width="1.5"/><line x1="${xOf(b.lo)}" y1="${yc - 5}" x2="${xOf(b.lo)}" y2="${yc + 5}" stroke="#222"/><line x1="${xOf(b.hi)}" y1="${yc - 5}" x2="${xOf(b.hi)}" y2="${yc + 5}" stroke="#222"/>`)
    }
    const interval = b.lo !== null && b.hi !== null ? ` [${fmt(b.lo, 2)}, ${fmt(b.hi, 2)}]` : ''
    p.push(`<text x="${labelW + plotW + 8}" y="${y + 14}" class="l">${fmt(b.value, opts.digits ?? 3)}${interval}</text>`)
  })
  if (opts.zero !== undefined && opts.zero >= min && opts.zero <= max) p.push(`<line x1="${xOf(opts.zero)}" y1="${top - 4}" x2="${xOf(opts.zero)}" y2="${h - 22}" stroke="#c33" stroke-dasharray="4 3"/>`)
  p.push('</svg>')
  return p.join('')
}

/** A confusion matrix: counts printed, colour by row share (recall view). */
export function confusionChart(title: string, classNames: string[], m: number[][]): string {
  const shares = m.map((row) => {
    const s = row.reduce((a, b) => a + b, 0)
    return row.map((v) => (s ? v / s : null))
  })
  const svg = heatmap({ title, rows: classNames.map((c) => `true ${c}`), cols: classNames.map((c) => `pred ${c}`), values: shares, min: 0, max: 1, digits: 2 })
  // Replace the printed shares with "count (share)" so both read at a glance.
  let i = 0
  const flat = m.flat()
  return svg.replace(/<text([^>]*class="v"[^>]*)>([^<]*)<\/text>/g, (_all, attrs: string, txt: string) => {
    const count = flat[i++]
    return `<text${attrs}>${count ?? ''}${txt === '–' ? '' : ` (${txt})`}</text>`
  })
}

const LINE_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b']

/** ROC curves (one per class) with the chance diagonal. */
export function rocChart(title: string, curves: { name: string; fpr: number[]; tpr: number[]; auc: number | null }[]): string {
  const size = 220
  const left = 40
  const top = 26
  const w = left + size + 190
  const h = top + size + 40
  const x = (v: number) => left + v * size
  const y = (v: number) => top + (1 - v) * size
  const p: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(title)}">`]
  p.push(`<text x="4" y="14" class="t">${esc(title)}</text>`)
  p.push(`<rect x="${left}" y="${top}" width="${size}" height="${size}" fill="none" stroke="#999"/>`)
  p.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#bbb" stroke-dasharray="4 3"/>`)
  for (const v of [0, 0.5, 1]) {
    p.push(`<text x="${x(v)}" y="${top + size + 14}" text-anchor="middle" class="l">${v}</text><text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" class="l">${v}</text>`)
  }
  p.push(`<text x="${left + size / 2}" y="${top + size + 30}" text-anchor="middle" class="l">false positive rate</text>`)
  curves.forEach((c, i) => {
    const colour = LINE_COLOURS[i % LINE_COLOURS.length]
    const pts = c.fpr.map((f, k) => `${x(f).toFixed(1)},${y(c.tpr[k]!).toFixed(1)}`).join(' ')
    p.push(`<polyline points="${pts}" fill="none" stroke="${colour}" stroke-width="2"/>`)
    p.push(`<line x1="${left + size + 14}" y1="${top + 10 + i * 18}" x2="${left + size + 30}" y2="${top + 10 + i * 18}" stroke="${colour}" stroke-width="3"/><text x="${left + size + 36}" y="${top + 14 + i * 18}" class="l">${esc(c.name)} AUC ${fmt(c.auc)}</text>`)
  })
  p.push('</svg>')
  return p.join('')
}
