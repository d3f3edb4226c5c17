// A 2D drawing context that writes SVG: the subset of CanvasRenderingContext2D that Chart.js and
// our chart plugins draw with (paths, arcs, rectangles, text, dashes, transforms, clipping, and the
// 'destination-over' background fill). Chart.js renders a chart onto it exactly as onto a canvas,
// so an exported SVG holds the same marks, plugins' reference lines and interval bars included,
// as vectors. No dependency: canvas2svg/svgcanvas do the same in general; this is what our charts need.

type Matrix = [number, number, number, number, number, number]
const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0]
const multiply = (m: Matrix, n: Matrix): Matrix => [
  m[0] * n[0] + m[2] * n[1], m[1] * n[0] + m[3] * n[1],
  m[0] * n[2] + m[2] * n[3], m[1] * n[2] + m[3] * n[3],
  m[0] * n[4] + m[2] * n[5] + m[4], m[1] * n[4] + m[3] * n[5] + m[5],
]
const num = (v: number) => String(Math.round(v * 100) / 100)
/** Text and attribute values escaped for XML. */
export const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** A path recorded as canvas calls, replayed into the context that strokes or fills it (stands in for Path2D while a chart is drawn for SVG). */
export class RecordedPath {
  /** The calls, in order. */
  readonly ops: [string, number[]][] = []
  moveTo(...a: number[]) { this.ops.push(['moveTo', a]) }
  lineTo(...a: number[]) { this.ops.push(['lineTo', a]) }
  bezierCurveTo(...a: number[]) { this.ops.push(['bezierCurveTo', a]) }
  quadraticCurveTo(...a: number[]) { this.ops.push(['quadraticCurveTo', a]) }
  arc(...a: (number | boolean)[]) { this.ops.push(['arc', a.map(Number)]) }
  ellipse(...a: (number | boolean)[]) { this.ops.push(['ellipse', a.map(Number)]) }
  rect(...a: number[]) { this.ops.push(['rect', a]) }
  closePath() { this.ops.push(['closePath', []]) }
}

interface State {
  matrix: Matrix
  strokeStyle: string
  fillStyle: string
  lineWidth: number
  lineDash: number[]
  lineCap: string
  lineJoin: string
  globalAlpha: number
  globalCompositeOperation: string
  font: string
  textAlign: string
  textBaseline: string
  /** Elements go here (the SVG root, or a group clipped by the last clip()). */
  container: string[]
}

/** Width of a text in a font: the browser's own metrics where a canvas exists, else an estimate from the font size. */
let measurer: CanvasRenderingContext2D | null | undefined
export function measureTextWidth(text: string, font: string): number {
  if (measurer === undefined) {
    try {
      measurer = typeof document !== 'undefined' ? document.createElement('canvas').getContext('2d') : null
    } catch {
      measurer = null
    }
  }
  if (measurer) {
    measurer.font = font
    return measurer.measureText(text).width
  }
  const size = Number(/([\d.]+)px/.exec(font)?.[1] ?? 12)
  return text.length * size * 0.56
}

/** The canvas-like object a context hands Chart.js (`ctx.canvas`). */
export interface SvgCanvas { width: number; height: number; style: Record<string, string>; getContext(kind: string): SvgContext | null }

export class SvgContext {
  /** The canvas Chart.js sizes (width and height in CSS pixels at ratio 1). */
  readonly canvas: SvgCanvas
  private readonly root: string[] = []
  private readonly defs: string[] = []
  private state: State
  private readonly stack: State[] = []
  /** The current path as SVG path data (already in device coordinates). */
  private path = ''
  private clipCount = 0

  /** Where the canvas Chart.js draws on begins in the document (title above, legend below). */
  private originY = 0

  /** A document `width` x `height` CSS pixels; the canvas handed to Chart.js starts as the whole of it. */
  constructor(private readonly width: number, private readonly height: number) {
    this.canvas = { width, height, style: {}, getContext: (kind: string) => (kind === '2d' ? this : null) }
    this.state = { matrix: [...IDENTITY], strokeStyle: '#000', fillStyle: '#000', lineWidth: 1, lineDash: [], lineCap: 'butt', lineJoin: 'miter', globalAlpha: 1, globalCompositeOperation: 'source-over', font: '10px sans-serif', textAlign: 'start', textBaseline: 'alphabetic', container: this.root }
  }

  // Style properties, as on a canvas context.
  get strokeStyle() { return this.state.strokeStyle }
  set strokeStyle(v: string) { this.state.strokeStyle = String(v) }
  get fillStyle() { return this.state.fillStyle }
  set fillStyle(v: string) { this.state.fillStyle = String(v) }
  get lineWidth() { return this.state.lineWidth }
  set lineWidth(v: number) { this.state.lineWidth = v }
  get lineCap() { return this.state.lineCap }
  set lineCap(v: string) { this.state.lineCap = v }
  get lineJoin() { return this.state.lineJoin }
  set lineJoin(v: string) { this.state.lineJoin = v }
  get globalAlpha() { return this.state.globalAlpha }
  set globalAlpha(v: number) { this.state.globalAlpha = v }
  get globalCompositeOperation() { return this.state.globalCompositeOperation }
  set globalCompositeOperation(v: string) { this.state.globalCompositeOperation = v }
  get font() { return this.state.font }
  set font(v: string) { this.state.font = v }
  get textAlign() { return this.state.textAlign }
  set textAlign(v: string) { this.state.textAlign = v }
  get textBaseline() { return this.state.textBaseline }
  set textBaseline(v: string) { this.state.textBaseline = v }
  lineDashOffset = 0
  miterLimit = 10
  setLineDash(d: number[]) { this.state.lineDash = [...d] }
  getLineDash() { return [...this.state.lineDash] }

  /** Makes the canvas Chart.js draws on the band [y, y + h) of the document. */
  placeCanvas(y: number, h: number) {
    this.originY = y
    this.canvas.height = h
    this.canvas.width = this.width
    this.state.matrix = [1, 0, 0, 1, 0, y]
  }

  save() { this.stack.push(this.state); this.state = { ...this.state, matrix: [...this.state.matrix] as Matrix, lineDash: [...this.state.lineDash] } }
  restore() { const s = this.stack.pop(); if (s) this.state = s }

  // Transforms.
  setTransform(a: number | DOMMatrix2DInit = 1, b = 0, c = 0, d = 1, e = 0, f = 0) {
    const m: Matrix = typeof a === 'object' ? [a.a ?? 1, a.b ?? 0, a.c ?? 0, a.d ?? 1, a.e ?? 0, a.f ?? 0] : [a, b, c, d, e, f]
    this.state.matrix = multiply([1, 0, 0, 1, 0, this.originY], m)
  }
  resetTransform() { this.state.matrix = [1, 0, 0, 1, 0, this.originY] }
  transform(a: number, b: number, c: number, d: number, e: number, f: number) { this.state.matrix = multiply(this.state.matrix, [a, b, c, d, e, f]) }
  translate(x: number, y: number) { this.transform(1, 0, 0, 1, x, y) }
  scale(x: number, y: number) { this.transform(x, 0, 0, y, 0, 0) }
  rotate(r: number) { this.transform(Math.cos(r), Math.sin(r), -Math.sin(r), Math.cos(r), 0, 0) }

  private pt(x: number, y: number): string {
    const m = this.state.matrix
    return `${num(m[0] * x + m[2] * y + m[4])} ${num(m[1] * x + m[3] * y + m[5])}`
  }
  private get scaleFactor() {
    const m = this.state.matrix
    return Math.sqrt(Math.abs(m[0] * m[3] - m[1] * m[2])) || 1
  }

  // Paths.
  beginPath() { this.path = '' }
  moveTo(x: number, y: number) { this.path += `M${this.pt(x, y)}` }
  lineTo(x: number, y: number) { this.path += `${this.path ? 'L' : 'M'}${this.pt(x, y)}` }
  closePath() { if (this.path) this.path += 'Z' }
  bezierCurveTo(a: number, b: number, c: number, d: number, x: number, y: number) { this.path += `C${this.pt(a, b)} ${this.pt(c, d)} ${this.pt(x, y)}` }
  quadraticCurveTo(a: number, b: number, x: number, y: number) { this.path += `Q${this.pt(a, b)} ${this.pt(x, y)}` }
  rect(x: number, y: number, w: number, h: number) { this.path += `M${this.pt(x, y)}L${this.pt(x + w, y)}L${this.pt(x + w, y + h)}L${this.pt(x, y + h)}Z` }
  arc(x: number, y: number, r: number, start: number, end: number, ccw = false) { this.ellipse(x, y, r, r, 0, start, end, ccw) }
  /** Arcs and ellipses as short line segments (exact enough at any zoom a slide needs, and right under any transform). */
  ellipse(x: number, y: number, rx: number, ry: number, rotation: number, start: number, end: number, ccw = false) {
    let sweep = end - start
    if (!ccw && sweep < 0) sweep = (sweep % (2 * Math.PI)) + 2 * Math.PI
    if (ccw && sweep > 0) sweep = (sweep % (2 * Math.PI)) - 2 * Math.PI
    if (Math.abs(end - start) >= 2 * Math.PI) sweep = ccw ? -2 * Math.PI : 2 * Math.PI
    const n = Math.max(8, Math.ceil((Math.abs(sweep) / (2 * Math.PI)) * 48))
    const cos = Math.cos(rotation)
    const sin = Math.sin(rotation)
    for (let i = 0; i <= n; i++) {
      const t = start + (sweep * i) / n
      const px = rx * Math.cos(t)
      const py = ry * Math.sin(t)
      const p = this.pt(x + px * cos - py * sin, y + px * sin + py * cos)
      this.path += i === 0 ? `${this.path ? 'L' : 'M'}${p}` : `L${p}`
    }
  }
  /** Replays a recorded path (a Chart.js line drawn through Path2D). */
  private replay(p: RecordedPath) {
    this.beginPath()
    for (const [op, a] of p.ops) (this as unknown as Record<string, (...x: number[]) => void>)[op]!(...a)
  }

  private emit(el: string) {
    if (this.state.globalCompositeOperation === 'destination-over') this.state.container.unshift(el)
    else this.state.container.push(el)
  }
  private alpha(kind: 'stroke' | 'fill') { return this.state.globalAlpha < 1 ? ` ${kind}-opacity="${num(this.state.globalAlpha)}"` : '' }
  private strokeAttrs(): string {
    const s = this.state
    const w = s.lineWidth * this.scaleFactor
    const dash = s.lineDash.length ? ` stroke-dasharray="${s.lineDash.map((d) => num(d * this.scaleFactor)).join(' ')}"` : ''
    return `fill="none" stroke="${xmlEscape(s.strokeStyle)}" stroke-width="${num(w)}"${dash}${s.lineCap !== 'butt' ? ` stroke-linecap="${s.lineCap}"` : ''}${s.lineJoin !== 'miter' ? ` stroke-linejoin="${s.lineJoin}"` : ''}${this.alpha('stroke')}`
  }
  stroke(p?: RecordedPath) {
    if (p instanceof RecordedPath) this.replay(p)
    if (this.path && this.state.lineWidth > 0) this.emit(`<path d="${this.path}" ${this.strokeAttrs()}/>`)
  }
  fill(p?: RecordedPath | string) {
    if (p instanceof RecordedPath) this.replay(p)
    if (this.path) this.emit(`<path d="${this.path}" fill="${xmlEscape(this.state.fillStyle)}"${this.alpha('fill')}/>`)
  }
  fillRect(x: number, y: number, w: number, h: number) {
    const saved = this.path
    this.beginPath()
    this.rect(x, y, w, h)
    this.fill()
    this.path = saved
  }
  strokeRect(x: number, y: number, w: number, h: number) {
    const saved = this.path
    this.beginPath()
    this.rect(x, y, w, h)
    this.stroke()
    this.path = saved
  }
  /** Nothing to clear: the SVG is drawn once onto an empty document. */
  clearRect() {}
  clip() {
    const id = `xlab-clip-${++this.clipCount}`
    this.defs.push(`<clipPath id="${id}"><path d="${this.path || 'M0 0'}"/></clipPath>`)
    const group: string[] = []
    this.state.container.push({ toString: () => `<g clip-path="url(#${id})">${group.join('')}</g>` } as unknown as string)
    this.state.container = group
  }

  // Text.
  measureText(text: string): TextMetrics {
    const width = measureTextWidth(text, this.state.font)
    const size = Number(/([\d.]+)px/.exec(this.state.font)?.[1] ?? 10)
    return { width, actualBoundingBoxAscent: size * 0.8, actualBoundingBoxDescent: size * 0.2, actualBoundingBoxLeft: 0, actualBoundingBoxRight: width, fontBoundingBoxAscent: size * 0.8, fontBoundingBoxDescent: size * 0.2 } as TextMetrics
  }
  private text(t: string, x: number, y: number, paint: string) {
    const m = this.state.matrix
    const anchor = { center: 'middle', right: 'end', end: 'end' }[this.state.textAlign] ?? 'start'
    const baseline = { top: 'hanging', hanging: 'hanging', middle: 'central', bottom: 'text-after-edge', ideographic: 'text-after-edge' }[this.state.textBaseline] ?? 'alphabetic'
    const f = /^(?:(italic|oblique|normal) )?(?:(bold|normal|lighter|bolder|\d{3}) )?([\d.]+)px (.+)$/.exec(this.state.font.trim())
    const font = f ? `font-family="${xmlEscape(f[4]!)}" font-size="${f[3]}"${f[2] && f[2] !== 'normal' ? ` font-weight="${f[2]}"` : ''}${f[1] && f[1] !== 'normal' ? ` font-style="${f[1]}"` : ''}` : `style="font: ${xmlEscape(this.state.font)}"`
    const transform = m.every((v, i) => v === IDENTITY[i]) ? '' : ` transform="matrix(${m.map(num).join(' ')})"`
    this.emit(`<text x="${num(x)}" y="${num(y)}" ${font} text-anchor="${anchor}" dominant-baseline="${baseline}" ${paint}${transform}>${xmlEscape(t)}</text>`)
  }
  fillText(t: string, x: number, y: number) { this.text(t, x, y, `fill="${xmlEscape(this.state.fillStyle)}"${this.alpha('fill')}`) }
  strokeText(t: string, x: number, y: number) { this.text(t, x, y, this.strokeAttrs()) }

  /** Images are not drawn by our charts; a point style image would be left out of the SVG. */
  drawImage() {}
  createLinearGradient() { return { addColorStop() {} } }
  isPointInPath() { return false }
  getTransform() { const m = this.state.matrix; return { a: m[0], b: m[1], c: m[2], d: m[3], e: m[4], f: m[5] } }

  /** The drawing as a standalone SVG document. */
  toSvg(): string {
    const { width, height } = this
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${this.defs.length ? `<defs>${this.defs.join('')}</defs>` : ''}${this.root.join('')}</svg>`
  }
}
