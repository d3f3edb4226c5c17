// Datasets view: Remove asks first and names what goes; only the confirmation removes.
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import DatasetsView from '../../src-renderer/views/DatasetsView.vue'
import { fakeLab, flush } from './fake-lab.ts'

const ds = { id: 'ds-1', name: 'demo-chest', kind: 'chestxray14', source: '/s', dir: '/d', status: 'ready', n: 10, height: 32, width: 32, channels: 1, labelNames: ['normal'], multiLabel: false, splits: { train: 7, val: 1, test: 2 }, error: null, createdAt: '' }

describe('DatasetsView remove', () => {
  it('removes a dataset only after the confirmation', async () => {
    const f = fakeLab({ 'datasets.list': () => [ds], 'datasets.report': () => ({ perLabel: {} }), 'datasets.remove': () => ({}) })
    setLab(f.api)
    const w = mount(DatasetsView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
    await flush()
    // The buttons sit in a flex box inside the cell: a flex table cell drops its borders.
    expect(w.findAll('td.actions')).toHaveLength(0)
    expect(w.find('td > .actions button').exists()).toBe(true)
    await w.find('button[aria-label="Remove demo-chest"]').trigger('click')
    expect(f.calls.some((c) => c.method === 'datasets.remove')).toBe(false)
    expect(w.text()).toContain('Remove demo-chest and its image cache?')
    await w.find('[data-testid=confirm-remove]').trigger('click')
    await flush()
    expect(f.calls.filter((c) => c.method === 'datasets.remove')).toEqual([{ method: 'datasets.remove', input: { id: 'ds-1' } }])
  })

  it('keeps the dataset when the user keeps it', async () => {
    const f = fakeLab({ 'datasets.list': () => [ds], 'datasets.report': () => ({ perLabel: {} }), 'datasets.remove': () => ({}) })
    setLab(f.api)
    const w = mount(DatasetsView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
    await flush()
    await w.find('button[aria-label="Remove demo-chest"]').trigger('click')
    await w.findAll('button').find((b) => b.text() === 'Keep')!.trigger('click')
    expect(f.calls.some((c) => c.method === 'datasets.remove')).toBe(false)
    expect(w.find('button[aria-label="Remove demo-chest"]').exists()).toBe(true)
  })
})
