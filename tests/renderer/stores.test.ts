// Stores against a fake API: loading, errors where they happen, live events, cancelled plans.
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { LabError } from '../../src-renderer/api/client.ts'
import { setLab } from '../../src-renderer/api/index.ts'
import { useDatasetsStore } from '../../src-renderer/stores/datasets.ts'
import { useRunsStore } from '../../src-renderer/stores/runs.ts'
import { useStudiesStore } from '../../src-renderer/stores/studies.ts'
import { fakeLab, flush, type Handler } from './fake-lab.ts'

const ds = { id: 'ds-1', name: 'demo-chest', kind: 'chestxray14', source: '/s', dir: '/d', status: 'ready', n: 10, height: 32, width: 32, channels: 1, labelNames: ['normal', 'finding'], multiLabel: false, splits: { train: 7, val: 1, test: 2 }, error: null, createdAt: '' }

function install(h: Record<string, Handler>) {
  const f = fakeLab(h)
  setLab(f.api)
  setActivePinia(createPinia())
  return f
}

describe('datasets store', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('loads the list and the label distribution of ready datasets', async () => {
    install({ 'datasets.list': () => [ds], 'datasets.report': () => ({ perLabel: { normal: { total: 6 }, finding: { total: 4 } } }) })
    const s = useDatasetsStore()
    await s.load()
    await flush()
    expect(s.items.map((d) => d.name)).toEqual(['demo-chest'])
    expect(s.ready).toHaveLength(1)
    expect(Object.keys(s.reports['ds-1']!.perLabel)).toEqual(['normal', 'finding'])
  })

  it('shows the service sentence when generating demo data fails', async () => {
    install({ 'datasets.list': () => [], 'datasets.generateDemo': () => Promise.reject(new LabError('INTERNAL', 'Disk full: free 1 GB and try again.')) })
    const s = useDatasetsStore()
    await s.generateDemo()
    expect(s.actionError).toBe('Disk full: free 1 GB and try again.')
    expect(s.generating).toBe(false)
  })

  it('tracks import progress from events', async () => {
    const f = install({ 'datasets.list': () => [] })
    const s = useDatasetsStore()
    f.emit('onImportProgress', { datasetId: 'ds-2', name: 'x', phase: 'decoding', done: 5, total: 10, imagesPerSec: 50, etaS: 0.1 })
    expect(s.progress['ds-2']!.done).toBe(5)
  })
})

describe('runs store', () => {
  it('updates states, progress and curves from events', async () => {
    const run = { id: 'r1', studyId: 's1', name: 'pretext-rotation', stage: 'pretext', state: 'queued', reason: null }
    const f = install({ 'runs.list': () => [run], 'runs.metrics': () => [{ split: 'train', epoch: 0, step: 1, name: 'loss', value: 2 }] })
    const s = useRunsStore()
    await s.load()
    f.emit('onRunState', { runId: 'r1', studyId: 's1', state: 'running' })
    expect(s.items[0]!.state).toBe('running')
    f.emit('onRunProgress', { runId: 'r1', stage: 'pretext', epoch: 0, epochs: 2, step: 3, steps: 10, loss: 1.5, imagesPerSec: 100, etaS: 12 })
    expect(s.progress.r1!.etaS).toBe(12)
    await s.loadMetrics('r1')
    f.emit('onMetric', { runId: 'r1', split: 'train', epoch: 1, step: 2, values: { loss: 1.8 } })
    f.emit('onMetric', { runId: 'r1', split: 'train', epoch: 1, step: 2, values: { loss: 1.7 } })
    // x is the epoch (every job kind reports one point per epoch); a repeated report replaces.
    expect(s.curves.r1!['train/loss']).toEqual([{ x: 0, step: 1, y: 2 }, { x: 1, step: 2, y: 1.7 }])
  })

  it('reports a refused control where it happened', async () => {
    install({ 'runs.list': () => [], 'runs.retry': () => Promise.reject(new LabError('BAD_REQUEST', 'Only failed or cancelled runs can be retried.')) })
    const s = useRunsStore()
    await s.control('r1', 'retry')
    expect(s.error).toBe('Only failed or cancelled runs can be retried.')
  })
})

describe('studies store', () => {
  it('cancels an older plan when the draft changes, and keeps only the newest', async () => {
    const aborted: boolean[] = []
    install({
      'studies.plan': (input, signal) =>
        new Promise((resolve, reject) => {
          const n = (input.config as { n: number }).n
          signal?.addEventListener('abort', () => {
            aborted.push(true)
            reject(new LabError('CANCELLED', 'cancelled'))
          })
          setTimeout(() => resolve({ runs: Array(n).fill({ existing: null }), counts: {}, reused: 0, estimate: { totalSeconds: n, wallSeconds: n, slots: 1, secondsByStage: {} } }), 5)
        }),
    })
    const s = useStudiesStore()
    const first = s.planDraft({ n: 1 })
    const second = s.planDraft({ n: 3 })
    await Promise.all([first, second])
    expect(aborted).toEqual([true])
    expect(s.plan!.runs).toHaveLength(3)
    expect(s.planError).toBeNull()
    expect(s.planning).toBe(false)
  })

  it('shows why a config cannot be planned', async () => {
    install({ 'studies.plan': () => Promise.reject(new LabError('BAD_REQUEST', 'seeds must be distinct')) })
    const s = useStudiesStore()
    await s.planDraft({})
    expect(s.plan).toBeNull()
    expect(s.planError).toBe('seeds must be distinct')
  })
})
