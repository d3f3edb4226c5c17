// The shell: keyboard navigation between views and the theme toggle; the import wizard's request.
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import App from '../../src-renderer/App.vue'
import DatasetsView from '../../src-renderer/views/DatasetsView.vue'
import { fakeLab, flush } from './fake-lab.ts'

const handlers = { 'datasets.list': () => [], 'studies.list': () => [], 'studies.presets': () => [], 'runs.list': () => [], 'results.table': () => [] }

describe('App shell', () => {
  it('switches views with Alt+1..7 and marks the current one', async () => {
    setLab(fakeLab(handlers).api)
    const w = mount(App, { attachTo: document.body, global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
    await flush()
    // Views are loaded on first use (code-split): wait for the chunk.
    const until = async (sel: string) => {
      for (let i = 0; i < 100 && !w.find(sel).exists(); i++) await new Promise((r) => setTimeout(r, 20))
    }
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '3', altKey: true }))
    await flush()
    expect(w.find('[aria-current=page]').text()).toBe('Runs')
    await until('#runs-h')
    expect(w.find('#runs-h').exists()).toBe(true)
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '5', altKey: true }))
    await until('#compare-h')
    expect(w.find('#compare-h').exists()).toBe(true)
    expect(window.location.hash).toBe('#/compare')
    w.unmount()
  })

  it('toggles between light and dark themes', async () => {
    setLab(fakeLab(handlers).api)
    const w = mount(App, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
    const before = document.documentElement.dataset.theme
    await w.find('.theme-toggle').trigger('click')
    await flush()
    expect(document.documentElement.dataset.theme).not.toBe(before)
    expect(['light', 'dark']).toContain(document.documentElement.dataset.theme)
    w.unmount()
  })
})

describe('import wizard', () => {
  it('sends the chosen kind, folder, size, colour and split, and shows a refusal where it happened', async () => {
    const f = fakeLab({ ...handlers, 'datasets.import': () => Promise.reject(Object.assign(new Error('/x is outside the folders you opened in the lab.'), { code: 'PATH_REFUSED' })) })
    setLab(f.api)
    const w = mount(DatasetsView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
    await flush()
    await w.findAll('button').find((b) => b.text() === 'Import…')!.trigger('click')
    const form = w.find('form[aria-label="Import a dataset"]')
    await form.find('select').setValue('imagefolder')
    await form.find('input[placeholder="/path/to/images"]').setValue(' /x ')
    await form.find('input[placeholder="(from the folder name)"]').setValue('my-set')
    await form.trigger('submit')
    await flush()
    const call = f.calls.find((c) => c.method === 'datasets.import')!
    expect(call.input).toEqual({ kind: 'imagefolder', path: '/x', name: 'my-set', size: 64, color: 'auto', split: { train: 0.7, val: 0.1, test: 0.2 }, seed: 0 })
    expect(w.find('[role=alert]').text()).toContain('outside the folders')
    expect(w.find('form[aria-label="Import a dataset"]').exists()).toBe(true)
  })
})
