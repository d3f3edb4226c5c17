// Nothing is cut: the results table sizes each column to its longest cell (no ellipsis), long names
// wrap only at their separators, gallery ids are shown whole, and a dataset with many labels lists
// a few and a button for the rest instead of hiding them in a scroll box.
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import VirtualTable from '../../src-renderer/components/VirtualTable.vue'
import WrapName from '../../src-renderer/components/WrapName.vue'
import { nameParts } from '../../src-renderer/composables/format.ts'
import DatasetsView from '../../src-renderer/views/DatasetsView.vue'
import { fakeLab, flush } from './fake-lab.ts'

describe('nothing truncated', () => {
  it('a name wraps only after its separators, and reads the same', () => {
    expect(nameParts('3class-fusion-linear-rotation@demo-mammo+structure@demo-mammo-s0')).toEqual(['3class-', 'fusion-', 'linear-', 'rotation@', 'demo-', 'mammo+', 'structure@', 'demo-', 'mammo-', 's0'])
    expect(nameParts('images/00000075_000.png')).toEqual(['images/', '00000075_', '000.', 'png'])
    // A label fraction's number stays whole: no break inside f0.25 or 1,000.
    expect(nameParts('binary-linear-rotation@demo-mammo-f0.25-s0')).toEqual(['binary-', 'linear-', 'rotation@', 'demo-', 'mammo-', 'f0.25-', 's0'])
    expect(nameParts('1,000 images · 0.5 px')).toEqual(['1,000 ', 'images · ', '0.5 ', 'px'])
    expect(nameParts('')).toEqual([''])
    const w = mount(WrapName, { props: { text: 'rotation/demo-mammo · linear@10% · seed 0' } })
    expect(w.text()).toBe('rotation/demo-mammo · linear@10% · seed 0')
    expect(w.findAll('wbr').length).toBe(nameParts('rotation/demo-mammo · linear@10% · seed 0').length - 1)
  })

  it('VirtualTable: every column at least as wide as its longest cell or header, no ellipsis', () => {
    const rows = [{ id: 'a', name: '3class-fusion-linear-rotation@demo-mammo+inpainting@demo-mammo+structure@demo-mammo-s0', auc: 0.8 }, { id: 'b', name: 'x', auc: 0.7 }]
    const columns = [
      { key: 'name', label: 'Run', value: (r: (typeof rows)[number]) => r.name, grow: 3 },
      { key: 'auc', label: 'ROC-AUC with a long header', value: (r: (typeof rows)[number]) => r.auc },
    ]
    const w = mount(VirtualTable, { props: { rows, columns, rowKey: (r: object) => (r as { id: string }).id, label: 'runs' } })
    const widthOf = (el: { attributes: (k: string) => string | undefined }) => Number(/min-width: (\d+)ch/.exec(el.attributes('style') ?? '')?.[1])
    const [nameHead, aucHead] = w.findAll('[role=columnheader]')
    expect(widthOf(nameHead!)).toBeGreaterThanOrEqual(rows[0]!.name.length)
    expect(widthOf(aucHead!)).toBeGreaterThanOrEqual('ROC-AUC with a long header'.length)
    const firstCell = w.findAll('[role=cell]')[0]!
    expect(widthOf(firstCell)).toBe(widthOf(nameHead!))
    expect(firstCell.text()).toBe(rows[0]!.name)
  })

  it('Datasets: a 200-label dataset shows six labels and "+ 194 more labels", which opens them all', async () => {
    const labels = Array.from({ length: 200 }, (_, i) => `class-${i}`)
    const ds = { id: 'ds-1', name: 'folder200', kind: 'imagefolder', source: '/s', dir: '/d', status: 'ready', n: 2000, height: 32, width: 32, channels: 3, labelNames: labels, multiLabel: false, splits: { train: 1400, val: 200, test: 400 }, error: null, createdAt: '' }
    setLab(fakeLab({ 'datasets.list': () => [ds], 'datasets.report': () => ({ perLabel: Object.fromEntries(labels.map((l) => [l, { total: 10 }])) }) }).api)
    const w = mount(DatasetsView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
    for (let i = 0; i < 3; i++) await flush()
    expect(w.findAll('.dist-bar')).toHaveLength(6)
    const more = w.get('[data-testid=more-labels]')
    expect(more.text()).toBe('+ 194 more labels')
    expect(more.attributes('aria-expanded')).toBe('false')
    await more.trigger('click')
    expect(w.findAll('.dist-bar')).toHaveLength(200)
    expect(w.get('[data-testid=more-labels]').text()).toBe('show fewer')
  })
})
