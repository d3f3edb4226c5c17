// Compare: the picker searches runs of every study; picked runs appear side by side with their
// intervals and the settings that differ.
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import CompareView from '../../src-renderer/views/CompareView.vue'
import { fakeLab, flush } from './fake-lab.ts'

const row = (runId: string, protocol: string, seed: number) => ({ runId, name: `binary-${protocol}-rotation@demo-mammo-s${seed}`, pretext: 'rotation', pretrainDataset: 'demo-mammo', seed, target: 'binary', protocol, fusionMode: null, encoders: ['rotation/demo-mammo'], state: 'done', metrics: { loss: 0.5, accuracy: 0.7, f1_weighted: 0.7, balanced_accuracy: 0.7, roc_auc: 0.75 } })
const detail = (runId: string) => ({ runId, name: runId, state: 'done', classNames: ['No Finding', 'Finding'], confusion: [[5, 1], [2, 4]], roc: [{ className: 'Finding', auc: 0.75, fpr: [0, 1], tpr: [0, 1] }], curves: [], testMetrics: { roc_auc: 0.75 }, recomputed: { roc_auc: { estimate: 0.75, lo: 0.61, hi: 0.88 } } })

describe('CompareView', () => {
  it('finds runs of two studies and shows the picked ones with intervals and differing settings', async () => {
    setLab(fakeLab({
      'results.table': () => [row('r1', 'linear', 0), row('r2', 'finetune', 0)],
      'runs.list': () => [{ id: 'r1', studyId: 's1' }, { id: 'r2', studyId: 's2' }],
      'studies.list': () => [{ id: 's1', name: 'pilot', state: 'done' }, { id: 's2', name: 'paper', state: 'done' }],
      'notes.list': () => [],
      'results.run': (i) => detail(i.runId as string),
      'runs.get': (i) => ({ id: i.id, spec: { params: { protocol: i.id === 'r1' ? 'linear' : 'finetune', epochs: 4 } } }),
    }).api)
    // jsdom has no canvas: charts are stubbed.
    const w = mount(CompareView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })], stubs: { ChartView: true } } })
    for (let i = 0; i < 3; i++) await flush()
    await w.find('[data-testid=compare-search]').setValue('paper')
    expect(w.findAll('[data-testid=compare-matches] li button').map((b) => b.text())).toEqual(['+ binary-finetune-rotation@demo-mammo-s0'])
    await w.find('[data-testid=compare-matches] li button').trigger('click')
    await w.find('[data-testid=compare-search]').setValue('')
    await w.find('[data-testid=compare-matches] li button').trigger('click')
    for (let i = 0; i < 3; i++) await flush()
    expect(w.find('[data-testid=compare-table]').text()).toContain('[0.610, 0.880]')
    expect(w.find('[data-testid=compare-params]').text()).toContain('params.protocol')
    expect(w.find('[data-testid=compare-params]').text()).not.toContain('params.epochs')
    expect(w.findAll('[data-testid=confusion]')).toHaveLength(2)
  })
})
