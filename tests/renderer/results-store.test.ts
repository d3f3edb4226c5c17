// The Results store: the table at once, the analysis later with its progress (onAnalysisProgress), a
// Cancel that aborts the request's signal, and a slower answer for another study never shown.
import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it } from 'vitest'
import { LabError } from '../../src-renderer/api/client.ts'
import { setLab } from '../../src-renderer/api/index.ts'
import { useResultsStore } from '../../src-renderer/stores/results.ts'
import { fakeLab, flush } from './fake-lab.ts'

describe('results store', () => {
  it('shows the table at once, the analysis progress while it runs, and cancels through the signal', async () => {
    let seen: AbortSignal | undefined
    const f = fakeLab({
      'results.table': () => [{ runId: 'r1', state: 'done' }],
      'results.analysis': (_i, signal) => new Promise((_resolve, reject) => {
        seen = signal
        signal?.addEventListener('abort', () => reject(new LabError('CANCELLED', 'results.analysis was cancelled.')))
      }),
    })
    setLab(f.api)
    setActivePinia(createPinia())
    const s = useResultsStore()
    await s.load('st-1')
    expect(s.rows).toHaveLength(1)
    const pending = s.loadAnalysis('st-1')
    await flush()
    expect(s.analysisLoading).toBe(true)
    f.emit('onAnalysisProgress', { studyId: 'st-1', phase: 'runs', done: 3, total: 10 })
    f.emit('onAnalysisProgress', { studyId: 'other', phase: 'runs', done: 9, total: 10 })
    expect(s.progress).toEqual({ studyId: 'st-1', phase: 'runs', done: 3, total: 10 })
    s.cancelAnalysis()
    await pending
    expect(seen?.aborted).toBe(true)
    expect(s.analysisLoading).toBe(false)
    expect(s.analysis).toBeNull()
    expect(s.analysisError).toMatch(/cancelled.*Analyse again/)
  })

  it('drops a slower analysis of a study no longer shown', async () => {
    let finish: (v: unknown) => void = () => {}
    setLab(fakeLab({ 'results.table': () => [], 'results.analysis': (i) => (i.studyId === 'a' ? new Promise((r) => (finish = r)) : { studyId: 'b' }) }).api)
    setActivePinia(createPinia())
    const s = useResultsStore()
    await s.load('a')
    const first = s.loadAnalysis('a')
    await s.load('b')
    await s.loadAnalysis('b')
    finish({ studyId: 'a' })
    await first
    expect((s.analysis as unknown as { studyId: string }).studyId).toBe('b')
  })
})
