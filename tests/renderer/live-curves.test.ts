// Live curves in the Runs view: drawn against optimiser steps (epochs as the top axis), from the
// engine's throttled train_step points (per-round train points only where a run has none), with EMA
// smoothing, log scale and other runs overlaid; points that arrive while a run trains extend them.
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import type { CurvePoint } from '../../src-renderer/composables/curves.ts'
import { chartSvg } from '../../src-renderer/composables/chart-export.ts'
import { legendFromConfig } from '../../src-renderer/composables/chart-kit.ts'
import { eachNearestX, ema, epochMap, epochsAt, epochTicks, groupStepSeries, liveChartConfig, stepSeries } from '../../src-renderer/composables/live-curves.ts'
import RunsView from '../../src-renderer/views/RunsView.vue'
import { fakeLab, flush } from './fake-lab.ts'

const pt = (x: number, step: number, y: number): CurvePoint => ({ x, step, y })
/** A 200-step pretext run: live points every 10 steps, validation every 50, 0.5 data passes per 100 steps. */
function pretextCurves() {
  const live = Array.from({ length: 20 }, (_, i) => (i + 1) * 10)
  return {
    'train_step/loss': live.map((s) => pt(Math.ceil(s / 50), s, 2 - s / 200)),
    'train_step/lr': live.map((s) => pt(Math.ceil(s / 50), s, 0.001)),
    'train_step/images_per_s': live.map((s) => pt(Math.ceil(s / 50), s, 300)),
    'train_step/epochs': live.map((s) => pt(Math.ceil(s / 50), s, s / 200)),
    'train/loss': [50, 100, 150, 200].map((s, i) => pt(i + 1, s, 1.5)),
    'val/loss': [50, 100, 150, 200].map((s, i) => pt(i + 1, s, 1.4 - i / 10)),
    'val/accuracy': [50, 100, 150, 200].map((s, i) => pt(i + 1, s, 0.5 + i / 10)),
  }
}
const opts = { smoothing: 0, logY: false, colours: ['#111111', '#222222'], muted: '#999999', range: null }

describe('live curves by step', () => {
  it('draws the live train points and the validation points against their steps, not their rounds', () => {
    const curves = pretextCurves()
    const series = stepSeries('r1', 'rotation', curves)
    const trainLoss = series.find((s) => s.split === 'train' && s.name === 'loss')!
    expect(trainLoss.points.map((p) => p.x)).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 10))
    expect(series.find((s) => s.split === 'val' && s.name === 'loss')!.points.map((p) => p.x)).toEqual([50, 100, 150, 200])
    expect(series.some((s) => s.name === 'epochs')).toBe(false)
    const cfg = liveChartConfig(groupStepSeries(series).find((g) => g.group === 'loss')!.series, { ...opts, epochs: epochMap(curves) })
    const x = cfg.options!.scales!.x as { type: string; title: { text: string } }
    expect([x.type, x.title.text]).toEqual(['linear', 'optimiser step'])
    expect((cfg.options!.scales!.epochs as { position: string }).position).toBe('top')
    expect((cfg.data.datasets[0]!.data as { x: number }[]).at(-1)!.x).toBe(200)
  })

  it('draws a run with a single step so far between a step either side', () => {
    const cfg = liveChartConfig(stepSeries('r', 'a', { 'val/loss': [pt(1, 4, 1.3)] }), { ...opts, epochs: [] })
    expect(cfg.options!.scales!.x).toMatchObject({ min: 3, max: 5 })
  })

  it('falls back to the per-round train points of a run without live points', () => {
    const series = stepSeries('r2', 'linear', { 'train/loss': [pt(1, 8, 0.7), pt(2, 16, 0.6)], 'val/accuracy': [pt(1, 8, 0.6), pt(2, 16, 0.7)] })
    expect(series.map((s) => `${s.split}/${s.name}:${s.points.map((p) => p.x).join(',')}`)).toEqual(['train/loss:8,16', 'val/accuracy:8,16'])
  })

  it('maps steps to data passes for the top axis, and smooths with a debiased EMA', () => {
    const map = epochMap(pretextCurves())
    expect(epochsAt(map, 100)).toBeCloseTo(0.5)
    expect(epochsAt(map, 105)).toBeCloseTo(0.525)
    expect(epochTicks(map, 0, 200).map((t) => [t.epochs, Math.round(t.step)])).toEqual([[0, 0], [0.25, 50], [0.5, 100], [0.75, 150], [1, 200]])
    const s = ema([{ x: 1, y: 1 }, { x: 2, y: 1 }, { x: 3, y: 4 }], 0.5)
    expect(s[0]!.y).toBeCloseTo(1) // not pulled towards 0
    expect(s[2]!.y).toBeCloseTo((0.25 * 1 + 0.5 * 4 + 0.125 * 1) / 0.875 + 0 * 0, 5)
    const cfg = liveChartConfig(stepSeries('r1', 'a', pretextCurves()).filter((x) => x.name === 'loss'), { ...opts, smoothing: 0.6, logY: true, epochs: [] })
    expect(cfg.data.datasets.map((d) => d.label)).toEqual(['train loss (raw)', 'train loss (EMA 0.6)', 'validation loss'])
    expect((cfg.options!.scales!.y as { type: string }).type).toBe('logarithmic')
  })
})

describe('the crosshair tooltip', () => {
  it("takes each visible series' point nearest the pointer's step, whatever their sampling", () => {
    const meta = (xs: number[]) => ({ data: xs.map((x) => ({ x })) })
    const metas = [meta([10, 20, 30, 40]), meta([25, 50]), meta([31])]
    const chart = { data: { datasets: [{}, {}, {}] }, isDatasetVisible: (i: number) => i !== 2, getDatasetMeta: (i: number) => metas[i] }
    const items = eachNearestX(chart as never, { x: 33, y: 0 } as never, {} as never)
    expect(items.map((it) => [it.datasetIndex, it.index])).toEqual([[0, 2], [1, 0]])
  })
})

describe('RunsView live curves', () => {
  it("the selected run's chart x axis is steps, overlays another run and grows as live points arrive", async () => {
    const run = (id: string, name: string) => ({ id, studyId: 's1', name, stage: 'pretext', state: 'running', reason: null, attempts: 1, seed: 0, summary: null, startedAt: '2026-12-01T10:00:00Z', finishedAt: null, deps: [] })
    const rows = (c: Record<string, CurvePoint[]>) => Object.entries(c).flatMap(([k, pts]) => pts.map((p) => ({ split: k.split('/')[0], name: k.split('/')[1], epoch: p.x, step: p.step, value: p.y })))
    const lab = fakeLab({
      'studies.list': () => [],
      'runs.list': () => [run('r1', 'rotation-s0'), run('r2', 'rotation-s1')],
      'runs.metrics': (i) => (i.id === 'r1' ? rows(pretextCurves()) : rows({ 'train_step/loss': [pt(1, 10, 3), pt(1, 20, 2.5)] })),
      'runs.logs': () => ({ lines: [], file: '/x/worker.log', events: [] }),
      'runs.artifacts': () => [],
      'notes.list': () => [],
    })
    setLab(lab.api)
    // jsdom has no 2D context (it logs "not implemented" when asked): the component then draws nothing and the data attributes say what it would draw.
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null)
    const w = mount(RunsView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] }, attachTo: document.body })
    await flush()
    await w.find('[data-run="r1"] button.link').trigger('click')
    for (let i = 0; i < 5; i++) await flush()
    const loss = w.find('[data-testid=live-curves] [data-group=loss]')
    expect(loss.attributes('data-x-axis')).toBe('optimiser step')
    expect(loss.attributes('data-series')).toBe('r1:train/loss=20 r1:val/loss=4')
    expect(loss.attributes('data-last-step')).toBe('200')
    expect(w.findAll('[data-testid=live-curves] [data-group]').map((g) => g.attributes('data-group'))).toEqual(['loss', 'quality', 'throughput', 'learning rate'])
    await w.find('[data-run="r2"] input[type=checkbox]').setValue(true)
    for (let i = 0; i < 3; i++) await flush()
    expect(w.find('[data-testid=live-curves] [data-group=loss]').attributes('data-series')).toBe('r1:train/loss=20 r1:val/loss=4 r2:train/loss=2')
    // The legend is HTML under the chart: every series drawn (the smoothed train curves beside their raw points), no two alike in colour and dash.
    const legend = w.findAll('[data-testid=live-curves] [data-group=loss] [data-testid=chart-legend] li')
    expect(legend.map((li) => li.attributes('data-legend-series'))).toEqual([
      'rotation-s0 · train loss (raw)', 'rotation-s0 · train loss (EMA 0.6)', 'rotation-s0 · validation loss', 'rotation-s1 · train loss',
    ])
    const looks = legend.map((li) => `${li.attributes('data-colour')}|${li.find('.swatch').classes().join(' ')}`)
    expect(new Set(looks).size).toBe(looks.length)
    expect(w.find('[data-testid="live-png-loss"]').exists() && w.find('[data-testid="live-svg-loss"]').exists()).toBe(true)
    lab.emit('onMetric', { runId: 'r1', split: 'train_step', epoch: 5, step: 210, values: { loss: 0.9, lr: 0.001, images_per_s: 310, epochs: 1.05 } })
    await flush()
    expect(w.find('[data-testid=live-curves] [data-group=loss]').attributes('data-last-step')).toBe('210')
    expect(w.find('[data-testid=live-curves] [data-group=loss]').attributes('data-series')).toContain('r1:train/loss=21')
    w.unmount()
  })

  it('exports a live chart as SVG: both step axes, the smoothed and raw train curves and the validation curve as vectors, with the legend', () => {
    const series = groupStepSeries(stepSeries('r1', 'rotation-s0', pretextCurves())).find((g) => g.group === 'loss')!.series
    const cfg = liveChartConfig(series, { ...opts, smoothing: 0.6, epochs: epochMap(pretextCurves()) })
    const legend = legendFromConfig(cfg)
    const svg = chartSvg(cfg as never, [], { width: 600, height: 260 }, 'Loss', legend, { background: '#ffffff', text: '#111111', fontFamily: 'sans-serif' })
    const root = new DOMParser().parseFromString(svg, 'image/svg+xml').documentElement
    expect(root.getElementsByTagName('parsererror')).toHaveLength(0)
    const texts = [...root.getElementsByTagName('text')].map((t) => t.textContent)
    expect(texts).toEqual(expect.arrayContaining(['optimiser step', 'epochs (data passes)', 'Loss', ...legend.map((l) => l.label)]))
    const paths = [...root.getElementsByTagName('path')]
    // One run: its loss curves share the metric's colour; the train curve (EMA, over its faint raw points) is dashed, validation solid.
    expect(paths.some((p) => p.getAttribute('stroke') === '#11111155')).toBe(true)
    expect(paths.some((p) => p.getAttribute('stroke') === '#111111' && p.getAttribute('stroke-dasharray') === '5 4')).toBe(true)
    expect(paths.some((p) => p.getAttribute('stroke') === '#111111' && !p.getAttribute('stroke-dasharray') && (p.getAttribute('d')!.match(/L/g) ?? []).length >= 3)).toBe(true)
  })
})
