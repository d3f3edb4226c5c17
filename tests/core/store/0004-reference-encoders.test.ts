// Migration 0004: the reference-encoder table, and the runs table rebuilt so it accepts the knn
// protocol and the multilabel14 target, keeping every row, dependency, metric, artifact, event and
// note of a database migrated from version 3, with foreign keys and the note trigger still working.
import { describe, expect, it } from 'vitest'
import { migrate, openDatabase } from '../../../src-core/store/db.ts'
import { migration0001 } from '../../../src-core/store/migrations/0001-datasets.ts'
import { migration0002 } from '../../../src-core/store/migrations/0002-studies-runs.ts'
import { migration0003 } from '../../../src-core/store/migrations/0003-notes-tags.ts'
import { migration0004 } from '../../../src-core/store/migrations/0004-reference-encoders.ts'
import { listAnnotations, setAnnotation } from '../../../src-core/store/notes.ts'
import { getReferenceEncoder, insertReferenceEncoder, listReferenceEncoders } from '../../../src-core/store/reference-encoders.ts'
import * as runs from '../../../src-core/store/runs.ts'

const run = (id: string, over: Partial<runs.RunInsert> = {}): runs.RunInsert => ({ id, name: `run-${id}`, stage: 'downstream', spec: { kind: 'downstream', seed: 0, params: { id } }, hash: `hash-${id}`, deps: [], pretext: null, pretrainDataset: null, seed: 0, target: 'binary', protocol: 'linear', fusionMode: null, encoders: null, ...over })
const upTo3 = [migration0001, migration0002, migration0003]

describe('migration 0004 reference encoders', () => {
  it('keeps a version-3 database whole and then accepts knn and multilabel14 runs', () => {
    const db = openDatabase(':memory:', [])
    migrate(db, upTo3)
    runs.insertStudy(db, { id: 'st-1', name: 'one', config: {} })
    runs.attachPlannedRuns(db, 'st-1', [run('a'), run('b', { deps: ['a'] })], (id) => `/runs/${id}`)
    runs.writeReports(db, 'b', { metrics: [{ split: 'test', epoch: 0, step: 1, values: { roc_auc: 0.7 } }], artifacts: [], events: [{ t: 'now', level: 'info', message: 'hello' }] })
    setAnnotation(db, 'run', 'b', 'a note', ['x'])
    expect(() => runs.attachPlannedRuns(db, 'st-1', [run('k', { protocol: 'knn' })], (id) => `/runs/${id}`)).toThrow(/CHECK constraint/)

    expect(migrate(db, [...upTo3, migration0004])).toBe(4)
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(runs.getRun(db, 'b')).toMatchObject({ name: 'run-b', protocol: 'linear', target: 'binary' })
    expect(runs.dependenciesOf(db, 'b')).toEqual(['a'])
    expect(runs.runMetrics(db, 'b').map((m) => m.value)).toEqual([0.7])
    expect(runs.runEvents(db, 'b').map((e) => e.message)).toEqual(['hello'])
    expect(listAnnotations(db, 'run').map((a) => a.note)).toEqual(['a note'])

    runs.attachPlannedRuns(db, 'st-1', [run('k', { protocol: 'knn', target: 'multilabel14' })], (id) => `/runs/${id}`)
    expect(runs.getRun(db, 'k')).toMatchObject({ protocol: 'knn', target: 'multilabel14' })
    expect(() => runs.attachPlannedRuns(db, 'st-1', [run('z', { protocol: 'nope' })], (id) => `/runs/${id}`)).toThrow(/CHECK constraint/)
    // Foreign keys still point at the rebuilt table: removing a run cascades and the note trigger fires.
    db.prepare('DELETE FROM runs WHERE id = ?').run('b')
    expect(runs.runMetrics(db, 'b')).toEqual([])
    expect(listAnnotations(db, 'run')).toEqual([])
    expect(db.pragma('foreign_key_check')).toEqual([])
  })

  it('stores reference encoders by unique name with their checksums and normalisation', () => {
    const db = openDatabase(':memory:')
    const sha = 'a'.repeat(64)
    insertReferenceEncoder(db, { name: 'imagenet', path: '/lab/encoders/imagenet/encoder.pth', sha256: sha, sourcePath: '/home/u/resnet18.pth', sourceSha256: 'b'.repeat(64), normalisation: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, parameters: 11176512 })
    expect(getReferenceEncoder(db, 'imagenet')).toMatchObject({ sha256: sha, normalisation: { mean: [0.485, 0.456, 0.406] }, parameters: 11176512 })
    expect(listReferenceEncoders(db).map((e) => e.name)).toEqual(['imagenet'])
    expect(() => insertReferenceEncoder(db, { name: 'imagenet', path: '/x', sha256: sha, sourcePath: '/y', sourceSha256: sha, normalisation: null, parameters: 1 })).toThrow(/UNIQUE/)
    expect(() => insertReferenceEncoder(db, { name: 'short', path: '/x', sha256: 'abc', sourcePath: '/y', sourceSha256: sha, normalisation: null, parameters: 1 })).toThrow(/CHECK/)
  })
})
