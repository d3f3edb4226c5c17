// The study builder's matrix: single cells can be skipped, the plan request carries them, and
// skipping a cell or unticking a task drops the fusion sets that need its encoder. (The real
// planner's counts for skipped cells: tests/core/study/planner.test.ts and the e2e run.)
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import StudyBuilderView from '../../src-renderer/views/StudyBuilderView.vue'
import { fakeLab, flush } from './fake-lab.ts'

const DEMO = {
  pretextTasks: ['rotation', 'inpainting', 'structure'],
  pretrainDatasets: ['demo-natural', 'demo-brainct', 'demo-mammo'],
  skipCells: [] as string[],
  downstreamDataset: 'demo-chest',
  targets: ['binary', '3class'],
  protocols: ['linear', 'finetune', 'scratch'],
  fusion: {
    sets: [['rotation/demo-mammo', 'inpainting/demo-mammo'], ['rotation/demo-mammo', 'structure/demo-mammo'], ['inpainting/demo-mammo', 'structure/demo-mammo'], ['rotation/demo-mammo', 'inpainting/demo-mammo', 'structure/demo-mammo']],
    modes: ['linear', 'finetune'],
  },
  seeds: [0],
  imageSize: 32,
  pretext: { steps: 48, batchSize: 64, lr: 0.001 },
  downstream: { epochs: 4, batchSize: 64, lrHead: 0.003, lrEncoder: 0.0001 },
  probes: { invariance: true, similarity: true, nImages: 64 },
  device: { cpuSlots: 2 },
}
const wait = () => new Promise((r) => setTimeout(r, 300)) // the builder re-plans 250 ms after an edit

function builder(opts: { datasets?: { id: string; name: string; status?: string; labelNames?: string[] }[]; config?: typeof DEMO } = {}) {
  const f = fakeLab({
    'studies.presets': () => [{ name: 'demo', description: 'demo', config: structuredClone(opts.config ?? DEMO) }],
    'datasets.list': () => opts.datasets ?? ['demo-natural', 'demo-brainct', 'demo-mammo', 'demo-chest'].map((name, i) => ({ id: `d${i}`, name })),
    'studies.create': () => ({ id: 'st-1' }),
    'studies.start': () => ({ id: 'st-1' }),
    'studies.list': () => [],
    // A fake planner: one run per trained cell and one per fusion set, enough to see the view follow.
    'studies.plan': (input) => {
      const c = input.config as typeof DEMO
      const n = c.pretextTasks.length * c.pretrainDatasets.length - c.skipCells.length + c.fusion.sets.length
      const runs = Array.from({ length: n }, (_, i) => ({ id: `r${i}`, name: `r${i}`, stage: 'pretext', existing: null }))
      return { runs, counts: { pretext: n }, reused: 0, estimate: { measured: true, device: 'cpu/1t', basis: 'measured on cpu/1t at 32 px', totalSeconds: 60, wallSeconds: 30, slots: 2, secondsByStage: {} } }
    },
  })
  setLab(f.api)
  const w = mount(StudyBuilderView, { global: { plugins: [createTestingPinia({ stubActions: false, createSpy: vi.fn })] } })
  const lastPlanned = () => f.calls.filter((c) => c.method === 'studies.plan').at(-1)!.input.config as { skipCells: string[]; fusion: { sets: string[][] } }
  return { w, lastPlanned, calls: f.calls }
}

describe('study builder matrix', () => {
  it('skips one cell: the run count drops, its fusion sets go, and the plan request carries skipCells', async () => {
    const { w, lastPlanned } = builder()
    await flush()
    await wait()
    expect(w.find('[data-testid=run-count]').text()).toBe('13 runs')
    const cell = w.find('[data-testid=cell-rotation-demo-mammo]')
    expect(cell.attributes('aria-pressed')).toBe('true')
    await cell.trigger('click')
    await wait()
    expect(w.find('[data-testid=cell-rotation-demo-mammo]').attributes('aria-pressed')).toBe('false')
    expect(lastPlanned().skipCells).toEqual(['rotation/demo-mammo'])
    expect(lastPlanned().fusion.sets.some((s) => s.includes('rotation/demo-mammo'))).toBe(false)
    expect(w.find('[data-testid="fusion-set-inpainting/demo-mammo+rotation/demo-mammo"]').exists()).toBe(false)
    expect(w.find('[data-testid=run-count]').text()).toBe(`${13 - 1 - 3} runs`)
    await w.find('[data-testid=cell-rotation-demo-mammo]').trigger('click')
    await wait()
    expect(lastPlanned().skipCells).toEqual([])
    w.unmount()
  })

  it('forgets a skipped cell and the fusion sets of a task that is unticked, so the config stays valid', async () => {
    const { w, lastPlanned } = builder()
    await flush()
    await w.find('[data-testid=cell-structure-demo-natural]').trigger('click')
    await w.find('[data-testid=task-structure]').trigger('change')
    await wait()
    expect(w.find('[data-testid=cell-structure-demo-natural]').exists()).toBe(false)
    expect(lastPlanned().skipCells).toEqual([])
    expect(lastPlanned().fusion.sets).toEqual([['rotation/demo-mammo', 'inpainting/demo-mammo']])
    expect(w.find('[role=alert]').exists()).toBe(false)
    w.unmount()
  })
})

describe('study builder finetune targets', () => {
  const withTargets = (finetuneTargets?: string[]) => ({ ...structuredClone(DEMO), downstream: { ...DEMO.downstream, ...(finetuneTargets ? { finetuneTargets } : {}) } }) as typeof DEMO
  const planned = (calls: { method: string; input: unknown }[]) => (calls.filter((c) => c.method === 'studies.plan').at(-1)!.input as { config: { downstream: { finetuneTargets?: string[] } } }).config.downstream

  it('shows the preset\'s finetune targets, narrows them by a click, and ticking every task again means all of them', async () => {
    const { w, calls } = builder({ config: withTargets(['binary']) })
    await flush()
    await wait()
    expect(planned(calls).finetuneTargets).toEqual(['binary'])
    expect((w.find('[data-testid=finetune-target-binary]').element as HTMLInputElement).checked).toBe(true)
    expect((w.find('[data-testid=finetune-target-3class]').element as HTMLInputElement).checked).toBe(false)
    await w.find('[data-testid=finetune-target-3class]').trigger('change')
    await wait()
    expect(planned(calls).finetuneTargets).toBeUndefined()
    await w.find('[data-testid=finetune-target-binary]').trigger('change')
    await wait()
    expect(planned(calls).finetuneTargets).toEqual(['3class'])
    // The last one stays ticked: no fine-tuning at all is the protocol unticked.
    await w.find('[data-testid=finetune-target-3class]').trigger('change')
    await wait()
    expect(planned(calls).finetuneTargets).toEqual(['3class'])
    w.unmount()
  })

  it('keeps the config valid when the only finetune target is unticked as a task', async () => {
    const { w, calls } = builder({ config: withTargets(['binary']) })
    await flush()
    await w.find('[data-testid=target-binary]').trigger('change')
    await wait()
    expect(planned(calls).finetuneTargets).toBeUndefined()
    expect(w.find('[data-testid=finetune-target-binary]').exists()).toBe(false)
    w.unmount()
  })
})

describe('study builder guards', () => {
  it('asks for confirmation with runs, time and reuse before anything starts', async () => {
    const { w, calls } = builder()
    await flush()
    await wait()
    await w.find('form[aria-label="Study configuration"]').trigger('submit')
    expect(calls.some((c) => c.method === 'studies.create')).toBe(false)
    const dialog = w.find('[data-testid=confirm]')
    expect(dialog.text()).toContain('13 runs will train')
    expect(dialog.text()).toContain('30 s on 2 slot(s)')
    expect(dialog.text()).toContain('0 finished run(s) from earlier studies will be reused')
    await w.find('[data-testid=confirm-start]').trigger('click')
    await flush()
    expect(calls.filter((c) => c.method === 'studies.create')).toHaveLength(1)
    w.unmount()
  })

  it('refuses to start while a named dataset is not imported', async () => {
    const { w, calls } = builder({ datasets: [{ id: 'd1', name: 'demo-mammo', status: 'ready' }, { id: 'd2', name: 'demo-natural', status: 'ready' }] })
    await flush()
    await wait()
    expect(w.find('[data-testid=missing-datasets]').text()).toContain('demo-chest is not imported')
    expect(w.find('[data-testid=start-study]').attributes('disabled')).toBeDefined()
    await w.find('form[aria-label="Study configuration"]').trigger('submit')
    expect(w.find('[data-testid=confirm]').exists()).toBe(false)
    expect(calls.some((c) => c.method === 'studies.create')).toBe(false)
    w.unmount()
  })

  it('warns about leakage and explains tasks the downstream set cannot define', async () => {
    const config = { ...structuredClone(DEMO), pretrainDatasets: ['demo-mammo', 'demo-chest'] }
    const { w } = builder({ config, datasets: [{ id: 'd1', name: 'demo-mammo', status: 'ready', labelNames: ['normal'] }, { id: 'd2', name: 'demo-chest', status: 'ready', labelNames: ['No Finding', 'Mass'] }] })
    await flush()
    await wait()
    expect(w.find('[data-testid=leakage]').text()).toContain('demo-chest is also ticked for pretraining')
    expect(w.find('[data-testid=target-3class]').attributes('disabled')).toBeDefined()
    expect(w.text()).toContain('has no "Pneumonia" label')
    expect(w.text()).toContain('Frozen encoder in eval mode')
    expect(w.text()).toContain('Head learning rate (per step)')
    w.unmount()
  })

  it('starts from what is imported: no preset dataset that is not imported is ticked, nor its fusion sets', async () => {
    const { w, lastPlanned } = builder({ datasets: [{ id: 'd1', name: 'my-folder', status: 'ready' }, { id: 'd2', name: 'demo-mammo', status: 'ready' }] })
    await flush()
    await wait()
    const planned = lastPlanned() as unknown as { pretrainDatasets: string[]; fusion: { sets: string[][] } }
    expect(planned.pretrainDatasets).toEqual(['demo-mammo'])
    expect(planned.fusion.sets.flat().every((l) => l.endsWith('/demo-mammo'))).toBe(true)
    // Create sits in the sticky footer with the run count, reachable without scrolling past the form.
    expect(w.find('.builder-footer [data-testid=start-study]').exists()).toBe(true)
    w.unmount()
  })

  it('shows only the empty state when there are no datasets', async () => {
    const { w } = builder({ datasets: [] })
    await flush()
    await wait()
    expect(w.text()).toContain('No datasets to study')
    expect(w.find('form[aria-label="Study configuration"]').exists()).toBe(false)
    w.unmount()
  })
})

describe('study builder snapshot probes', () => {
  const planned = (calls: { method: string; input: unknown }[]) => (calls.filter((c) => c.method === 'studies.plan').at(-1)!.input as { config: { pretext: { snapshots?: number[] }; downstream: { snapshotProbes?: boolean } } }).config

  it('ticking "transfer against pretext progress" plans snapshots at 25/50/100% with their probes; unticking drops both', async () => {
    const { w, calls } = builder()
    await flush()
    await wait()
    const box = w.find('[data-testid=snapshot-probes]')
    expect((box.element as HTMLInputElement).checked).toBe(false)
    await box.setValue(true)
    await wait()
    expect([planned(calls).pretext.snapshots, planned(calls).downstream.snapshotProbes]).toEqual([[0.25, 0.5, 1], true])
    await box.setValue(false)
    await wait()
    expect([planned(calls).pretext.snapshots, planned(calls).downstream.snapshotProbes]).toEqual([[], false])
    w.unmount()
  })
})
