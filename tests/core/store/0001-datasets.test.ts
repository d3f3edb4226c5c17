import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src-core/store/db.ts'
import { migration0001 } from '../../../src-core/store/migrations/0001-datasets.ts'
import * as store from '../../../src-core/store/datasets.ts'

describe('migration 0001: datasets, samples', () => {
  it('creates STRICT tables that keep samples with their dataset and refuse bad states', () => {
    const db = openDatabase(':memory:', [migration0001])
    const strict = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ('datasets','samples')").all() as { name: string; sql: string }[]
    expect(strict.map((t) => t.name).sort()).toEqual(['datasets', 'samples'])
    for (const t of strict) expect(t.sql).toMatch(/STRICT$/)

    store.insertDataset(db, { id: 'ds-00000001', name: 'demo-chest', kind: 'chestxray14', source: '/src', dir: '/data/datasets/ds-00000001', options: { size: 48 }, importPid: 1 })
    expect(store.getDatasetByIdOrName(db, 'demo-chest')).toMatchObject({ id: 'ds-00000001', status: 'importing', labelNames: [], n: 0 })
    expect(() => db.prepare("UPDATE datasets SET status = 'done' WHERE id = 'ds-00000001'").run()).toThrow(/CHECK/)
    expect(() => db.prepare("UPDATE datasets SET n = 'many' WHERE id = 'ds-00000001'").run()).toThrow(/cannot store TEXT value in INTEGER column/)
    expect(() => store.insertDataset(db, { id: 'ds-00000002', name: 'demo-chest', kind: 'imagefolder', source: '/s', dir: '/d', options: {}, importPid: 1 })).toThrow(/UNIQUE/)

    store.finishImport(db, 'ds-00000001', {
      n: 2, height: 48, width: 48, channels: 1, labelNames: ['No Finding', 'Mass'], multiLabel: true, splits: { train: 1, val: 0, test: 1 }, report: { imported: 2 },
      samples: [
        { path: 'images/a.png', idx: 0, labels: 'Mass', patientId: 7, followUp: 0, view: 'PA', split: 'train', status: 'ok', reason: null },
        { path: 'images/b.png', idx: 1, labels: 'No Finding', patientId: 8, followUp: 0, view: 'AP', split: 'test', status: 'ok', reason: null },
        { path: 'images/c.png', idx: null, labels: '', patientId: null, followUp: null, view: null, split: null, status: 'skipped', reason: 'zero-byte: empty' },
      ],
    })
    const d = store.getDatasetByIdOrName(db, 'ds-00000001')!
    expect(d).toMatchObject({ status: 'ready', n: 2, labelNames: ['No Finding', 'Mass'], multiLabel: true, splits: { train: 1, val: 0, test: 1 } })
    expect(store.getReport(db, d.id)).toEqual({ imported: 2 })
    expect(store.listSamples(db, d.id, { status: 'skipped' }).map((s) => s.path)).toEqual(['images/c.png'])
    expect(store.listSamples(db, d.id).map((s) => s.idx)).toEqual([0, 1, null])
    expect(() => db.prepare("INSERT INTO samples (dataset_id, path, idx, status) VALUES ('ds-00000001', 'images/z.png', 0, 'ok')").run()).toThrow(/UNIQUE/)
    expect(() => db.prepare("INSERT INTO samples (dataset_id, path, status) VALUES ('ds-nope', 'x', 'ok')").run()).toThrow(/FOREIGN KEY/)

    // Patient look-ups (leak checks, per-patient views) use the index.
    const plan = db.prepare('EXPLAIN QUERY PLAN SELECT path FROM samples WHERE dataset_id = ? AND patient_id = ?').all('ds-00000001', 7) as { detail: string }[]
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING INDEX samples_patient/)

    store.deleteDataset(db, d.id)
    expect((db.prepare('SELECT COUNT(*) AS n FROM samples').get() as { n: number }).n).toBe(0)
  })
})
