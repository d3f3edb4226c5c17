// The Datasets view shows a dataset whose cache was damaged after import as `damaged`, with why.
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import DatasetsView from '../../src-renderer/views/DatasetsView.vue'
import { fakeLab, flush } from './fake-lab.ts'


describe('a damaged dataset', () => {
  it('is listed as damaged with the reason', async () => {
    const error = 'The cache of "demo-chest" is damaged: /d/images.npy is missing. Import it again (xlab datasets remove demo-chest, then import) to use it.'
    setLab(fakeLab({ 'datasets.list': () => [{ id: 'ds-1', name: 'demo-chest', kind: 'chestxray14', source: '/s', dir: '/d', status: 'damaged', n: 10, height: 32, width: 32, channels: 1, labelNames: ['normal'], multiLabel: false, splits: { train: 7, val: 1, test: 2 }, error, createdAt: '' }] }).api)
    const w = mount(DatasetsView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
    await flush()
    const row = w.find('[data-dataset="demo-chest"]')
    expect(row.find('.badge.damaged').text()).toBe('damaged')
    // The reason has its own full-width row under the dataset (it no longer squeezes the name column).
    expect(row.text()).not.toContain('images.npy is missing')
    expect(w.find('[data-dataset-error="demo-chest"] td').attributes('colspan')).toBe('7')
    expect(w.find('[data-dataset-error="demo-chest"]').text()).toContain('images.npy is missing')
  })
})
