// Migration 0005: per-run analysis results. Vectors round-trip exactly by (run, key), a run that
// finished again does not get its old statistics, and deleting a run deletes its rows.
import { describe, expect, it } from 'vitest'
import { getRunVectors, putRunVectors } from '../../../src-core/store/analysis-results.ts'
import { migrate, openDatabase } from '../../../src-core/store/db.ts'
import { migrations } from '../../../src-core/store/migrations/index.ts'
import * as runs from '../../../src-core/store/runs.ts'

const run = (id: string): runs.RunInsert => ({ id, name: `run-${id}`, stage: 'downstream', spec: { kind: 'downstream', seed: 0, params: { id } }, hash: `hash-${id}`, deps: [], pretext: null, pretrainDataset: null, seed: 0, target: 'binary', protocol: 'linear', fusionMode: null, encoders: null })

describe('migration 0005 analysis_run_results', () => {
  it('keeps a run\'s statistic vectors by key and finish, and drops them with the run', () => {
    const db = openDatabase(':memory:', [])
    expect(migrate(db, migrations.filter((m) => m.version <= 5))).toBe(5)
    runs.insertStudy(db, { id: 'st-1', name: 'one', config: {} })
    runs.attachPlannedRuns(db, 'st-1', [run('a')], (id) => `/runs/${id}`)
    const v = { names: ['accuracy', 'roc_auc'], estimate: Float64Array.from([0.8, 0.75]), values: Float64Array.from([0.1, 0.2, 0.3, NaN, 0.1 + 0.2, 1 / 3]) }
    putRunVectors(db, 'a', 'v1|k1', '2026-01-01T00:00:00Z', v)
    const back = getRunVectors(db, 'a', 'v1|k1', '2026-01-01T00:00:00Z')!
    expect(back.names).toEqual(v.names)
    expect([...back.estimate]).toEqual([...v.estimate])
    expect([...back.values]).toEqual([...v.values])
    expect(getRunVectors(db, 'a', 'v1|k3', '2026-01-01T00:00:00Z')).toBeNull()
    expect(getRunVectors(db, 'a', 'v1|k1', '2026-02-02T00:00:00Z')).toBeNull()
    putRunVectors(db, 'a', 'v1|k1', '2026-02-02T00:00:00Z', { ...v, estimate: Float64Array.from([0.9, 0.7]) })
    expect([...getRunVectors(db, 'a', 'v1|k1', '2026-02-02T00:00:00Z')!.estimate]).toEqual([0.9, 0.7])
    db.prepare('DELETE FROM runs WHERE id = ?').run('a')
    expect(db.prepare('SELECT COUNT(*) AS n FROM analysis_run_results').get()).toEqual({ n: 0 })
  })
})
