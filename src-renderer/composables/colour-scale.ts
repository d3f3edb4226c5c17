// A colour-blind-safe sequential scale (viridis stops) shared by every heatmap of a view, mapped so
// that the "good" end is always the same colour (direction-aware: for a loss, low is good), with
// a text colour per cell chosen for a WCAG contrast of at least 4.5:1.

/** Viridis at 9 stops (perceptually uniform, readable with every common colour-vision deficiency). */
const STOPS: [number, number, number][] = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142], [31, 158, 137], [53, 183, 121], [109, 205, 89], [253, 231, 37],
]

/** A scale over a value domain. */
export interface ColourScale {
  /** Smallest value of the domain. */
  min: number
  /** Largest value. */
  max: number
  /** Whether larger values are better (they get the bright end). */
  higherIsBetter: boolean
}

/** The [0, 1] position of a value: 1 is the best end. */
export function goodness(v: number, s: ColourScale): number {
  const t = s.max > s.min ? (v - s.min) / (s.max - s.min) : 1
  const c = Math.min(1, Math.max(0, t))
  return s.higherIsBetter ? c : 1 - c
}

/** RGB of a position in [0, 1] along the scale. */
export function rgbAt(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1)
  const i = Math.min(STOPS.length - 2, Math.floor(x))
  const f = x - i
  const a = STOPS[i]!
  const b = STOPS[i + 1]!
  return [0, 1, 2].map((k) => Math.round(a[k]! + (b[k]! - a[k]!) * f)) as [number, number, number]
}

const css = ([r, g, b]: [number, number, number]) => `rgb(${r}, ${g}, ${b})`

function luminance([r, g, b]: [number, number, number]): number {
  const lin = (c: number) => {
    const s = c / 255
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
  }
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/** WCAG contrast ratio of two colours. */
export function contrast(a: [number, number, number], b: [number, number, number]): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number]
  return (x + 0.05) / (y + 0.05)
}

const WHITE: [number, number, number] = [255, 255, 255]
const BLACK: [number, number, number] = [0, 0, 0]

/** Background and text colour of a cell holding value v (text: black or white, whichever contrasts more). */
export function cellColours(v: number, s: ColourScale): { background: string; color: string; rgb: [number, number, number]; text: [number, number, number] } {
  const rgb = rgbAt(goodness(v, s))
  const text = contrast(rgb, WHITE) >= contrast(rgb, BLACK) ? WHITE : BLACK
  return { background: css(rgb), color: css(text), rgb, text }
}

/** A CSS gradient of the scale from its worst end (left) to its best end (right), for the legend. */
export function legendGradient(): string {
  return `linear-gradient(to right, ${STOPS.map((c, i) => `${css(c)} ${Math.round((100 * i) / (STOPS.length - 1))}%`).join(', ')})`
}

/** One scale over every finite value given (several heatmaps share it so colours compare across them). */
export function sharedScale(values: Iterable<number | null | undefined>, higherIsBetter: boolean): ColourScale | null {
  let min = Infinity
  let max = -Infinity
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue
    min = Math.min(min, v)
    max = Math.max(max, v)
  }
  return Number.isFinite(min) ? { min, max, higherIsBetter } : null
}
