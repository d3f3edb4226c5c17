// A running job's health (images/s, elapsed, remaining at its own pace, memory, a warning when it
// goes quiet) and the study's ETA from the service, shown in the Runs view.
import { createTestingPinia } from '@pinia/testing'
import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { setLab } from '../../src-renderer/api/index.ts'
import RunHealth from '../../src-renderer/components/RunHealth.vue'
import { memoryText, QUIET_AFTER_S, runHealth } from '../../src-renderer/composables/run-health.ts'
import RunsView from '../../src-renderer/views/RunsView.vue'
import { fakeLab, flush } from './fake-lab.ts'

const T0 = Date.parse('2026-12-05T17:00:00Z')

describe('run health', () => {
  it('reports the rate, elapsed and remaining time at its own pace, memory, and goes quiet after 3 minutes', () => {
    const p = { imagesPerSec: 251.4, etaS: 95, memoryMb: 1843 }
    const h = runHealth('2026-12-05T17:00:00Z', p, T0 + 60_000, T0 + 120_000)
    expect(h).toEqual({ imagesPerSec: 251.4, elapsedS: 120, remainingS: 95, memoryMb: 1843, quietMin: null })
    expect(runHealth('2026-12-05T17:00:00Z', p, T0, T0 + QUIET_AFTER_S * 1000).quietMin).toBe(3)
    expect(runHealth('2026-12-05T17:00:00Z', undefined, T0, T0 + 1000)).toMatchObject({ imagesPerSec: null, remainingS: null, memoryMb: null })
    expect([memoryText(812.4), memoryText(3481.6), memoryText(null)]).toEqual(['812 MiB', '3.4 GiB', '—'])
  })

  it('warns in words when nothing has arrived for minutes', () => {
    const w = mount(RunHealth, { props: { startedAt: '2026-12-05T17:00:00Z', progress: { imagesPerSec: 40, etaS: 300, memoryMb: 900 }, lastSeenMs: T0, now: T0 + 7 * 60_000 } })
    expect(w.find('[data-testid=health-quiet]').text()).toMatch(/^No progress for 7 minutes/)
    expect(w.find('[data-testid=health-rate]').text()).toBe('40.0 images/s')
    expect(w.find('[data-testid=health-remaining]').text()).toBe('5 min 00 s')
    expect(w.find('[data-testid=health-memory]').text()).toBe('900 MiB')
  })
})

describe('RunsView: a running run and the study ETA', () => {
  it("shows the running run's health from its progress and the study's ETA from the service's schedule", async () => {
    const running = { id: 'r1', studyId: 's1', name: 'rotation-s0', stage: 'pretext', state: 'running', reason: null, attempts: 1, seed: 0, summary: null, startedAt: new Date(Date.now() - 30_000).toISOString(), finishedAt: null, deps: [] }
    const queued = { ...running, id: 'r2', name: 'extract-s0', stage: 'extract', state: 'queued', startedAt: null, deps: ['r1'] }
    const lab = fakeLab({
      'studies.list': () => [{ id: 's1', name: 'tiny', state: 'running', config: { device: { cpuSlots: 1 } }, createdAt: '', counts: {} }],
      'runs.list': () => [running, queued],
      'runs.metrics': () => [],
      'runs.logs': () => ({ lines: [], file: '/x/worker.log', events: [] }),
      'runs.artifacts': () => [],
      'notes.list': () => [],
      'studies.eta': () => ({ measured: true, basis: 'measured on cpu/1t at 32 px', etaS: 130, slots: 1, running: [{ runId: 'r1', remainingS: 120 }] }),
    })
    setLab(lab.api)
    const pinia = createTestingPinia({ stubActions: false, createSpy: vi.fn })
    const w = mount(RunsView, { global: { plugins: [pinia] } })
    const { useRunsStore } = await import('../../src-renderer/stores/runs.ts')
    useRunsStore(pinia).studyId = 's1'
    for (let i = 0; i < 4; i++) await flush()
    await w.find('[data-run="r1"] button.link').trigger('click')
    lab.emit('onRunProgress', { runId: 'r1', stage: 'train', epoch: 1, epochs: 4, step: 20, steps: 100, loss: 1.2, imagesPerSec: 64.2, etaS: 120, memoryMb: 1234 })
    for (let i = 0; i < 4; i++) await flush()
    expect(w.find('[data-testid=health-rate]').text()).toBe('64.2 images/s')
    expect(w.find('[data-testid=health-remaining]').attributes('data-seconds')).toBe('120')
    expect(w.find('[data-testid=health-memory]').text()).toBe('1.2 GiB')
    expect(w.find('[data-testid=health-quiet]').exists()).toBe(false)
    expect(w.find('[data-run="r1"] [data-testid=phase]').text()).toContain('step 20/100')
    const eta = w.find('[data-testid=study-eta]')
    expect(eta.text()).toMatch(/^About 2 min 10 s left: the queued runs over 1 slot\(s\) behind the running ones; measured on cpu\/1t at 32 px/)
    expect(Number(eta.attributes('data-eta-s'))).toBeGreaterThanOrEqual(120)
    expect(w.find('[data-testid=study-progress] [role=progressbar]').text()).toContain('ETA 2 min 10 s')
    w.unmount()
  })
})
