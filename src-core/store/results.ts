// Read-only queries of the analysis team over the studies/runs/metrics tables (migration 0002,
// owned by the studies team). Nothing here writes: results are always recomputed from what the
// runs reported, so a report can never disagree with the store.
import type { Db } from './db.ts'

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

/** A run row with its JSON columns parsed. */
export interface ResultRun {
  /** Run id. */
  id: string
  /** Readable run name. */
  name: string
  /** pretext / extract / downstream / probe. */
  stage: string
  /** Run state. */
  state: string
  /** Pretext task (null for scratch and fusion). */
  pretext: string | null
  /** Pretraining dataset name (null for scratch and fusion). */
  pretrainDataset: string | null
  /** Seed. */
  seed: number
  /** binary / 3class (downstream). */
  target: string | null
  /** linear / finetune / scratch (downstream; fusion runs carry their mode). */
  protocol: string | null
  /** Fusion mode; set only for fusion runs. */
  fusionMode: string | null
  /** Encoder labels such as `rotation/demo-mammo`. */
  encoders: string[]
  /** Absolute run folder. */
  runDir: string
  /** The engine job spec with path placeholders. */
  spec: Record<string, unknown>
  /** The worker's done summary (null until done). */
  summary: Record<string, unknown> | null
  /** Why the run failed or stopped, if it did. */
  reason: string | null
  /** ISO time the run finished (null while unfinished). */
  finishedAt: string | null
}

interface RunRow {
  id: string
  name: string
  stage: string
  state: string
  pretext: string | null
  pretrain_dataset: string | null
  seed: number
  target: string | null
  protocol: string | null
  fusion_mode: string | null
  encoders_json: string | null
  run_dir: string
  spec_json: string
  summary_json: string | null
  reason: string | null
  finished_at: string | null
}

function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback
  try {
    return JSON.parse(text) as T
  } catch {
    return fallback
  }
}

const toRun = (r: RunRow): ResultRun => ({
  id: r.id,
  name: r.name,
  stage: r.stage,
  state: r.state,
  pretext: r.pretext,
  pretrainDataset: r.pretrain_dataset,
  seed: r.seed,
  target: r.target,
  protocol: r.protocol,
  fusionMode: r.fusion_mode,
  encoders: parseJson<string[]>(r.encoders_json, []),
  runDir: r.run_dir,
  spec: parseJson<Record<string, unknown>>(r.spec_json, {}),
  summary: parseJson<Record<string, unknown> | null>(r.summary_json, null),
  reason: r.reason,
  finishedAt: r.finished_at,
})

const RUN_COLUMNS = 'r.id, r.name, r.stage, r.state, r.pretext, r.pretrain_dataset, r.seed, r.target, r.protocol, r.fusion_mode, r.encoders_json, r.run_dir, r.spec_json, r.summary_json, r.reason, r.finished_at'

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
  return rows.map(toRun)
}

/** Every run of one stage across all studies. */
export function allRuns(db: Db, stage: string): ResultRun[] {
  return (db.prepare(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.stage = ? ORDER BY r.name`).all(stage) as RunRow[]).map(toRun)
}

/** One run by id. */
export function findRun(db: Db, id: string): ResultRun | null {
  const r = db.prepare(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.id = ?`).get(id) as RunRow | undefined
  return r ? toRun(r) : null
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
