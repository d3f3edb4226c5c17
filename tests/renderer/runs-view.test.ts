// Runs view: study controls follow the study's state, the study bar counts runs, and a running run
// without progress yet says it is starting; a done pretext run whose weights were reclaimed offers
// Retry, and a run's reason is phrased for the app.
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import { useRunsStore } from '../../src-renderer/stores/runs.ts'
import RunsView from '../../src-renderer/views/RunsView.vue'
import { fakeLab, flush } from './fake-lab.ts'

const run = (id: string, state: string) => ({ id, studyId: 's1', name: `run-${id}`, stage: 'downstream', state, reason: null as string | null, attempts: 1, pretext: 'rotation', pretrainDataset: 'demo-mammo', seed: 0, target: 'binary', protocol: 'linear', fusionMode: null, encoders: ['rotation/demo-mammo'], runDir: '/r', summary: null, createdAt: '2026-12-01T10:00:00Z', startedAt: state === 'queued' ? null : '2026-12-01T10:00:00Z', finishedAt: state === 'done' ? '2026-12-01T10:01:00Z' : null, progress: null, deps: [] })

async function mountWith(studyState: string, runs: (ReturnType<typeof run> & { weightsReclaimed?: boolean })[]) {
  setLab(fakeLab({ 'studies.list': () => [{ id: 's1', name: 'pilot', state: studyState, config: { device: { cpuSlots: 1 } }, createdAt: '', counts: {} }], 'runs.list': () => runs, 'notes.list': () => [], 'studies.eta': () => ({ measured: false, basis: 'not measured yet', etaS: null, slots: 1, running: [] }) }).api)
  const pinia = createTestingPinia({ stubActions: false, createSpy: vi.fn })
  const w = mount(RunsView, { global: { plugins: [pinia], stubs: { ChartView: true } } })
  await flush()
  useRunsStore(pinia).studyId = 's1'
  for (let i = 0; i < 3; i++) await flush()
  return w
}

describe('RunsView', () => {
  it('disables Pause, Resume and Cancel where the study state does not allow them', async () => {
    const done = await mountWith('done', [run('a', 'done')])
    expect(['study-pause', 'study-resume', 'study-cancel'].map((id) => done.find(`[data-testid=${id}]`).attributes('disabled') !== undefined)).toEqual([true, true, true])
    done.unmount()
    const running = await mountWith('running', [run('a', 'done'), run('b', 'running'), run('c', 'queued')])
    expect(['study-pause', 'study-resume', 'study-cancel'].map((id) => running.find(`[data-testid=${id}]`).attributes('disabled') !== undefined)).toEqual([false, true, false])
    expect(running.find('[data-testid=study-progress]').text()).toContain('1 of 3 runs done · 1 running')
    expect(running.find('[data-run=b] [data-testid=phase]').text()).toBe('starting: loading the data and the model')
  })

  it('offers Retry on a done pretext run whose weights were reclaimed, and phrases reasons for the app', async () => {
    const pre = { ...run('p', 'done'), stage: 'pretext', weightsReclaimed: true }
    const kept = { ...run('k', 'done'), stage: 'pretext', weightsReclaimed: false }
    const ext = { ...run('e', 'failed'), stage: 'extract', reason: 'Pretext run run-p (p) no longer has its weights. Resume the study (xlab study resume NAME) to train that pretext run again from step 0, or retry it alone in the app\'s Runs view; this extraction then follows it.' }
    const w = await mountWith('failed', [pre, kept, ext])
    expect(w.find('[data-run=p] .actions').text()).toBe('Retry')
    expect(w.find('[data-run=k] .actions').text()).toBe('')
    expect(w.find('[data-run=e]').text()).toContain('Resume the study (Resume in the Runs view) to train that pretext run again from step 0, or retry it alone (Retry on that run); this extraction then follows it.')
    w.unmount()
  })
})
