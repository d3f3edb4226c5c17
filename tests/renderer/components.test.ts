// Components: the virtual table stays small in the DOM, sorts and filters; heatmap and confusion
// matrix show their numbers; views show empty states that say what to do.
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import ConfusionMatrix from '../../src-renderer/components/ConfusionMatrix.vue'
import OverviewHeatmap from '../../src-renderer/components/OverviewHeatmap.vue'
import VirtualTable from '../../src-renderer/components/VirtualTable.vue'
import type { Column } from '../../src-renderer/composables/runs-table.ts'
import LabelThumbnails from '../../src-renderer/components/LabelThumbnails.vue'
import DatasetsView from '../../src-renderer/views/DatasetsView.vue'
import RunsView from '../../src-renderer/views/RunsView.vue'
import { fakeLab, flush } from './fake-lab.ts'

type R = { id: string; n: number }
const columns: Column<R>[] = [
  { key: 'id', label: 'Id', value: (r) => r.id },
  { key: 'n', label: 'N', value: (r) => r.n },
]
const rows: R[] = Array.from({ length: 1000 }, (_, i) => ({ id: `run-${i}`, n: (i * 7919) % 1000 }))

describe('VirtualTable', () => {
  it('renders only the visible rows of 1,000', () => {
    const w = mount(VirtualTable<R>, { props: { rows, columns, rowKey: (r: R) => r.id, label: 'runs' } })
    const drawn = w.findAll('[role=row]').length - 1
    expect(drawn).toBeGreaterThan(5)
    expect(drawn).toBeLessThan(40)
    expect(w.text()).toContain('1000 of 1000')
  })

  it('sorts by a header and filters by text', async () => {
    const w = mount(VirtualTable<R>, { props: { rows, columns, rowKey: (r: R) => r.id, label: 'runs' } })
    await w.findAll('[role=columnheader]')[1]!.trigger('click')
    expect(w.findAll('[role=row]')[1]!.text()).toContain('0')
    expect(w.findAll('[role=columnheader]')[1]!.attributes('aria-sort')).toBe('ascending')
    await w.find('input[type=search]').setValue('run-99')
    expect(w.text()).toContain('11 of 1000')
  })

  it('emits select on click and Enter', async () => {
    const w = mount(VirtualTable<R>, { props: { rows: rows.slice(0, 3), columns, rowKey: (r: R) => r.id, label: 'runs' } })
    await w.findAll('[role=row]')[2]!.trigger('keydown', { key: 'Enter' })
    expect(w.emitted('select')![0]).toEqual([rows[1]])
  })
})

describe('tables of numbers', () => {
  it('heatmap shows each cell mean with its interval, readable on its colour', () => {
    const metrics = (mean: number, lo: number, hi: number) => ({ roc_auc: { mean, sd: null, perSeed: [{ seed: 0, value: mean }], lo, hi } })
    const cell = (dataset: string, m: ReturnType<typeof metrics>) => ({ key: dataset, label: `binary linear rotation/${dataset}`, kind: 'single' as const, target: 'binary', protocol: 'linear', pretext: 'rotation', pretrainDataset: dataset, encoders: [`rotation/${dataset}`], runIds: ['r'], metrics: m, perClassAuc: {}, interval: 'patients' as const })
    const panel = { target: 'binary', protocol: 'linear', rows: ['rotation'], cols: ['demo-mammo', 'demo-natural'], cells: { 'rotation|demo-mammo': cell('demo-mammo', metrics(0.7123, 0.65, 0.77)) }, extras: [], chance: 0.5, marks: { 'rotation|demo-mammo': 'better' as const }, best: { key: 'rotation|demo-mammo', isBaseline: false }, randomInitAbsent: 'not in this study' as const }
    const w = mount(OverviewHeatmap, { props: { panel, metric: 'roc_auc', scale: { min: 0.6, max: 0.8, higherIsBetter: true } } })
    const cells = w.findAll('tbody td')
    expect(cells[0]!.find('.v').text()).toMatch(/^★ 0\.712\s*▲beats random-init after the correction$/) // the best cell of its panel, and it beats random-init after the correction
    expect(cells[0]!.find('.ci').text()).toBe('[0.650, 0.770]')
    expect(cells[0]!.attributes('data-value')).toBe('0.7123')
    expect(cells[0]!.attributes('tabindex')).toBeUndefined()
    expect(cells[0]!.attributes('style')).toMatch(/color: rgb\((0, 0, 0|255, 255, 255)\)/)
    expect(cells[1]!.text()).toBe('—')
  })

  it('confusion matrix shows counts, row shares and the support of each row', () => {
    const w = mount(ConfusionMatrix, { props: { classNames: ['normal', 'finding'], matrix: [[5, 1], [2, 2]], title: 'cm' } })
    expect(w.findAll('tbody th').map((t) => t.text())).toEqual(['normal', 'finding'])
    expect(w.findAll('td[data-value]').map((t) => t.text())).toEqual(['5 (83%)', '1 (17%)', '2 (50%)', '2 (50%)'])
    expect(w.findAll('td.support').map((t) => t.text())).toEqual(['6', '4'])
  })
})

describe('empty states', () => {
  it('Datasets says how to get data', async () => {
    setLab(fakeLab({ 'datasets.list': () => [] }).api)
    const w = mount(DatasetsView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
    await flush()
    expect(w.text()).toContain('Generate the demo datasets')
  })

  it('Runs says to start a study, and shows a load error where it happened', async () => {
    setLab(fakeLab({ 'studies.list': () => [], 'notes.list': () => [], 'runs.list': () => Promise.reject(new Error('The lab database is busy.')) }).api)
    const w = mount(RunsView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
    await flush()
    await flush()
    expect(w.text()).toContain('Create a study in the Study builder')
    expect(w.find('[role=alert]').text()).toContain('The lab database is busy.')
  })
})

describe('LabelThumbnails', () => {
  it('asks for one label and shows its images', async () => {
    const f = fakeLab({ 'datasets.thumbnails': (i) => [{ label: i.label, index: 3, split: 'train', dataUrl: 'data:image/png;base64,AA==' }] })
    setLab(f.api)
    const w = mount(LabelThumbnails, { props: { datasetId: 'ds-1', label: 'Mass', perLabel: 8 }, global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
    await flush()
    expect(f.calls).toEqual([{ method: 'datasets.thumbnails', input: { id: 'ds-1', perLabel: 8, label: 'Mass' } }])
    expect(w.find('img').attributes('alt')).toBe('Mass #3 (train)')
  })
})

describe('RunsView run detail', () => {
  it('shows the log tail and the image artifacts (inpainting reconstructions) of the selected run', async () => {
    const run = { id: 'r1', studyId: 's1', name: 'inpainting@demo-mammo-s0', stage: 'pretext', state: 'done', reason: null }
    setLab(
      fakeLab({
        'studies.list': () => [],
        'runs.list': () => [run],
        'runs.metrics': () => [{ split: 'val', epoch: 1, step: 4, name: 'loss', value: 0.5 }],
        'runs.logs': () => ({ lines: ['epoch 1 done'], file: '/x/worker.log', events: [{ t: '2026-01-01T00:00:00Z', level: 'info', message: 'exited 0' }] }),
        'notes.list': () => [],
        'runs.artifacts': () => [
          { kind: 'encoder', name: 'encoder.pth', path: '/x/encoder.pth', createdAt: '' },
          { kind: 'image', name: 'inpainting-epoch001.png', path: '/x/a.png', createdAt: '' },
        ],
        'runs.artifactImage': (i) => ({ name: i.name, dataUrl: 'data:image/png;base64,AA==' }),
      }).api,
    )
    // jsdom has no canvas: the chart is stubbed, its data is covered by the store tests.
    const w = mount(RunsView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })], stubs: { ChartView: true } }, attachTo: document.body })
    await flush()
    await w.find('[data-run="r1"] button.link').trigger('click')
    for (let i = 0; i < 5; i++) await flush()
    expect(w.find('.log').text()).toBe('epoch 1 done')
    expect(w.find('[data-testid=event-log]').text()).toContain('exited 0')
    expect(w.findAll('figure img').map((im) => im.attributes('alt'))).toEqual(['inpainting-epoch001.png'])
    w.unmount()
  })

  it('flags a pretext run that was solved early, with the step, and leaves other runs alone', async () => {
    const base = { studyId: 's1', stage: 'pretext', state: 'done', reason: null }
    const message = 'solved early: validation accuracy 1.000 at step 24 (>= 0.99); the task may teach the encoder little'
    setLab(
      fakeLab({
        'studies.list': () => [],
        'runs.list': () => [
          { ...base, id: 'r1', name: 'rotation@demo-mammo-s0', summary: { solved_early: { step: 24, accuracy: 1, message } } },
          { ...base, id: 'r2', name: 'inpainting@demo-mammo-s0', summary: { solved_early: null } },
        ],
      }).api,
    )
    const w = mount(RunsView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })], stubs: { ChartView: true } } })
    for (let i = 0; i < 3; i++) await flush()
    expect(w.find('[data-run="r1"] [data-testid=solved-early]').text()).toBe(message)
    expect(w.find('[data-run="r2"] [data-testid=solved-early]').exists()).toBe(false)
    w.unmount()
  })

  it('shows a pretext run\'s shortcut score beside its final validation, and marks a trivially solved task', async () => {
    const base = { studyId: 's1', stage: 'pretext', state: 'done', reason: null }
    const summary = (trivial: boolean) => ({
      chance: { metric: 'accuracy', achieved: 0.834, value: 0.25 },
      shortcut: { stats: { metric: 'accuracy', value: trivial ? 0.99 : 0.41, chance: 0.25, normalised: trivial ? 0.987 : 0.213 }, random_init: { metric: 'accuracy', value: 0.52, chance: 0.25, normalised: 0.36 }, trivial },
      laterality: { message: 'images in their acquired orientation (not mirrored at import)' },
    })
    setLab(fakeLab({ 'studies.list': () => [], 'runs.list': () => [{ ...base, id: 'r1', name: 'rotation@demo-mammo-s0', summary: summary(true) }, { ...base, id: 'r2', name: 'rotation@demo-natural-s0', summary: summary(false) }] }).api)
    const w = mount(RunsView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })], stubs: { ChartView: true } }, attachTo: document.body })
    for (let i = 0; i < 3; i++) await flush()
    expect(w.find('[data-run="r1"] [data-testid=shortcut-trivial]').exists()).toBe(true)
    expect(w.find('[data-run="r2"] [data-testid=shortcut-trivial]').exists()).toBe(false)
    await w.find('[data-run="r2"] button.link').trigger('click')
    for (let i = 0; i < 3; i++) await flush()
    const detail = w.find('[data-testid=detail-shortcut]').text()
    expect(detail).toContain('validation accuracy 0.834 (chance 0.250)')
    expect(detail).toContain('cheap statistics accuracy 0.410, random-init ResNet-18 probe 0.520')
    expect(detail).toContain('Left/right: images in their acquired orientation')
    expect(detail).not.toContain('trivial statistic solves')
    w.unmount()
  })
})

