// The Results and Compare charts' research-tool controls (ChartView): zoom to round values and
// reset, EMA smoothing beside the raw curve, log scale, the hover that reads every series, and
// export to SVG as vectors with the title and legend (Chart.js really draws onto the SVG context).
import { mount } from '@vue/test-utils'
import type { ChartConfiguration } from 'chart.js'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import ChartView from '../../src-renderer/components/ChartView.vue'
import { chartSvg } from '../../src-renderer/composables/chart-export.ts'
import { crosshairPlugin, legendFromConfig, referenceLinesPlugin } from '../../src-renderer/composables/chart-kit.ts'
import { axisExtent, roundRange, withTools, zoomBy, TOOLS_OFF } from '../../src-renderer/composables/chart-tools.ts'
import { SvgContext } from '../../src-renderer/composables/svg-context.ts'
import { forestPanels } from '../../src-renderer/composables/forest-plot.ts'
import type { StudyAnalysisView } from '../../src-renderer/api/shapes.ts'

const curve = (label: string, colour: string, ys: number[], dash: number[] = []) => ({ label, data: ys.map((y, i) => ({ x: i + 1, y })), borderColor: colour, backgroundColor: colour, borderDash: dash })
const lossConfig = (): ChartConfiguration => ({
  type: 'line',
  data: { datasets: [curve('run A · validation loss', '#2f6db5', [0.9, 0.5, 0.7, 0.3, 0.35, 0.2]), curve('run B · train loss', '#d9822b', [1.2, 0.8, 0.6, 0.5, 0.45, 0.4], [5, 4])] },
  options: { parsing: false, scales: { x: { type: 'linear', title: { display: true, text: 'epoch' } }, y: { min: 0, max: 1.2, ticks: { stepSize: 0.2 } } } },
})
// jsdom has no 2D canvas (and says so on stderr at every try): a canvas without a context, as jsdom has, minus the noise.
beforeEach(() => void vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null))
const style = { background: '#ffffff', text: '#1d232a', fontFamily: 'sans-serif' }
const parse = (svg: string) => new DOMParser().parseFromString(svg, 'image/svg+xml')

describe('chart tools', () => {
  it('zoom narrows the value axis to round bounds with round ticks; reset gives the config back untouched', () => {
    const cfg = lossConfig()
    expect(axisExtent(cfg, 'x')).toEqual({ min: 1, max: 6 })
    expect(axisExtent(cfg, 'y')).toEqual({ min: 0, max: 1.2 })
    const r = roundRange(2.3, 4.6)!
    expect(r).toEqual({ min: 2, max: 5 })
    const zoomed = withTools(cfg, {}, { ...TOOLS_OFF, range: r })
    const x = (zoomed.options!.scales as Record<string, { min?: number; max?: number; ticks?: { stepSize?: number } }>).x!
    expect([x.min, x.max, x.ticks?.stepSize]).toEqual([2, 5, 1])
    expect(zoomBy({ min: 0, max: 1 }, 0.5)).toEqual({ min: 0.2, max: 0.8 })
    expect(zoomBy({ min: 0.01, max: 1 }, 0.5, true)).toEqual({ min: expect.closeTo(0.0316, 3), max: expect.closeTo(0.316, 3) })
    expect(withTools(cfg, {}, TOOLS_OFF).options!.scales).toEqual(cfg.options!.scales)
    expect((cfg.options!.scales as Record<string, { min?: number }>).x!.min).toBeUndefined()
  })

  it('log scale turns the chosen axis logarithmic and drops a bound at 0 it cannot show', () => {
    const y = (withTools(lossConfig(), { log: 'y' }, { ...TOOLS_OFF, log: true }).options!.scales as Record<string, Record<string, unknown>>).y!
    expect(y.type).toBe('logarithmic')
    expect(y.min).toBeUndefined()
    expect(y.max).toBe(1.2)
  })

  it('smoothing draws the EMA beside the faint raw curve; the legend lists each series once, colours distinct', () => {
    const s = withTools(lossConfig(), { smooth: true }, { ...TOOLS_OFF, smoothing: 0.6 })
    const sets = s.data.datasets as { label: string; data: { y: number }[]; hideFromLegend?: boolean; borderColor: string }[]
    expect(sets.map((d) => d.label)).toEqual(['run A · validation loss (raw)', 'run A · validation loss (EMA 0.6)', 'run B · train loss (raw)', 'run B · train loss (EMA 0.6)'])
    expect(sets[0]!.data.map((p) => p.y)).toEqual([0.9, 0.5, 0.7, 0.3, 0.35, 0.2])
    expect(sets[1]!.data[0]!.y).toBeCloseTo(0.9) // debiased: the first point is not pulled to 0
    expect(sets[1]!.data[2]!.y).not.toBeCloseTo(0.7)
    const legend = legendFromConfig(s)
    expect(legend.map((l) => l.label)).toEqual(['run A · validation loss (EMA 0.6)', 'run B · train loss (EMA 0.6)'])
    expect(new Set(legend.map((l) => l.colour)).size).toBe(2)
  })

  it('crosshair: a line across the plot at the hovered position (vertical; horizontal on a horizontal chart)', () => {
    const draw = (indexAxis: 'x' | 'y') => {
      const ctx = new SvgContext(300, 200)
      const chart = { tooltip: { getActiveElements: () => [{ element: { x: 50, y: 40 } }] }, chartArea: { left: 10, right: 200, top: 5, bottom: 100 }, ctx, options: { color: '#888888', indexAxis } }
      ;(crosshairPlugin as unknown as { afterDraw: (c: unknown) => void }).afterDraw(chart)
      return ctx.toSvg()
    }
    expect(draw('x')).toContain('<path d="M50 5L50 100" fill="none" stroke="#888888"')
    expect(draw('y')).toContain('<path d="M10 40L200 40" fill="none" stroke="#888888"')
  })

  it('SVG export: Chart.js draws every series, tick, axis title, title and legend entry as vectors', () => {
    const cfg = lossConfig()
    const svg = chartSvg({ ...cfg, options: { ...cfg.options, animation: false } }, [crosshairPlugin, referenceLinesPlugin([{ label: 'chance', value: 0.5, colour: '#777777', dash: [1, 4] }], 'y')], { width: 600, height: 300 }, 'Loss of two runs', legendFromConfig(cfg), style)
    const doc = parse(svg)
    expect(doc.getElementsByTagName('parsererror')).toHaveLength(0)
    const root = doc.documentElement
    expect(root.getAttribute('viewBox')).toMatch(/^0 0 600 \d+/)
    const paths = [...root.getElementsByTagName('path')]
    const strokes = (c: string) => paths.filter((p) => p.getAttribute('stroke') === c)
    // Each series is a polyline through its 6 points (one M and 5 L), in its own colour; the train curve dashed.
    const lineA = strokes('#2f6db5').find((p) => (p.getAttribute('d')!.match(/L/g) ?? []).length >= 5)
    expect(lineA).toBeDefined()
    expect(strokes('#d9822b').some((p) => p.getAttribute('stroke-dasharray') === '5 4')).toBe(true)
    // The plugin's reference line, dotted, is in the file too.
    expect(strokes('#777777').some((p) => p.getAttribute('stroke-dasharray') === '1 4')).toBe(true)
    const texts = [...root.getElementsByTagName('text')].map((t) => t.textContent)
    expect(texts).toEqual(expect.arrayContaining(['Loss of two runs', 'epoch', 'run A · validation loss', 'run B · train loss', '1.0', '6.0', '0', '0.2', '1.2']))
  })

  it('SVG export of a forest plot: the floating interval bars and the random-init, scratch and chance lines', () => {
    const m = (mean: number) => ({ mean, sd: null, perSeed: [{ seed: 0, value: mean }], lo: mean - 0.04, hi: mean + 0.04 })
    const cell = (protocol: string, kind: string, encoders: string[], auc: number) => ({ key: `binary|${protocol}|${kind}|${encoders.join('+')}`, label: encoders.join('+'), kind, target: 'binary', protocol, pretext: encoders[0]?.split('/')[0] ?? null, pretrainDataset: encoders[0]?.split('/')[1] ?? null, encoders, runIds: ['r'], metrics: { roc_auc: m(auc) }, perClassAuc: {}, interval: 'patients' })
    const analysis = { cells: [cell('linear', 'single', ['rotation/a'], 0.7), cell('linear', 'single', ['inpainting/a'], 0.66), cell('linear', 'single', ['random-init'], 0.86), cell('scratch', 'scratch', [], 0.6)], sampleSizes: [] } as unknown as StudyAnalysisView
    const colours = { pretext: '#111111', fusion: '#222222', reference: '#333333', interval: '#444444', randomInit: '#555555', scratch: '#666666', chance: '#777777' }
    const [panel] = forestPanels(analysis, 'roc_auc', colours)
    const svg = chartSvg(panel!.config, panel!.config.plugins ?? [], { width: 500, height: panel!.height }, 'binary · linear', panel!.legend, style)
    const root = parse(svg).documentElement
    const fills = [...root.getElementsByTagName('path')].map((p) => p.getAttribute('fill'))
    expect(fills.filter((f) => f === '#444444')).toHaveLength(3) // one interval bar per encoder, and the legend's swatch
    const dashes = [...root.getElementsByTagName('path')].filter((p) => ['#555555', '#666666', '#777777'].includes(p.getAttribute('stroke') ?? '')).map((p) => p.getAttribute('stroke-dasharray'))
    expect(dashes).toEqual(expect.arrayContaining(['6 3', '2 3', '1 4']))
    const texts = [...root.getElementsByTagName('text')].map((t) => t.textContent)
    expect(texts).toEqual(expect.arrayContaining(['rotation/a', 'inpainting/a', 'random-init 0.860', 'scratch 0.600', 'chance 0.500', '95% interval']))
  })
})

afterEach(() => vi.restoreAllMocks())

describe('ChartView tools', () => {

  it('offers zoom in/out and reset, smoothing and log where asked; the drawn config follows them', async () => {
    const w = mount(ChartView, { props: { config: lossConfig(), title: 'Loss', tools: { smooth: true, log: 'y' }, hover: 'series' } })
    const fig = w.find('figure')
    expect(w.get('[data-testid=chart-reset-zoom]').attributes('disabled')).toBeDefined()
    await w.get('button[aria-label="Zoom in on Loss"]').trigger('click')
    expect(fig.attributes('data-zoomed')).toBe('yes')
    expect(w.text()).toContain('x 2–5')
    await w.get('[data-testid=chart-reset-zoom]').trigger('click')
    expect(fig.attributes('data-zoomed')).toBe('no')
    await w.get('select').setValue('0.8')
    expect(fig.attributes('data-smoothing')).toBe('0.8')
    expect(w.findAll('[data-testid=chart-legend] li').map((li) => li.attributes('data-legend-series'))).toEqual(['run A · validation loss (EMA 0.8)', 'run B · train loss (EMA 0.8)'])
    await w.get('input[type=checkbox]').setValue(true)
    expect(fig.attributes('data-log')).toBe('yes')
  })

  it('a chart without smoothing or log offers neither', () => {
    const w = mount(ChartView, { props: { config: lossConfig(), title: 'ROC' } })
    expect(w.find('select').exists()).toBe(false)
    expect(w.find('input[type=checkbox]').exists()).toBe(false)
    expect(w.find('button[aria-label="Zoom in on ROC"]').exists()).toBe(true)
  })

  it('Export SVG downloads an SVG file of the chart as drawn (smoothed curves and all)', async () => {
    const blobs: Blob[] = []
    vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => (blobs.push(b as Blob), 'blob:x'))
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {})
    const names: string[] = []
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) { names.push(this.download) })
    const w = mount(ChartView, { props: { config: lossConfig(), title: 'Loss', fileName: 'compare-loss', tools: { smooth: true } } })
    await w.get('select').setValue('0.6')
    await w.get('button[aria-label="Export Loss as SVG"]').trigger('click')
    expect(names).toEqual(['compare-loss.svg'])
    expect(blobs[0]!.type).toBe('image/svg+xml')
    const text = await new Promise<string>((resolve) => { const r = new FileReader(); r.onload = () => resolve(String(r.result)); r.readAsText(blobs[0]!) })
    expect(text.startsWith('<?xml')).toBe(true)
    const root = parse(text.replace(/^<\?xml[^>]*>\n/, '')).documentElement
    expect(root.tagName).toBe('svg')
    expect([...root.getElementsByTagName('text')].map((t) => t.textContent)).toEqual(expect.arrayContaining(['Loss', 'run A · validation loss (EMA 0.6)']))
    // Raw (faint) and smoothed curves of both runs.
    expect([...root.getElementsByTagName('path')].filter((p) => /^#2f6db5/.test(p.getAttribute('stroke') ?? '')).length).toBeGreaterThanOrEqual(2)
  })
})
