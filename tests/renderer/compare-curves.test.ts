// Compare's training charts: a run with epochs gets curves; an L-BFGS linear probe (one fit per C,
// chosen on validation) gets its validation metric against C with the chosen C ringed, never a
// one-dot "curve" on an epoch axis; a single-epoch run without a grid is named in a sentence.
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import type { ChartConfiguration } from 'chart.js'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import type { RunResult } from '../../src-renderer/api/shapes.ts'
import ChartView from '../../src-renderer/components/ChartView.vue'
import { legendFromConfig } from '../../src-renderer/composables/chart-kit.ts'
import { cGridConfig, trainingShape } from '../../src-renderer/composables/compare-curves.ts'
import CompareView from '../../src-renderer/views/CompareView.vue'
import { fakeLab, flush } from './fake-lab.ts'

const GRID = [0.01, 0.1, 1, 10].map((c, i) => ({ c, val: { roc_auc: [0.7, 0.78, 0.76, 0.74][i]!, loss: [0.6, 0.5, 0.52, 0.55][i]! }, converged: true }))
const onePoint = (name: string, value: number) => ({ split: 'val', name, points: [{ epoch: 1, step: 1, value }] })
const probe = (runId: string, linearFit: RunResult['linearFit']) => ({ runId, name: runId, state: 'done', classNames: ['No Finding', 'Finding'], confusion: [[5, 1], [2, 4]], roc: [], curves: [onePoint('loss', 0.5), onePoint('roc_auc', 0.78)], testMetrics: {}, recomputed: {}, labelFraction: 1, calibration: null, perFindingAuc: null, headSweep: null, labelSubset: null, linearFit }) as unknown as RunResult
const finetune = (runId: string) => ({ ...probe(runId, null), curves: [{ split: 'val', name: 'loss', points: [1, 2, 3].map((e) => ({ epoch: e, step: e * 10, value: 0.6 - e / 20 })) }, { split: 'val', name: 'roc_auc', points: [1, 2, 3].map((e) => ({ epoch: e, step: e * 10, value: 0.7 + e / 50 })) }] }) as unknown as RunResult
const fit = { chosenC: 0.1, gridSize: 4, atEdge: false, converged: true, grid: GRID }

describe('training shapes in Compare', () => {
  it('curves for runs with epochs, the C grid for an L-BFGS probe, a sentence for a lone fit', () => {
    expect(trainingShape(finetune('f'), 'f').kind).toBe('curves')
    expect(trainingShape(probe('p', fit), 'p')).toEqual({ kind: 'c-grid', grid: GRID, chosenC: 0.1 })
    const lone = trainingShape(probe('p', { ...fit, grid: [] }), 'binary linear rotation')
    expect(lone.kind).toBe('one-fit')
    expect((lone as { sentence: string }).sentence).toBe('binary linear rotation: one full-batch L-BFGS fit at C 0.1 (chosen on validation out of 4); this run did not record its grid\'s validation values, so there is no curve to draw.')
    expect(trainingShape(probe('k', null), 'knn run').kind).toBe('one-fit')
  })

  it('the C-grid chart: validation metric against C on a log axis, each run its own colour, the chosen C ringed', () => {
    const cfg = cGridConfig([{ id: 'a', name: 'A', grid: GRID, chosenC: 0.1 }, { id: 'b', name: 'B', grid: GRID.map((g) => ({ ...g, val: { roc_auc: g.val.roc_auc - 0.05 } })), chosenC: 1 }], 'roc_auc', ['#111111', '#222222'], '#000000')!
    const sets = cfg.data.datasets as { label: string; data: { x: number; y: number }[] }[]
    expect(sets.map((d) => d.label)).toEqual(['A', 'B', 'C chosen on validation'])
    expect(sets[0]!.data).toEqual([{ x: 0.01, y: 0.7 }, { x: 0.1, y: 0.78 }, { x: 1, y: 0.76 }, { x: 10, y: 0.74 }])
    expect(sets[2]!.data).toEqual([{ x: 0.1, y: 0.78 }, { x: 1, y: expect.closeTo(0.71, 6) }])
    expect((cfg.options!.scales!.x as { type: string }).type).toBe('logarithmic')
    const legend = legendFromConfig(cfg as ChartConfiguration)
    expect(legend.map((l) => l.label)).toEqual(['A', 'B', 'C chosen on validation'])
    expect(new Set(legend.map((l) => l.colour)).size).toBe(3)
    // B has no loss in its grid: the loss chart shows A only.
    expect((cGridConfig([{ id: 'b', name: 'B', grid: [{ c: 1, val: { roc_auc: 0.7 }, converged: true }], chosenC: 1 }], 'loss', ['#111111'], '#000000'))).toBeNull()
  })

  it('CompareView: a probe and a fine-tuned run give an epoch chart for the fine-tuned run only and C-grid charts for the probe', async () => {
    const row = (runId: string, protocol: string) => ({ runId, name: `binary-${protocol}-rotation@demo-mammo-s0`, pretext: 'rotation', pretrainDataset: 'demo-mammo', seed: 0, target: 'binary', protocol, fusionMode: null, encoders: ['rotation/demo-mammo'], state: 'done', metrics: { loss: 0.5, accuracy: 0.7, f1_weighted: 0.7, balanced_accuracy: 0.7, roc_auc: 0.75 } })
    setLab(fakeLab({
      'results.table': () => [row('p', 'linear'), row('f', 'finetune')],
      'runs.list': () => [{ id: 'p', studyId: 's1' }, { id: 'f', studyId: 's1' }],
      'studies.list': () => [{ id: 's1', name: 'pilot', state: 'done' }],
      'notes.list': () => [],
      'results.run': (i) => (i.runId === 'p' ? probe('p', fit) : finetune('f')),
      'results.compare': () => ({ replicates: 10, comparisons: [] }),
      'runs.get': (i) => ({ id: i.id, spec: { params: { protocol: i.id === 'p' ? 'linear' : 'finetune' } } }),
    }).api)
    const w = mount(CompareView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })], stubs: { ChartView: true, PairGallery: true } } })
    for (let i = 0; i < 3; i++) await flush()
    for (let k = 0; k < 2; k++) await w.find('[data-testid=compare-matches] li button').trigger('click')
    for (let i = 0; i < 4; i++) await flush()
    const charts = w.findAllComponents(ChartView).map((c) => ({ title: c.props('title') as string, config: c.props('config') as ChartConfiguration }))
    const epochCharts = charts.filter((c) => c.title.includes('by epoch'))
    expect(epochCharts.length).toBeGreaterThan(0)
    // Only the fine-tuned run's three epochs are drawn; the probe's lone point is not.
    for (const c of epochCharts) expect((c.config.data.datasets as { data: unknown[] }[]).map((d) => d.data.length)).toEqual([3])
    expect(charts.filter((c) => c.title.includes('against C')).map((c) => c.title)).toEqual(['Linear probes (L-BFGS): validation ROC-AUC against C', 'Linear probes (L-BFGS): validation loss against C'])
  })
})
