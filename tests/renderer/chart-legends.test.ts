// Every chart's legend lists every series it draws (reference lines included), and no two series
// share a colour: the forest plot, the label-efficiency chart, the training curves, a run's ROC, the
// reliability diagram and Compare's ROC overlay. Also: axis ticks at round values, the palette.
import { mount } from '@vue/test-utils'
import type { ChartConfiguration } from 'chart.js'
import { describe, expect, it, vi } from 'vitest'
import type { StudyAnalysisView } from '../../src-renderer/api/shapes.ts'
import ChartView from '../../src-renderer/components/ChartView.vue'
import LabelEfficiencyChart from '../../src-renderer/components/LabelEfficiencyChart.vue'
import ReliabilityDiagram from '../../src-renderer/components/ReliabilityDiagram.vue'
import RunDetail from '../../src-renderer/components/RunDetail.vue'
import { legendFromConfig, niceAxis, palette } from '../../src-renderer/composables/chart-kit.ts'
import { curveChartConfig, seriesOf } from '../../src-renderer/composables/curves.ts'
import { forestPanels, fusionDatasetNote, fusionLabel } from '../../src-renderer/composables/forest-plot.ts'
import { efficiencyGroups } from '../../src-renderer/composables/label-efficiency.ts'

// jsdom has no canvas: the legend is HTML drawn from the config, so Chart.js itself is replaced by a no-op.
vi.mock('chart.js', () => ({
  Chart: class {
    static register() {}
    static defaults = {}
    destroy() {}
  },
  registerables: [],
  Interaction: { modes: {} },
  BasicPlatform: class {},
}))

/** The legend ChartView drew: label and colour of each entry. */
const legendOf = (w: ReturnType<typeof mount>, i = 0) =>
  w.findAll('[data-testid=chart-legend]')[i]!.findAll('li').map((li) => ({ label: li.attributes('data-legend-series')!, colour: li.attributes('data-colour')! }))
/** Labels of the series a config draws. */
const seriesLabels = (cfg: ChartConfiguration) => (cfg.data.datasets as { label?: string }[]).map((d) => d.label).filter((l): l is string => !!l)

function expectHonestLegend(legend: { label: string; colour: string }[], drawn: string[]) {
  expect(legend.map((l) => l.label).sort()).toEqual([...new Set(drawn)].sort())
  expect(new Set(legend.map((l) => l.colour.toLowerCase())).size).toBe(legend.length)
}

type Cell = StudyAnalysisView['cells'][number]
const m = (mean: number) => ({ mean, sd: null, perSeed: [{ seed: 0, value: mean }], lo: mean - 0.04, hi: mean + 0.04 })
const cell = (protocol: string, kind: Cell['kind'], encoders: string[], auc: number): Cell => {
  const [pretext, ds] = encoders.length === 1 && encoders[0]!.includes('/') ? encoders[0]!.split('/') : [null, null]
  return { key: `binary|${protocol}|${kind}|${encoders.join('+')}`, label: `binary ${protocol} ${encoders.join(' + ') || 'scratch'}`, kind, target: 'binary', protocol, pretext: pretext ?? (encoders[0] === 'random-init' ? 'random-init' : null), pretrainDataset: ds ?? null, encoders, runIds: ['r'], metrics: { roc_auc: m(auc) }, perClassAuc: {}, interval: 'patients' }
}

describe('chart legends list every series, each in its own colour', () => {
  const colours = { pretext: '#111111', fusion: '#222222', reference: '#333333', interval: '#444444', randomInit: '#555555', scratch: '#666666', chance: '#777777' }
  const analysis = {
    cells: [
      cell('linear', 'single', ['rotation/a'], 0.7), cell('linear', 'single', ['inpainting/a'], 0.66), cell('linear', 'single', ['random-init'], 0.86),
      cell('linear', 'single', ['ref:imagenet'], 0.9), cell('linear', 'fusion', ['rotation/a', 'inpainting/a'], 0.72), cell('scratch', 'scratch', [], 0.6),
    ],
    sampleSizes: [],
  } as unknown as StudyAnalysisView

  it('forest plot: encoders, fusion, reference encoders, the interval, and the random-init, scratch and chance lines', () => {
    const [panel] = forestPanels(analysis, 'roc_auc', colours)
    expect(panel!.rows.map((c) => c.encoders.join('+'))).toEqual(['ref:imagenet', 'rotation/a+inpainting/a', 'rotation/a', 'inpainting/a'])
    expect(panel!.lines.map((l) => l.label)).toEqual(['random-init 0.860', 'scratch 0.600', 'chance 0.500'])
    expect(panel!.config.data.labels).toEqual(['reference imagenet', 'fusion rotation+inpainting', 'rotation/a', 'inpainting/a'])
    expect(fusionDatasetNote(analysis)).toBe("Fusion rows name their members' pretext tasks; every fusion member was pretrained on a.")
    expect(fusionLabel(['rotation/a', 'structure/b'])).toBe('fusion rotation/a + structure/b')
    const w = mount(ChartView, { props: { config: panel!.config, legend: panel!.legend, title: 'forest' } })
    expectHonestLegend(legendOf(w), [...seriesLabels(panel!.config), ...panel!.lines.map((l) => l.label)])
    // Round axis ends, covering every interval and the chance line.
    const x = (panel!.config.options as { scales: { x: { min: number; max: number } } }).scales.x
    expect([x.min, x.max]).toEqual([0.5, 1])
  })

  it('label efficiency: one line per encoder (11 of them) in 11 colours, baselines dashed', () => {
    const encoders = ['random-init', 'scratch', ...['a', 'b', 'c'].flatMap((d) => ['rotation', 'inpainting', 'structure'].map((t) => `${t}/${d}`))]
    const curves = encoders.map((encoder, i) => ({ target: 'binary', protocol: 'linear', encoder, points: [0.1, 1].map((fraction) => ({ fraction, nTrain: 100 * fraction, auc: 0.6 + i / 100, lo: 0.5, hi: 0.9, runIds: ['r'] })) }))
    const w = mount(LabelEfficiencyChart, { props: { group: efficiencyGroups(curves)[0]! } })
    const legend = legendOf(w)
    expectHonestLegend(legend, encoders)
    expect(legend).toHaveLength(11)
  })

  it('training curves of two runs: every series its own colour', () => {
    const pts = (...ys: number[]) => ys.map((y, i) => ({ x: i + 1, step: i, y }))
    const series = [...seriesOf('r1', 'one', { 'train/loss': pts(1, 0.5), 'val/loss': pts(1, 0.8), 'val/roc_auc': pts(0.6, 0.7) }), ...seriesOf('r2', 'two', { 'train/loss': pts(0.9, 0.7), 'val/loss': pts(0.9, 0.7) })]
    const cfg = curveChartConfig(series, palette(12)) as ChartConfiguration
    const w = mount(ChartView, { props: { config: cfg, title: 'curves' } })
    expectHonestLegend(legendOf(w), seriesLabels(cfg))
  })

  it('a run\'s ROC: one curve per class and chance', () => {
    const result = { runId: 'r', name: 'r', state: 'done', classNames: ['a', 'b', 'c'], confusion: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], roc: ['a', 'b', 'c'].map((className) => ({ className, auc: 0.8, fpr: [0, 1], tpr: [0, 1] })), curves: [], testMetrics: {}, recomputed: {}, labelFraction: 1, calibration: null, perFindingAuc: null, headSweep: null, labelSubset: null, linearFit: null }
    const w = mount(RunDetail, { props: { result, title: 'r' }, global: { stubs: { ErrorGallery: true } } })
    const legend = legendOf(w)
    expect(legend.map((l) => l.label)).toEqual(['a (AUC 0.800)', 'b (AUC 0.800)', 'c (AUC 0.800)', 'chance'])
    expect(new Set(legend.map((l) => l.colour)).size).toBe(4)
  })

  it('reliability diagram: the bins, the gaps and the calibrated diagonal', () => {
    const calibration = { ece: 0.07, brier: 0.18, kind: 'top-label', bins: [{ lo: 0.5, hi: 0.6, n: 40, confidence: 0.55, accuracy: 0.5 }, { lo: 0.9, hi: 1, n: 60, confidence: 0.95, accuracy: 0.9 }] }
    const w = mount(ReliabilityDiagram, { props: { calibration, title: 'r' } })
    const legend = legendOf(w)
    expect(legend.map((l) => l.label)).toEqual(['accuracy in the bin', 'gap to calibrated', 'calibrated'])
    expect(new Set(legend.map((l) => l.colour)).size).toBe(3)
  })

  it('legendFromConfig skips unlabelled helper datasets and reads bar colours from the fill', () => {
    const cfg = { type: 'bar', data: { datasets: [{ label: 'x', backgroundColor: '#abc' }, { label: '', borderColor: '#def' }, { label: 'y', type: 'line', borderColor: '#123', borderDash: [5, 3] }] } }
    expect(legendFromConfig(cfg)).toEqual([{ label: 'x', colour: '#abc', shape: 'bar' }, { label: 'y', colour: '#123', shape: 'dashed' }])
  })
})

describe('axes and palette', () => {
  it('puts axis ends and ticks on round values', () => {
    expect(niceAxis([0.245, 0.861])).toEqual({ min: 0.2, max: 1, step: 0.2 }) // never an end tick at 0.245 written "0.2"
    expect(niceAxis([0.712, 0.748])).toEqual({ min: 0.71, max: 0.75, step: 0.01 })
    expect(niceAxis([0.3, 1.2], { floor: 0, ceil: 1 })).toMatchObject({ min: 0.2, max: 1 })
  })

  it('gives any number of distinct colours in both themes', () => {
    for (const theme of ['light', 'dark'] as const) {
      expect(new Set(palette(12, theme)).size).toBe(12)
      expect(new Set(palette(30, theme)).size).toBe(30)
    }
  })
})
