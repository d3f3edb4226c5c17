// Where a study's jobs run, in the builder (the plan request carries device.executor and
// device.slurm) and in the Runs view (the selected run's Slurm job id, state and node).
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import ClusterJob from '../../src-renderer/components/ClusterJob.vue'
import StudyBuilderView from '../../src-renderer/views/StudyBuilderView.vue'
import { fakeLab, flush } from './fake-lab.ts'

const CONFIG = {
  pretextTasks: ['rotation'],
  pretrainDatasets: ['demo-mammo'],
  skipCells: [] as string[],
  downstreamDataset: 'demo-chest',
  targets: ['binary'],
  protocols: ['linear'],
  fusion: { sets: [] as string[][], modes: ['linear'] },
  seeds: [0],
  imageSize: 32,
  pretext: { epochs: 1, batchSize: 16, lr: 0.001 },
  downstream: { epochs: 1, batchSize: 16, lrHead: 0.003, lrEncoder: 0.0001 },
  probes: { invariance: false, similarity: false, nImages: 8 },
  device: { cpuSlots: 2 },
}
const wait = () => new Promise((r) => setTimeout(r, 300)) // the builder re-plans 250 ms after an edit
const pinia = () => createTestingPinia({ stubActions: false, createSpy: vi.fn })

describe('executor settings in the study builder', () => {
  it('chooses Slurm and its job request; empty boxes leave the cluster defaults', async () => {
    const f = fakeLab({
      'studies.presets': () => [{ name: 'demo', description: 'demo', config: structuredClone(CONFIG) }],
      'datasets.list': () => ['demo-mammo', 'demo-chest'].map((name, i) => ({ id: `d${i}`, name })),
      'studies.plan': () => ({ runs: [], counts: {}, reused: 0, estimate: { totalSeconds: 1, wallSeconds: 1, slots: 1, secondsByStage: {} } }),
    })
    setLab(f.api)
    const w = mount(StudyBuilderView, { global: { plugins: [pinia()] } })
    await flush()
    const device = () => (f.calls.filter((c) => c.method === 'studies.plan').at(-1)!.input.config as { device: Record<string, unknown> }).device
    expect(w.find('[data-testid=slurm-partition]').exists()).toBe(false)
    await w.find('[data-testid=executor]').setValue('slurm')
    await w.find('[data-testid=slurm-partition]').setValue('gpu')
    await w.find('[data-testid=slurm-gpus]').setValue('2')
    await w.find('[data-testid=slurm-timeMinutes]').setValue('720')
    await w.find('[data-testid=slurm-account]').setValue('  ')
    await wait()
    expect(device()).toEqual({ cpuSlots: 2, executor: 'slurm', slurm: { partition: 'gpu', gpus: 2, timeMinutes: 720 } })
    await w.find('[data-testid=executor]').setValue('local')
    await wait()
    expect(device().executor).toBe('local')
    expect(w.find('[data-testid=slurm-partition]').exists()).toBe(false)
    w.unmount()
  })
})

describe('Slurm job of a run in the Runs view', () => {
  it('shows job id, state with the pending reason in words, and node; nothing for local runs', async () => {
    const f = fakeLab({
      'runs.get': (input) =>
        input.id === 'r-slurm'
          ? { id: 'r-slurm', cluster: { executor: 'slurm', jobId: '4242', state: 'PENDING', reason: 'Priority', reasonText: 'waiting behind jobs of higher priority', node: null, submissions: 2, firstMessageS: 3.1, script: '/data/runs/r-slurm/slurm.sbatch' } }
          : { id: input.id, cluster: null },
    })
    setLab(f.api)
    const w = mount(ClusterJob, { props: { runId: 'r-slurm', state: 'queued' }, global: { plugins: [pinia()] } })
    await flush()
    expect(w.find('[data-testid=slurm-job-id]').text()).toBe('4242')
    expect(w.find('[data-testid=slurm-state]').text()).toBe('PENDING — waiting behind jobs of higher priority')
    expect(w.find('[data-testid=slurm-node]').text()).toBe('(not yet)')
    await w.setProps({ runId: 'r-local', state: 'running' })
    await flush()
    expect(w.find('[data-testid=cluster-job]').exists()).toBe(false)
    w.unmount()
  })
})
