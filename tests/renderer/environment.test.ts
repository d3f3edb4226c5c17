// The first-run screen (set-up with steps and progress before anything else) and the Environment
// view (device, versions, GPU memory, disk, the last verification, Repair).
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import App from '../../src-renderer/App.vue'
import EnvironmentView from '../../src-renderer/views/EnvironmentView.vue'
import { fakeLab, flush } from './fake-lab.ts'

const verification = {
  ok: true,
  at: '2026-12-01T10:00:00.000Z',
  python: '/home/u/.local/share/xray-ssl-lab/engine-env/venv/bin/python',
  versions: { python: '3.12.3', torch: '2.9.1+cu128', torchvision: '0.24.1+cu128', numpy: '2.4.6', xlab: '0.1.0', cuda_build: '12.8', hip_build: null },
  device: { type: 'cuda', name: 'NVIDIA GeForce RTX 5090', count: 2 },
  gpus: [{ index: 0, name: 'NVIDIA GeForce RTX 5090', memory_total_bytes: 34190917632, memory_free_bytes: 33000000000, capability: '12.0' }],
  conv: { dtype: 'bfloat16', ok: true, seconds: 0.41, error: null },
  disk: { path: '/data/lab', freeBytes: 812e9, totalBytes: 2e12 },
  errors: [],
}
const status = (over: Record<string, unknown> = {}) => ({
  python: verification.python,
  source: 'managed',
  envDir: '/home/u/.local/share/xray-ssl-lab/engine-env',
  installed: { lock: 'linux-x64-cu128.txt', variant: 'cu128', tool: 'uv', toolVersion: 'uv 0.13.9', installedAt: '2026-12-01T09:58:00.000Z' },
  verification,
  busy: false,
  needsSetup: false,
  ...over,
})
const others = { 'datasets.list': () => [], 'studies.list': () => [], 'studies.presets': () => [], 'runs.list': () => [], 'results.table': () => [] }
const pinia = () => createTestingPinia({ stubActions: false, createSpy: vi.fn })

describe('first-run screen', () => {
  it('comes before every view until the environment is set up, with the steps and progress of the set-up', async () => {
    let installed = false
    let finish: () => void = () => {}
    const lab = fakeLab({
      ...others,
      'environment.status': () => status(installed ? {} : { installed: null, verification: null, needsSetup: true }),
      'environment.setup': () => new Promise((resolve) => (finish = () => resolve({ action: 'created', status: status() }))),
    })
    setLab(lab.api)
    const w = mount(App, { global: { plugins: [pinia()] } })
    await flush()
    expect(w.find('#first-run-h').text()).toBe('Set up the training engine')
    expect(w.find('#datasets-h').exists()).toBe(false)
    await w.find('.first-run .actions button').trigger('click')
    await flush()
    expect(lab.calls.find((c) => c.method === 'environment.setup')?.input).toEqual({ repair: false })
    lab.emit('onEnvironmentProgress', { phase: 'download', message: 'downloading torch (530.1MiB)', package: 'torch', bytes: 555849318, doneBytes: 555849318 })
    await flush()
    const steps = w.findAll('.setup-steps li').map((li) => li.attributes('data-state'))
    expect(steps).toEqual(['done', 'done', 'active', 'waiting', 'waiting'])
    expect(w.text()).toContain('556 MB of packages so far')
    expect(w.find('[aria-label="Set-up output"]').text()).toContain('downloading torch (530.1MiB)')
    installed = true
    finish()
    await flush()
    await flush()
    expect(w.find('#first-run-h').exists()).toBe(false)
    // The Datasets view is loaded on first use (code-split): wait for its chunk.
    for (let i = 0; i < 100 && !w.find('#datasets-h').exists(); i++) await new Promise((r) => setTimeout(r, 20))
    expect(w.find('#datasets-h').exists()).toBe(true)
    w.unmount()
  })

  it('shows the service\'s sentence when the set-up fails (offline) and offers to try again', async () => {
    const { LabError } = await import('../../src-renderer/api/client.ts')
    setLab(fakeLab({ ...others, 'environment.status': () => status({ installed: null, verification: null, needsSetup: true }), 'environment.setup': () => Promise.reject(new LabError('OFFLINE', 'The engine environment cannot be set up offline: ...')) }).api)
    const w = mount(App, { global: { plugins: [pinia()] } })
    await flush()
    await w.find('.first-run .actions button').trigger('click')
    await flush()
    expect(w.find('[role=alert]').text()).toContain('cannot be set up offline')
    expect(w.find('.first-run .actions button').text()).toBe('Try again')
    w.unmount()
  })
})

describe('Environment view', () => {
  it('shows device, versions, GPU memory, disk and the last verification', async () => {
    setLab(fakeLab({ 'environment.status': () => status() }).api)
    const w = mount(EnvironmentView, { global: { plugins: [pinia()] } })
    await flush()
    const text = w.text()
    expect(text).toContain('passed')
    expect(text).toContain('cuda: NVIDIA GeForce RTX 5090')
    expect(text).toContain('GPU 0NVIDIA GeForce RTX 5090, 33.0 GB free of 34.2 GB')
    expect(text).toContain('bfloat16 forward + backward: ok (0.41 s)')
    expect(text).toContain('812.0 GB free of 2.0 TB at /data/lab')
    expect(text).toContain('2.9.1+cu128')
    expect(text).toContain('linux-x64-cu128.txt with uv 0.13.9')
    w.unmount()
  })

  it('repairs only after confirmation, then checks again', async () => {
    const lab = fakeLab({ 'environment.status': () => status(), 'environment.setup': () => ({ action: 'repaired', status: status() }), 'environment.doctor': () => ({ ok: true, generatedAt: 'now', sections: [{ id: 'disk', title: 'Disk', status: 'ok', rows: [['free', '812.0 GB of 2.0 TB']], notes: [] }] }) })
    setLab(lab.api)
    const w = mount(EnvironmentView, { global: { plugins: [pinia()] } })
    await flush()
    await w.findAll('button').find((b) => b.text() === 'Repair…')!.trigger('click')
    expect(lab.calls.some((c) => c.method === 'environment.setup')).toBe(false)
    expect(w.find('[role=dialog]').text()).toContain('Datasets, runs and results are not touched')
    await w.find('[role=dialog] button').trigger('click')
    await flush()
    await flush()
    expect(lab.calls.find((c) => c.method === 'environment.setup')?.input).toEqual({ repair: true })
    expect(lab.calls.some((c) => c.method === 'environment.doctor')).toBe(true)
    expect(w.text()).toContain('812.0 GB of 2.0 TB')
    w.unmount()
  })

  it('does not offer Repair for a Python the lab did not create', async () => {
    setLab(fakeLab({ 'environment.status': () => status({ source: 'env', installed: null }) }).api)
    const w = mount(EnvironmentView, { global: { plugins: [pinia()] } })
    await flush()
    expect(w.findAll('button').find((b) => b.text() === 'Repair…')!.attributes('disabled')).toBeDefined()
    w.unmount()
  })
})
