// The stored per-run analysis results (migration 0005): a run's bootstrap statistic vectors under
// one key (analysis version, bootstrap options, test set, seeds drawn), valid while the run's
// finished_at is the one they were computed for.
import type { Db } from './db.ts'

/** A run's statistics: names, value on the whole test set, values per replicate (statistic-major). */
export interface StoredRunVectors {
  names: string[]
  estimate: Float64Array
  values: Float64Array
}

const toF64 = (b: Buffer) => new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
const toBlob = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)

/** The stored vectors of a run under `key`, or null when none (or computed for another finish of the run). */
export function getRunVectors(db: Db, runId: string, key: string, finishedAt: string | null): StoredRunVectors | null {
  const row = db.prepare('SELECT run_finished_at, names_json, estimate, vals FROM analysis_run_results WHERE run_id = ? AND key = ?').get(runId, key) as
    | { run_finished_at: string | null; names_json: string; estimate: Buffer; vals: Buffer }
    | undefined
  if (!row || row.run_finished_at !== finishedAt) return null
  const names = JSON.parse(row.names_json) as string[]
  const estimate = toF64(row.estimate)
  const values = toF64(row.vals)
  if (estimate.length !== names.length || values.length % Math.max(1, names.length) !== 0) return null
  return { names, estimate, values }
}

/** Stores a run's vectors under `key`, replacing what the run had under it. */
export function putRunVectors(db: Db, runId: string, key: string, finishedAt: string | null, v: StoredRunVectors): void {
  db.prepare(
    `INSERT INTO analysis_run_results (run_id, key, run_finished_at, names_json, estimate, vals, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, key) DO UPDATE SET run_finished_at = excluded.run_finished_at, names_json = excluded.names_json, estimate = excluded.estimate, vals = excluded.vals, created_at = excluded.created_at`,
  ).run(runId, key, finishedAt, JSON.stringify(v.names), toBlob(v.estimate), toBlob(v.values), new Date().toISOString())
}
