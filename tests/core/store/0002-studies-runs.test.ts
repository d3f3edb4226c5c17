import { describe, expect, it } from 'vitest'
import { migrate, openDatabase } from '../../../src-core/store/db.ts'
import { migration0002 } from '../../../src-core/store/migrations/0002-studies-runs.ts'
import * as store from '../../../src-core/store/runs.ts'

const fresh = () => {
  const db = openDatabase(':memory:', [])
  migrate(db, [migration0002])
  return db
}

const run = (id: string, deps: string[] = []): store.RunInsert => ({
  id,
  name: `run-${id}`,
  stage: 'pretext',
  spec: { kind: 'pretext', seed: 0, params: { id } },
  hash: `hash-${id}`,
  deps,
  pretext: 'rotation',
  pretrainDataset: 'demo-mammo',
  seed: 0,
  target: null,
  protocol: null,
  fusionMode: null,
  encoders: null,
})

describe('migration 0002 studies/runs', () => {
  it('creates strict tables that refuse unknown states', () => {
    const db = fresh()
    const s = store.insertStudy(db, { id: 'st-1', name: 'one', config: { a: 1 } })
    expect(s.state).toBe('draft')
    store.attachPlannedRuns(db, 'st-1', [run('a')], (id) => `/runs/${id}`)
    expect(() => db.prepare("UPDATE runs SET state = 'exploded' WHERE id = 'a'").run()).toThrow(/CHECK/)
    expect(() => db.prepare("UPDATE runs SET seed = 'x' WHERE id = 'a'").run()).toThrow()
  })

  it('links reused runs to a second study and keeps dependencies', () => {
    const db = fresh()
    store.insertStudy(db, { id: 'st-1', name: 'one', config: {} })
    store.insertStudy(db, { id: 'st-2', name: 'two', config: {} })
    expect(store.attachPlannedRuns(db, 'st-1', [run('a'), run('b', ['a'])], (id) => `/runs/${id}`)).toEqual({ created: ['a', 'b'], reused: [] })
    expect(store.attachPlannedRuns(db, 'st-2', [run('a'), run('c', ['a'])], (id) => `/runs/${id}`)).toEqual({ created: ['c'], reused: ['a'] })
    expect(store.getRun(db, 'a')!.studyId).toBe('st-1')
    expect(store.studiesOfRun(db, 'a').sort()).toEqual(['st-1', 'st-2'])
    expect(store.listRuns(db, { studyId: 'st-2' }).map((r) => r.id)).toEqual(['a', 'c'])
    expect(store.dependentsOf(db, 'a').sort()).toEqual(['b', 'c'])
  })

  it('offers a run only when its dependencies are done and its study runs', () => {
    const db = fresh()
    store.insertStudy(db, { id: 'st-1', name: 'one', config: {} })
    store.attachPlannedRuns(db, 'st-1', [run('a'), run('b', ['a'])], (id) => `/runs/${id}`)
    expect(store.readyRuns(db, 10)).toEqual([])
    store.setStudyState(db, 'st-1', 'running')
    expect(store.readyRuns(db, 10).map((r) => r.id)).toEqual(['a'])
    expect(store.markRunStarted(db, 'a')).toBe(true)
    expect(store.markRunStarted(db, 'a')).toBe(false)
    store.setRunState(db, 'a', 'done', null, { ok: 1 })
    expect(store.readyRuns(db, 10).map((r) => r.id)).toEqual(['b'])
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM runs WHERE state IN ('queued','interrupted')").all() as { detail: string }[]
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/runs_state/)
  })

  it('turns orphaned running runs into interrupted ones and replaces re-reported metrics', () => {
    const db = fresh()
    store.insertStudy(db, { id: 'st-1', name: 'one', config: {} })
    store.attachPlannedRuns(db, 'st-1', [run('a')], (id) => `/runs/${id}`)
    store.markRunStarted(db, 'a')
    const batch = { metrics: [{ split: 'val', epoch: 0, step: 5, values: { loss: 1.5, accuracy: 0.5 } }], artifacts: [], events: [] }
    store.writeReports(db, 'a', batch)
    store.writeReports(db, 'a', { ...batch, metrics: [{ split: 'val', epoch: 0, step: 5, values: { loss: 1.25 } }] })
    expect(store.runMetrics(db, 'a').filter((m) => m.name === 'loss')).toEqual([{ split: 'val', epoch: 0, step: 5, name: 'loss', value: 1.25 }])
    expect(store.interruptOrphanedRuns(db, 'lab stopped')).toEqual(['a'])
    // The lab stopped, not the run: the attempt it was on is given back.
    expect(store.getRun(db, 'a')).toMatchObject({ state: 'interrupted', reason: 'lab stopped', attempts: 0 })
  })
})
