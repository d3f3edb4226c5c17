// What a run is doing and how far a study is: phases from the first second, no "100% · ETA 0 s"
// while a run still works, a study ETA from measured durations, controls only where they apply.
import { describe, expect, it } from 'vitest'
import { listRuns } from '../../src-renderer/composables/run-list.ts'
import { durationText, runPhase, studyControls, studyProgress } from '../../src-renderer/composables/run-status.ts'

const t0 = Date.parse('2026-12-01T10:00:00Z')
const at = (s: number) => new Date(t0 + s * 1000).toISOString()
const run = (over: Record<string, unknown>) => ({ id: 'r', studyId: 's', name: 'r', stage: 'downstream', state: 'queued', pretrainDataset: null, target: null, protocol: null, createdAt: at(0), startedAt: null, finishedAt: null, ...over })

describe('run phase', () => {
  it('says starting before the first progress event, then the stage with its ETA', () => {
    const r = run({ state: 'running', startedAt: at(0) })
    expect(runPhase(r, undefined)).toEqual({ label: 'starting: loading the data and the model', fraction: null, etaS: null })
    // step and steps are the global step and the run's total (the workers' protocol), whatever the epoch.
    const p = runPhase(r, { stage: 'train', epoch: 1, epochs: 2, step: 5, steps: 20, etaS: 30 })
    expect(p).toEqual({ label: 'training', fraction: 0.25, etaS: 30 })
  })

  it('does not claim 100% and ETA 0 s while a linear probe still trains its head', () => {
    const p = runPhase(run({ state: 'running' }), { stage: 'features', epoch: 1, epochs: 1, step: 4, steps: 4, etaS: 0 })
    expect(p.fraction).toBeNull()
    expect(p.etaS).toBeNull()
    expect(p.label).toMatch(/^finishing/)
  })
})

describe('study progress', () => {
  it('estimates the rest from the mean duration of finished runs of each stage, over the slots', () => {
    const runs = [
      run({ stage: 'pretext', state: 'done', startedAt: at(0), finishedAt: at(100) }),
      run({ stage: 'pretext', state: 'queued' }),
      run({ stage: 'downstream', state: 'done', startedAt: at(100), finishedAt: at(110) }),
      run({ stage: 'downstream', state: 'running', startedAt: at(200) }),
      run({ stage: 'downstream', state: 'queued' }),
    ]
    const p = studyProgress(runs, 2, t0 + 204_000)
    expect(p).toMatchObject({ done: 2, total: 5, running: 1, failed: 0 })
    expect(p.etaS).toBeCloseTo((100 + 6 + 10) / 2)
    expect(studyProgress([run({})], 1).etaS).toBeNull()
  })

  it('shows a finished run\'s duration and a running one\'s time so far', () => {
    expect(durationText(run({ state: 'done', startedAt: at(0), finishedAt: at(185) }))).toBe('3 min 05 s')
    expect(durationText(run({ state: 'running', startedAt: at(0) }), t0 + 42_000)).toBe('running 42 s')
    expect(durationText(run({}))).toBe('—')
  })
})

describe('study controls', () => {
  it('enables only what the state allows', () => {
    expect(studyControls('running')).toEqual({ pause: true, resume: false, cancel: true })
    expect(studyControls('paused')).toEqual({ pause: false, resume: true, cancel: true })
    expect(studyControls('done')).toEqual({ pause: false, resume: false, cancel: false })
    expect(studyControls(undefined)).toEqual({ pause: false, resume: false, cancel: false })
  })
})

describe('runs list', () => {
  const runs = [
    run({ id: 'a', name: 'pretext-rotation', stage: 'pretext', state: 'done', pretrainDataset: 'demo-mammo', startedAt: at(0), finishedAt: at(50) }),
    run({ id: 'b', name: 'binary-linear', stage: 'downstream', state: 'done', target: 'binary', startedAt: at(60), finishedAt: at(65) }),
    run({ id: 'c', name: '3class-linear', stage: 'downstream', state: 'queued', target: '3class' }),
  ]
  const o = { filter: '', groupBy: 'none' as const, sortBy: 'queue' as const, desc: false }

  it('groups by stage and by task', () => {
    expect(listRuns(runs, { ...o, groupBy: 'stage' }).map((g) => [g.label, g.runs.map((r) => r.id)])).toEqual([['downstream', ['b', 'c']], ['pretext', ['a']]])
    expect(listRuns(runs, { ...o, groupBy: 'task' }).map((g) => g.label)).toEqual(['(no task: pretext, extract, probe)', '3class', 'binary'])
  })

  it('sorts by duration, longest first when descending', () => {
    expect(listRuns(runs, { ...o, sortBy: 'duration', desc: true }, undefined, undefined, t0 + 100_000)[0]!.runs.map((r) => r.id)).toEqual(['a', 'b', 'c'])
  })

  it('filters on every word, including note and tag text', () => {
    const notes: Record<string, string> = { b: 'odd loss #check check' }
    expect(listRuns(runs, { ...o, filter: 'downstream check' }, undefined, (id) => notes[id] ?? '')[0]!.runs.map((r) => r.id)).toEqual(['b'])
    expect(listRuns(runs, { ...o, filter: 'mammo' })[0]!.runs.map((r) => r.id)).toEqual(['a'])
  })
})
