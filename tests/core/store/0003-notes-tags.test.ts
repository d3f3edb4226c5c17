// Migration 0003: notes and tags on studies and runs, strict, removed with their study or run, and
// written through the notes domain of the service (which refuses unknown targets).
import { describe, expect, it } from 'vitest'
import { migrate, openDatabase } from '../../../src-core/store/db.ts'
import { migration0002 } from '../../../src-core/store/migrations/0002-studies-runs.ts'
import { migration0003 } from '../../../src-core/store/migrations/0003-notes-tags.ts'
import { listAnnotations, setAnnotation } from '../../../src-core/store/notes.ts'
import * as runs from '../../../src-core/store/runs.ts'

const fresh = () => {
  const db = openDatabase(':memory:', [])
  migrate(db, [migration0002, migration0003])
  return db
}

const run = (id: string): runs.RunInsert => ({ id, name: `run-${id}`, stage: 'pretext', spec: { kind: 'pretext', seed: 0, params: { id } }, hash: `hash-${id}`, deps: [], pretext: 'rotation', pretrainDataset: 'demo-mammo', seed: 0, target: null, protocol: null, fusionMode: null, encoders: null })

describe('migration 0003 notes and tags', () => {
  it('migrates a database that already holds studies and runs, keeping them', () => {
    const db = openDatabase(':memory:', [])
    migrate(db, [migration0002])
    runs.insertStudy(db, { id: 'st-1', name: 'one', config: {} })
    runs.attachPlannedRuns(db, 'st-1', [run('a')], (id) => `/runs/${id}`)
    expect(migrate(db, [migration0002, migration0003])).toBe(3)
    expect(runs.getRun(db, 'a')?.name).toBe('run-a')
    expect(listAnnotations(db)).toEqual([])
  })

  it('stores, updates and removes notes and tags; tags are trimmed and unique', () => {
    const db = fresh()
    runs.insertStudy(db, { id: 'st-1', name: 'one', config: {} })
    setAnnotation(db, 'study', 'st-1', 'first try', [' baseline ', 'baseline', 'cpu'])
    expect(listAnnotations(db, 'study')).toMatchObject([{ targetId: 'st-1', note: 'first try', tags: ['baseline', 'cpu'] }])
    setAnnotation(db, 'study', 'st-1', 'second try', ['gpu'])
    expect(listAnnotations(db)).toMatchObject([{ note: 'second try', tags: ['gpu'] }])
    expect(setAnnotation(db, 'study', 'st-1', '  ', [])).toBeNull()
    expect(listAnnotations(db)).toEqual([])
  })

  it('is strict: an unknown kind or a tags value that is not a JSON array is refused', () => {
    const db = fresh()
    expect(() => db.prepare("INSERT INTO annotations (kind, target_id, updated_at) VALUES ('dataset', 'x', 'now')").run()).toThrow(/CHECK/)
    expect(() => db.prepare("INSERT INTO annotations (kind, target_id, tags_json, updated_at) VALUES ('run', 'x', '{\"a\":1}', 'now')").run()).toThrow(/CHECK/)
  })

  it('removes the notes of a study and its runs when they are deleted', () => {
    const db = fresh()
    runs.insertStudy(db, { id: 'st-1', name: 'one', config: {} })
    runs.attachPlannedRuns(db, 'st-1', [run('a')], (id) => `/runs/${id}`)
    setAnnotation(db, 'study', 'st-1', 'note', [])
    setAnnotation(db, 'run', 'a', 'odd loss', ['check'])
    db.prepare("DELETE FROM studies WHERE id = 'st-1'").run()
    expect(listAnnotations(db)).toEqual([])
  })

  it('uses the primary key to find one annotation', () => {
    const db = fresh()
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM annotations WHERE kind = 'run' AND target_id = 'a'").all() as { detail: string }[]
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (INDEX|PRIMARY KEY)/)
  })
})
