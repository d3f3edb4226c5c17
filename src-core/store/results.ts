// Read-only queries of the analysis team over the studies/runs/metrics tables (migration 0002,
// owned by the studies team). Nothing here writes: results are always recomputed from what the
// runs reported, so a report can never disagree with the store.
import type { Db } from './db.ts'
import { toRun, type RunRecord, type RunRow } from './runs.ts'

/** A study as the analysis needs it. */
export interface ResultStudy {
  /** Study id. */
  id: string
  /** Unique study name. */
  name: string
  /** The study config (JSON). */
  config: Record<string, unknown>
  /** ISO creation time. */
  createdAt: string
  /** Study state. */
  state: string
}

/** A run as the analysis reads it: the store's RunRecord with the encoder list never null. */
export type ResultRun = Omit<RunRecord, 'encoders'> & { encoders: string[] }

function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback
  try {
    return JSON.parse(text) as T
  } catch {
    return fallback
  }
}

function toResultRun(db: Db, row: RunRow): ResultRun {
  const run = toRun(db, row)
  return { ...run, encoders: run.encoders ?? [] }
}

const RUN_COLUMNS = 'r.*'

/** A study by id or name; null when there is none. */
export function findStudy(db: Db, key: string): ResultStudy | null {
  const r = db.prepare('SELECT id, name, config_json, created_at, state FROM studies WHERE id = ? OR name = ?').get(key, key) as
    | { id: string; name: string; config_json: string; created_at: string; state: string }
    | undefined
  return r ? { id: r.id, name: r.name, config: parseJson(r.config_json, {}), createdAt: r.created_at, state: r.state } : null
}

/** Runs of a study (including runs reused from other studies through study_runs), optionally one stage. */
export function studyRuns(db: Db, studyId: string, stage?: string): ResultRun[] {
  const rows = db
    .prepare(
      `SELECT ${RUN_COLUMNS} FROM runs r
       WHERE (r.study_id = ? OR r.id IN (SELECT run_id FROM study_runs WHERE study_id = ?))
         AND (? IS NULL OR r.stage = ?)
       ORDER BY r.name`,
    )
    .all(studyId, studyId, stage ?? null, stage ?? null) as RunRow[]
  return rows.map((r) => toResultRun(db, r))
}

/** Every run of one stage across all studies. */
export function allRuns(db: Db, stage: string): ResultRun[] {
  return (db.prepare(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.stage = ? ORDER BY r.name`).all(stage) as RunRow[]).map((r) => toResultRun(db, r))
}

/** One run by id. */
export function findRun(db: Db, id: string): ResultRun | null {
  const r = db.prepare(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.id = ?`).get(id) as RunRow | undefined
  return r ? toResultRun(db, r) : null
}

/** The last reported value of each metric of a run on one split (highest epoch, then step). */
export function lastMetrics(db: Db, runId: string, split: string): Record<string, number> {
  const rows = db
    .prepare(
      `SELECT name, value FROM metrics m
       WHERE run_id = ? AND split = ?
       ORDER BY epoch, step`,
    )
    .all(runId, split) as { name: string; value: number }[]
  const out: Record<string, number> = {}
  for (const r of rows) out[r.name] = r.value
  return out
}

/** Every metric point of a run, ordered for plotting. */
export function metricSeries(db: Db, runId: string): { split: string; name: string; epoch: number; step: number; value: number }[] {
  return db.prepare('SELECT split, name, epoch, step, value FROM metrics WHERE run_id = ? ORDER BY split, name, epoch, step').all(runId) as never
}

/** The log lines a worker's hello left (device and torch version), newest first. */
export function workerHelloLines(db: Db, runIds: readonly string[], limit = 20): string[] {
  if (!runIds.length) return []
  const rows = db
    .prepare(`SELECT message FROM run_events WHERE message LIKE 'worker pid %' AND run_id IN (SELECT value FROM json_each(?)) ORDER BY t DESC LIMIT ?`)
    .all(JSON.stringify(runIds), limit) as { message: string }[]
  return rows.map((r) => r.message)
}
