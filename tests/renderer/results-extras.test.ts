// The new results parts over fixtures shaped like the analysis and run detail: the label-efficiency
// chart (log x, one line per encoder, interval bars) and its table, kNN beside linear in the
// overview, baselines marked as such, the ensemble beside each fusion set, the reliability diagram
// with ECE and Brier, the per-finding table with CheXNet's 0.841 marked "different split", and the
// head sweep with its chosen point.
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import type { StudyAnalysisView } from '../../src-renderer/api/shapes.ts'
import HeadSweepTable from '../../src-renderer/components/HeadSweepTable.vue'
import LabelEfficiencyChart from '../../src-renderer/components/LabelEfficiencyChart.vue'
import MultilabelResults from '../../src-renderer/components/MultilabelResults.vue'
import PerFindingTable from '../../src-renderer/components/PerFindingTable.vue'
import ReliabilityDiagram from '../../src-renderer/components/ReliabilityDiagram.vue'
import RunDetail from '../../src-renderer/components/RunDetail.vue'
import SortableTable from '../../src-renderer/components/SortableTable.vue'
import { baselineColumns, ensembleColumns, ensembleVerdict, randomInitColumns, type BaselineRow, type EnsembleRow, type RandomInitComparison } from '../../src-renderer/composables/baseline-columns.ts'
import { filledBins, reliabilityChartConfig } from '../../src-renderer/composables/calibration.ts'
import { efficiencyChartConfig, efficiencyGroups, efficiencyRows, fractionText, type EfficiencyCurve } from '../../src-renderer/composables/label-efficiency.ts'
import { overviewPanels } from '../../src-renderer/composables/results-overview.ts'
import { runExtras } from '../../src-renderer/composables/run-extras.ts'

const curves: EfficiencyCurve[] = [
  { target: 'binary', protocol: 'linear', encoder: 'structure/demo-mammo', points: [{ fraction: 1, nTrain: 700, auc: 0.74, lo: 0.69, hi: 0.79, runIds: ['r3'] }, { fraction: 0.1, nTrain: 70, auc: 0.61, lo: 0.55, hi: 0.67, runIds: ['r4'] }] },
  { target: 'binary', protocol: 'linear', encoder: 'rotation/demo-mammo', points: [{ fraction: 0.1, nTrain: 70, auc: 0.65, lo: 0.6, hi: 0.7, runIds: ['r2'] }, { fraction: 1, nTrain: 700, auc: 0.78123, lo: 0.73, hi: 0.83, runIds: ['r1'] }] },
  { target: '3class', protocol: 'linear', encoder: 'rotation/demo-mammo', points: [{ fraction: 1, nTrain: 700, auc: 0.7, lo: 0.6, hi: 0.8, runIds: ['r5'] }] },
]
const stub = { global: { stubs: { ChartView: true } } }

describe('label efficiency', () => {
  it('groups curves per target and protocol, points by fraction, encoders by name', () => {
    const groups = efficiencyGroups(curves)
    expect(groups.map((g) => `${g.target}|${g.protocol}`)).toEqual(['3class|linear', 'binary|linear'])
    expect(groups[1]!.curves.map((c) => c.encoder)).toEqual(['rotation/demo-mammo', 'structure/demo-mammo'])
    expect(groups[1]!.curves[0]!.points.map((p) => p.fraction)).toEqual([0.1, 1])
    expect(efficiencyRows(groups[1]!)[0]).toEqual({ encoder: 'rotation/demo-mammo', fraction: 0.1, nTrain: 70, auc: 0.65, interval: '[0.600, 0.700]' })
    expect([1, 0.1, 0.01, 0.001, 0.25].map(fractionText)).toEqual(['100%', '10%', '1%', '0.1%', '25%'])
  })

  it('draws a log-x chart with one line per encoder and each point\'s interval', () => {
    const config = efficiencyChartConfig(efficiencyGroups(curves)[1]!, ['#111', '#222'])
    const x = (config.options!.scales!.x as { type: string; min: number; max: number })
    expect(x.type).toBe('logarithmic')
    expect(x.min).toBeLessThan(0.1)
    expect(x.max).toBeGreaterThan(1)
    expect(config.data.datasets.map((d) => d.label)).toEqual(['rotation/demo-mammo', 'structure/demo-mammo'])
    expect(config.data.datasets[0]!.data).toEqual([{ x: 0.1, y: 0.65 }, { x: 1, y: 0.78123 }])
    expect((config.data.datasets[0] as unknown as { intervals: unknown }).intervals).toEqual([[0.6, 0.7], [0.73, 0.83]])
    expect(config.plugins!.map((p) => p.id)).toEqual(['xlabIntervalBars'])
  })

  it('writes the same numbers in the table beside the chart', () => {
    const w = mount(LabelEfficiencyChart, { props: { group: efficiencyGroups(curves)[1]! }, ...stub })
    const row = w.find('tr[data-encoder="rotation/demo-mammo"][data-fraction="1"]')
    expect(row.find('td[data-col=auc]').attributes('data-value')).toBe('0.78123')
    expect(row.text()).toContain('100%')
    expect(row.text()).toContain('700')
    expect(row.text()).toContain('0.781')
    expect(row.text()).toContain('[0.730, 0.830]')
    expect(w.findAll('tbody tr')).toHaveLength(4)
  })
})

describe('protocols and baselines', () => {
  it('puts the kNN panel beside the linear one', () => {
    const cell = (protocol: string) => ({ key: protocol, label: protocol, kind: 'single', target: 'binary', protocol, pretext: 'rotation', pretrainDataset: 'a', encoders: ['rotation/a'], runIds: ['r'], metrics: { roc_auc: { mean: 0.7, sd: null, perSeed: [], lo: 0.6, hi: 0.8 } }, perClassAuc: {}, interval: 'patients' })
    const analysis = { cells: ['finetune', 'knn', 'linear'].map(cell) } as unknown as StudyAnalysisView
    expect(overviewPanels(analysis, 'roc_auc').panels.map((p) => p.protocol)).toEqual(['linear', 'knn', 'finetune'])
  })

  it('marks baseline rows as baselines and sets each fusion beside its ensemble', () => {
    const baselines: BaselineRow[] = [{ target: 'binary', protocol: 'linear', encoder: 'random-init', kind: 'random-init', auc: 0.58, lo: 0.52, hi: 0.64 }, { target: 'binary', protocol: 'linear', encoder: 'imagenet', kind: 'reference', auc: 0.81, lo: 0.77, hi: 0.85 }]
    const w = mount(SortableTable<BaselineRow>, { props: { rows: baselines, columns: baselineColumns, rowKey: (b: BaselineRow) => b.encoder, label: 'Baselines' } })
    expect(w.findAll('tbody tr').map((r) => r.find('td').text())).toEqual(['random-init (frozen random ResNet-18)', 'reference encoder'])
    expect(w.findAll('tbody tr')[0]!.text()).toContain('[0.520, 0.640]')
    const e: EnsembleRow = { target: 'binary', mode: 'linear', members: ['rotation/a', 'structure/a'], fusion: { auc: 0.8, lo: 0.75, hi: 0.85, runIds: ['f'] }, ensemble: { auc: 0.78, lo: 0.73, hi: 0.83 }, bestMember: { encoder: 'rotation/a', auc: 0.76 }, fusionMinusEnsemble: { diff: 0.02, lo: -0.01, hi: 0.05 } }
    expect(ensembleVerdict(e)).toBe('no evidence')
    expect(ensembleVerdict({ ...e, fusionMinusEnsemble: { diff: 0.04, lo: 0.01, hi: 0.07 } })).toBe('fusion better')
    const t = mount(SortableTable<EnsembleRow>, { props: { rows: [e], columns: ensembleColumns, rowKey: () => 'x', label: 'Ensembles' } })
    expect(t.find('tbody tr').text()).toMatch(/rotation\/a \+ structure\/a.*0\.800 \[0\.750, 0\.850\].*0\.780 \[0\.730, 0\.830\].*0\.760 \(rotation\/a\).*0\.020 \[-0\.010, 0\.050\].*no evidence/)
  })
})

describe('multilabel14 and random init in the Results view', () => {
  it('lists every finding per configuration with the mean and CheXNet marked as another split', () => {
    const multilabel = {
      cells: [
        { protocol: 'linear', encoders: ['rotation/a'], runIds: ['r1'], meanAuc: { mean: 0.71, lo: 0.65, hi: 0.77 }, perFinding: { Mass: 0.7, Effusion: 0.72 }, splitType: 'seeded, by patient' },
        { protocol: 'scratch', encoders: [], runIds: ['r2'], meanAuc: { mean: 0.6, lo: 0.55, hi: 0.66 }, perFinding: { Mass: 0.6, Effusion: null }, splitType: 'seeded, by patient' },
      ],
      reference: { chexnetMeanAuroc: 0.841, note: 'CheXNet used the official split' },
    }
    const w = mount(MultilabelResults, { props: { multilabel } })
    expect(w.findAll('thead th').map((t) => t.text())).toEqual(['finding', 'linear rotation/a', 'scratch scratch'])
    expect(w.findAll('tbody tr').map((r) => r.text())).toEqual(['Effusion0.720—', 'Mass0.7000.600'])
    expect(w.findAll('[data-testid=multilabel-mean]').map((t) => t.text())).toEqual(['0.710 [0.650, 0.770]', '0.600 [0.550, 0.660]'])
    expect(w.find('.reference-row').text()).toMatch(/CheXNet.*different split.*0\.841.*official split/)
    expect(w.find('caption').text()).toContain('seeded, by patient')
  })

  it('claims a pretext encoder beats random init only after Holm', () => {
    const c = (pHolm: number): RandomInitComparison => ({ target: 'binary', protocol: 'linear', encoder: 'rotation/a', seeds: [0, 1, 2], difference: { estimate: 0.05, lo: 0.01, hi: 0.09, p: 0.01, verdict: 'better' }, pHolm })
    const t = mount(SortableTable<RandomInitComparison>, { props: { rows: [c(0.03), { ...c(0.2), encoder: 'inpainting/a' }], columns: randomInitColumns, rowKey: (r: RandomInitComparison) => r.encoder, label: 'x' } })
    expect(t.findAll('tbody tr').map((r) => r.findAll('td').at(-1)!.text())).toEqual(['better (+0.050)', 'no evidence (+0.050)'])
    expect(t.find('tbody tr').text()).toContain('0.050 [0.010, 0.090]')
  })
})

describe('run detail extras', () => {
  const calibration = { ece: 0.0731, brier: 0.182, kind: 'top-label', bins: [{ lo: 0.5, hi: 0.6, n: 40, confidence: 0.55, accuracy: 0.5 }, { lo: 0.6, hi: 0.7, n: 0, confidence: null, accuracy: null }, { lo: 0.9, hi: 1, n: 60, confidence: 0.95, accuracy: 0.9 }] }

  it('draws the reliability diagram of the filled bins with ECE and Brier beside it', () => {
    expect(filledBins(calibration).map((b) => b.lo)).toEqual([0.5, 0.9])
    const config = reliabilityChartConfig(calibration, { line: '#111', gap: '#222', diagonal: '#333' })
    expect(config.data.datasets[0]!.data).toEqual([{ x: 0.55, y: 0.5 }, { x: 0.95, y: 0.9 }])
    expect(config.data.datasets.at(-1)!.label).toBe('calibrated')
    const w = mount(ReliabilityDiagram, { props: { calibration, title: 'r' }, ...stub })
    expect(w.find('[data-testid=ece]').text()).toBe('0.073')
    expect(w.find('[data-testid=brier]').attributes('data-value')).toBe('0.182')
    expect(w.findAll('tbody tr')).toHaveLength(2)
  })

  it('lists the per-finding AUROC with its mean and CheXNet marked as another split', () => {
    const w = mount(PerFindingTable, { props: { perFinding: { Effusion: 0.8, Atelectasis: 0.7, Hernia: null }, mean: 0.75, splitType: 'seeded, by patient', reference: { chexnet_mean_auroc: 0.841, note: 'official split of Wang et al.' } } })
    expect(w.findAll('tbody th').map((t) => t.text())).toEqual(['Atelectasis', 'Effusion', 'Hernia'])
    expect(w.find('[data-testid=mean-auc]').text()).toBe('0.750')
    expect(w.find('tfoot').text()).toContain('mean of 2 findings')
    expect(w.find('.reference-row').text()).toMatch(/CheXNet.*different split.*0\.841/)
    expect(w.find('caption').text()).toContain('seeded, by patient')
  })

  it('shows the head sweep grid with the point chosen on validation', () => {
    const grid = [0.001, 0.01].flatMap((lr) => [0, 0.0001].map((wd) => ({ lr, weight_decay: wd, val: lr * 10 + wd * 100, best_epoch: 3 })))
    const w = mount(HeadSweepTable, { props: { grid, chosen: { lr: 0.01, weight_decay: 0.0001 }, selectedOn: 'val' } })
    const chosen = w.findAll('td[data-chosen]')
    expect(chosen).toHaveLength(1)
    expect(chosen[0]!.text()).toMatch(/^★ 0\.110/)
    expect(w.find('caption').text()).toContain('chosen on validation')
    expect(w.findAll('tbody tr')).toHaveLength(2)
  })

  it('reads the extras of a run detail in either spelling, and none from an older run', () => {
    const camel = runExtras({ calibration, perFindingAuc: { Effusion: 0.8, Mass: 0.6 }, splitType: 'seeded', reference: { chexnet_mean_auroc: 0.841, note: 'n' }, headSweep: { grid: [{ lr: 0.01, weightDecay: 0, val: 0.7, bestEpoch: 2 }], chosen: { lr: 0.01, weightDecay: 0 }, selectedOn: 'val' }, labelSubset: { fraction: 0.1, nImages: 70, nPatients: 30 } })
    expect(camel.perFinding).toEqual({ auc: { Effusion: 0.8, Mass: 0.6 }, mean: 0.7, splitType: 'seeded', reference: { chexnet_mean_auroc: 0.841, note: 'n' } })
    expect(camel.headSweep).toEqual({ grid: [{ lr: 0.01, weight_decay: 0, val: 0.7, best_epoch: 2 }], chosen: { lr: 0.01, weight_decay: 0 }, selectedOn: 'val' })
    expect(camel.labelSubset).toEqual({ fraction: 0.1, nImages: 70, nPatients: 30 })
    const snake = runExtras({ per_finding_auc: { Effusion: 0.8 }, mean_auc: 0.81, label_subset: { fraction: 0.1, n_images: 70, n_patients: 30 }, head_sweep: { grid: [], chosen: null, selected_on: 'val' } })
    expect(snake.perFinding!.mean).toBe(0.81)
    expect(snake.labelSubset!.nImages).toBe(70)
    expect(runExtras({ runId: 'r', roc: [] })).toEqual({ calibration: null, perFinding: null, headSweep: null, labelSubset: null })
  })

  it('shows calibration, per-finding AUROC, head sweep and label subset in the run detail', () => {
    // The shape results.run answers (src-core/api/results.ts runResultSchema).
    const result = {
      runId: 'r', name: 'r', state: 'done', classNames: ['a', 'b'], confusion: [[1, 0], [0, 1]], roc: [], curves: [], testMetrics: {}, recomputed: {}, labelFraction: 0.25,
      calibration: { ...calibration, nBins: 3 },
      perFindingAuc: { findings: { Effusion: 0.8, Mass: 0.7 }, mean: 0.75, splitType: 'seeded, by patient', reference: { chexnetMeanAuroc: 0.841, note: 'official split' } },
      headSweep: { chosen: { lr: 0.01, weightDecay: 0 }, selectedOn: 'val', grid: [{ lr: 0.01, weightDecay: 0, val: 0.7, bestEpoch: 2 }, { lr: 0.001, weightDecay: 0, val: 0.6, bestEpoch: 3 }] },
      labelSubset: { fraction: 0.25, nImages: 175, nPatients: 60, sha256: 'abc' },
      linearFit: null,
    }
    const w = mount(RunDetail, { props: { result, title: 'r' }, global: { stubs: { ChartView: true, ErrorGallery: true } } })
    expect(w.find('[data-testid=ece]').text()).toBe('0.073')
    expect(w.find('.reference-row').text()).toMatch(/different split.*0\.841/)
    expect(w.findAll('[data-testid=per-finding] tbody th').map((t) => t.text())).toEqual(['Effusion', 'Mass'])
    expect(w.find('[data-testid=mean-auc]').text()).toBe('0.750')
    expect(w.find('td[data-chosen]').text()).toContain('★ 0.700')
    expect(w.find('[data-testid=label-subset]').text()).toContain('25% of the training labels: 175 images of 60 patients')
  })
})
