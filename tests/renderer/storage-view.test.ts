// The Storage view: sizes and counts per category as storage.usage gives them, a reclaim that asks
// first and sends exactly the chosen categories, and the refreshed figures after it. The opt-in
// weights categories are never part of Reclaim all, only of their own button.
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import StorageView from '../../src-renderer/views/StorageView.vue'
import { fakeLab, flush } from './fake-lab.ts'

const category = (id: string, title: string, bytes: number, count: number, optIn = false) => ({
  id,
  title,
  optIn,
  holds: `what ${id} holds`,
  count,
  files: count * 2,
  bytes,
  items: count ? [{ runId: 'r-aaaaaaaaaaaa', name: `run-of-${id}`, state: 'done', dir: '/lab/runs/r-aaaaaaaaaaaa', bytes, files: ['last.prev.pth', 'last.pth'] }] : [],
})
const usage = (resumable: number, down = 0) => ({
  runsDir: '/lab/runs',
  totalBytes: 7.2e9 + resumable + down,
  kept: { weightsBytes: 6.4e9, encoderBytes: 8.06e8, otherBytes: 1.4e6, activeBytes: 0 },
  olderThanDays: 7,
  categories: [category('finished-resumable', 'Resumable state of finished runs', resumable, resumable ? 37 : 0), category('stopped-checkpoints', 'Checkpoints of old failed or cancelled runs', 0, 0), category('unreferenced', 'Runs no study uses', 0, 0), category('downstream-weights', 'Fine-tuned networks of finished downstream runs', down, down ? 20 : 0, true)],
})

describe('Storage view', () => {
  it('shows each category, reclaims only after confirmation, and refreshes', async () => {
    let left = 12.9e9
    const lab = fakeLab({
      'storage.usage': () => usage(left),
      'storage.prune': (input) => {
        const freed = left
        left = 0
        return { removed: [{ id: 'finished-resumable', count: 37, files: 74, bytes: freed }], bytes: freed, usage: usage(left), input }
      },
    })
    setLab(lab.api)
    const w = mount(StorageView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
    await flush()
    expect(lab.calls[0]).toEqual({ method: 'storage.usage', input: { olderThanDays: 7 } })
    expect(w.find('h3').text()).toBe('Run folders: 20.1 GB')
    const fin = w.find('[data-category=finished-resumable]')
    expect(fin.find('h3').text()).toBe('Resumable state of finished runs: 12.9 GB')
    expect(fin.text()).toContain('37 run(s), 74 file(s). what finished-resumable holds')
    expect(fin.find('tbody').text()).toContain('run-of-finished-resumable')
    expect(w.find('[data-category=unreferenced] button').attributes('disabled')).toBeDefined()

    // The button only opens the confirmation; nothing is deleted before Delete.
    await fin.find('button').trigger('click')
    await flush()
    const dialog = w.find('[role=dialog]')
    expect(dialog.find('h3').text()).toBe('Delete 12.9 GB?')
    expect(lab.calls.some((c) => c.method === 'storage.prune')).toBe(false)
    await dialog.findAll('button').find((b) => b.text() === 'Cancel')!.trigger('click')
    await flush()
    expect(w.find('[role=dialog]').exists()).toBe(false)
    expect(lab.calls.some((c) => c.method === 'storage.prune')).toBe(false)

    await w.find('[data-category=finished-resumable] button').trigger('click')
    await flush()
    await w.find('[role=dialog]').findAll('button').find((b) => b.text() === 'Delete')!.trigger('click')
    await flush()
    expect(lab.calls.find((c) => c.method === 'storage.prune')!.input).toEqual({ olderThanDays: 7, categories: ['finished-resumable'] })
    expect(w.find('[role=status]').text()).toBe('Freed 12.9 GB.')
    expect(w.find('[data-category=finished-resumable] h3').text()).toBe('Resumable state of finished runs: 0 B')
    expect(w.find('h3').text()).toBe('Run folders: 7.2 GB')

    // Another window pruned: the view reads the usage again.
    const before = lab.calls.length
    lab.emit('onStorageChanged', { bytes: 1 })
    await flush()
    expect(lab.calls.slice(before).map((c) => c.method)).toEqual(['storage.usage'])
    w.unmount()
  })

  it('leaves the opt-in weights categories out of Reclaim all and reclaims them with their own button', async () => {
    let down = 9e8
    const lab = fakeLab({
      'storage.usage': () => usage(12.9e9, down),
      'storage.prune': (input) => {
        const freed = down
        down = 0
        return { removed: [{ id: 'downstream-weights', count: 20, files: 20, bytes: freed }], bytes: freed, usage: usage(12.9e9, down), input }
      },
    })
    setLab(lab.api)
    const w = mount(StorageView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
    await flush()
    const card = w.find('[data-category=downstream-weights]')
    expect(card.find('h3').text()).toBe('Fine-tuned networks of finished downstream runs: 900.0 MB')
    expect(card.find('[data-testid=opt-in]').text()).toBe('Not part of Reclaim all: this category goes only with its own button.')
    expect(w.find('[data-category=finished-resumable] [data-testid=opt-in]').exists()).toBe(false)

    await w.findAll('button').find((b) => b.text() === 'Reclaim all…')!.trigger('click')
    await flush()
    expect(w.find('[role=dialog] h3').text()).toBe('Delete 12.9 GB?')
    expect(w.find('[role=dialog]').text()).not.toContain('Fine-tuned networks')
    await w.find('[role=dialog]').findAll('button').find((b) => b.text() === 'Cancel')!.trigger('click')
    await flush()

    await w.find('[data-category=downstream-weights] button').trigger('click')
    await flush()
    const dialog = w.find('[role=dialog]')
    expect(dialog.find('h3').text()).toBe('Delete 900.0 MB?')
    expect(dialog.text()).toContain('These are weights of finished runs that a study uses: only training them again gives them back.')
    await dialog.findAll('button').find((b) => b.text() === 'Delete')!.trigger('click')
    await flush()
    expect(lab.calls.find((c) => c.method === 'storage.prune')!.input).toEqual({ olderThanDays: 7, categories: ['downstream-weights'] })
    expect(w.find('[role=status]').text()).toBe('Freed 900.0 MB.')
    expect(w.find('[data-category=downstream-weights] h3').text()).toBe('Fine-tuned networks of finished downstream runs: 0 B')
    w.unmount()
  })
})
