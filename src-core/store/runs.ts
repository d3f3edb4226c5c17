// All SQL about studies, runs, their dependencies and what workers report. Nothing else in the
// lab runs these queries (the analysis team reads the same tables through store/results.ts).
import type { Db } from './db.ts'
import { fromStoredPath, toStoredPath } from './data-root.ts'

export type RunState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted' | 'paused'
export type StudyState = 'draft' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled'
export type RunStage = 'pretext' | 'extract' | 'downstream' | 'probe'

/** States from which the scheduler may start a run (once its dependencies are done). */
export const READY_STATES: readonly RunState[] = ['queued', 'interrupted']

/** A study row. */
export interface StudyRecord {
  /** `st-<8 hex>`. */
  id: string
  /** Unique, chosen by the user. */
  name: string
  /** The study config (parsed JSON). */
  config: unknown
  /** ISO time of creation. */
  createdAt: string
  /** Lifecycle state. */
  state: StudyState
}

/** A run row with JSON columns parsed. */
export interface RunRecord {
  /** `r-<12 hex>` of the spec hash. */
  id: string
  /** The study that first planned it. */
  studyId: string
  /** Readable name. */
  name: string
  /** Pipeline stage. */
  stage: RunStage
  /** The engine job with path placeholders (study/spec.ts). */
  spec: { kind: RunStage; seed: number; params: Record<string, unknown>; provenance?: { engine: string; datasets: Record<string, string | null>; references?: Record<string, string | null> } }
  /** Content hash of the spec. */
  specHash: string
  /** Queue state. */
  state: RunState
  /** Why it failed, was cancelled or interrupted. */
  reason: string | null
  /** How many times a worker was started for it. */
  attempts: number
  /** Pretext task, where one applies. */
  pretext: string | null
  /** Pretraining dataset name, where one applies. */
  pretrainDataset: string | null
  /** Seed. */
  seed: number
  /** Downstream target. */
  target: string | null
  /** Downstream protocol. */
  protocol: string | null
  /** Fusion mode (fusion runs only). */
  fusionMode: string | null
  /** Encoder labels. */
  encoders: string[] | null
  /** Absolute run folder. */
  runDir: string
  /** The worker's done summary. */
  summary: Record<string, unknown> | null
  /** ISO times. */
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
  /** Last progress message (camelCase fields). */
  progress: Record<string, unknown> | null
}

/** The study-design factors of a run (api/runs.ts runFactorsShape). */
export type RunFactors = Pick<RunRecord, 'pretext' | 'pretrainDataset' | 'seed' | 'target' | 'protocol' | 'fusionMode' | 'encoders'>

/** Copies just the factors out of a run, planned run or result row. */
export function runFactorsOf<T extends RunFactors>(r: T): Pick<T, keyof RunFactors> {
  return { pretext: r.pretext, pretrainDataset: r.pretrainDataset, seed: r.seed, target: r.target, protocol: r.protocol, fusionMode: r.fusionMode, encoders: r.encoders }
}

/** What the planner hands to the store for one run: its factors as in RunRecord, the spec, its hash and dependencies. */
export interface RunInsert extends Pick<RunRecord, 'id' | 'name' | 'stage' | 'pretext' | 'pretrainDataset' | 'seed' | 'target' | 'protocol' | 'fusionMode' | 'encoders'> {
  /** The engine job with path placeholders. */
  spec: unknown
  /** Content hash of the spec. */
  hash: string
  /** Ids of runs that must be done first. */
  deps: string[]
}

/** A `runs` row as SQLite returns it (for the read-only result queries in store/results.ts). */
export interface RunRow {
  id: string
  study_id: string
  name: string
  stage: RunStage
  spec_json: string
  spec_hash: string
  state: RunState
  reason: string | null
  attempts: number
  pretext: string | null
  pretrain_dataset: string | null
  seed: number
  target: string | null
  protocol: string | null
  fusion_mode: string | null
  encoders_json: string | null
  run_dir: string
  summary_json: string | null
  created_at: string
  started_at: string | null
  finished_at: string | null
  progress_json: string | null
}

const parse = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T))

/** Parses a `runs` row (SELECT *) of this database into a RunRecord (the run folder made absolute in its data root). */
export function toRun(db: Db, r: RunRow): RunRecord {
  return {
    id: r.id,
    studyId: r.study_id,
    name: r.name,
    stage: r.stage,
    spec: JSON.parse(r.spec_json) as RunRecord['spec'],
    specHash: r.spec_hash,
    state: r.state,
    reason: r.reason,
    attempts: r.attempts,
    pretext: r.pretext,
    pretrainDataset: r.pretrain_dataset,
    seed: r.seed,
    target: r.target,
    protocol: r.protocol,
    fusionMode: r.fusion_mode,
    encoders: parse<string[]>(r.encoders_json),
    runDir: fromStoredPath(db, r.run_dir),
    summary: parse<Record<string, unknown>>(r.summary_json),
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    progress: parse<Record<string, unknown>>(r.progress_json),
  }
}

const now = () => new Date().toISOString()

// ---- studies -------------------------------------------------------------------------------

interface StudyRow {
  id: string
  name: string
  config_json: string
  created_at: string
  state: StudyState
}
const toStudy = (r: StudyRow): StudyRecord => ({ id: r.id, name: r.name, config: JSON.parse(r.config_json), createdAt: r.created_at, state: r.state })

export function insertStudy(db: Db, s: { id: string; name: string; config: unknown }): StudyRecord {
  db.prepare('INSERT INTO studies (id, name, config_json, created_at, state) VALUES (?, ?, ?, ?, ?)').run(s.id, s.name, JSON.stringify(s.config), now(), 'draft')
  return getStudy(db, s.id)!
}

/**
 * The study of this name with its config replaced, or a new one under `newId`. Read and write happen
 * under the write lock, so two processes creating one name at once get one study, not a UNIQUE error.
 */
export function saveStudyConfig(db: Db, s: { newId: string; name: string; config: unknown }): { study: StudyRecord; created: boolean } {
  return db
    .transaction(() => {
      const existing = getStudy(db, s.name)
      if (existing) {
        setStudyConfig(db, existing.id, s.config)
        return { study: getStudy(db, existing.id)!, created: false }
      }
      return { study: insertStudy(db, { id: s.newId, name: s.name, config: s.config }), created: true }
    })
    .immediate()
}

/** A study by id or by name. */
export function getStudy(db: Db, key: string): StudyRecord | null {
  const r = db.prepare('SELECT * FROM studies WHERE id = ? OR name = ?').get(key, key) as StudyRow | undefined
  return r ? toStudy(r) : null
}

export function listStudies(db: Db): StudyRecord[] {
  return (db.prepare('SELECT * FROM studies ORDER BY created_at').all() as StudyRow[]).map(toStudy)
}

export function setStudyState(db: Db, id: string, state: StudyState): void {
  db.prepare('UPDATE studies SET state = ? WHERE id = ?').run(state, id)
}

export function setStudyConfig(db: Db, id: string, config: unknown): void {
  db.prepare('UPDATE studies SET config_json = ? WHERE id = ?').run(JSON.stringify(config), id)
}

/** Studies the queue is working on. */
export function activeStudyIds(db: Db): string[] {
  return (db.prepare("SELECT id FROM studies WHERE state = 'running'").all() as { id: string }[]).map((r) => r.id)
}

// ---- planning ------------------------------------------------------------------------------

/** Runs that already exist for these spec hashes, by hash. */
export function runsByHash(db: Db, hashes: string[]): Map<string, RunRecord> {
  const out = new Map<string, RunRecord>()
  const q = db.prepare('SELECT * FROM runs WHERE spec_hash = ?')
  for (const h of hashes) {
    const r = q.get(h) as RunRow | undefined
    if (r) out.set(h, toRun(db, r))
  }
  return out
}

/**
 * Links a study to its planned runs in one transaction: new specs become queued runs, existing
 * ones (from this or any study) are reused as they are; runs the edited plan no longer needs are
 * unlinked from the study but kept.
 */
export function attachPlannedRuns(db: Db, studyId: string, runs: RunInsert[], runDirFor: (id: string) => string): { created: string[]; reused: string[] } {
  const created: string[] = []
  const reused: string[] = []
  const insertRun = db.prepare(`INSERT INTO runs (id, study_id, name, stage, spec_json, spec_hash, state, attempts, pretext, pretrain_dataset, seed,
      target, protocol, fusion_mode, encoders_json, run_dir, created_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  const exists = db.prepare('SELECT 1 FROM runs WHERE id = ?')
  const insertDep = db.prepare('INSERT OR IGNORE INTO run_deps (run_id, depends_on) VALUES (?, ?)')
  const link = db.prepare('INSERT OR IGNORE INTO study_runs (study_id, run_id) VALUES (?, ?)')
  db.transaction(() => {
    const wanted = new Set(runs.map((r) => r.id))
    const linked = db.prepare('SELECT run_id FROM study_runs WHERE study_id = ?').all(studyId) as { run_id: string }[]
    const unlink = db.prepare('DELETE FROM study_runs WHERE study_id = ? AND run_id = ?')
    for (const l of linked) if (!wanted.has(l.run_id)) unlink.run(studyId, l.run_id)
    for (const r of runs) {
      if (exists.get(r.id)) reused.push(r.id)
      else {
        insertRun.run(r.id, studyId, r.name, r.stage, JSON.stringify(r.spec), r.hash, r.pretext, r.pretrainDataset, r.seed, r.target, r.protocol, r.fusionMode, r.encoders ? JSON.stringify(r.encoders) : null, toStoredPath(db, runDirFor(r.id)), now())
        created.push(r.id)
      }
      for (const dep of r.deps) insertDep.run(r.id, dep)
      link.run(studyId, r.id)
    }
  }).immediate()
  return { created, reused }
}

// ---- runs ----------------------------------------------------------------------------------

export function getRun(db: Db, id: string): RunRecord | null {
  const r = db.prepare('SELECT * FROM runs WHERE id = ? OR name = ? ORDER BY created_at LIMIT 1').get(id, id) as RunRow | undefined
  return r ? toRun(db, r) : null
}

/** Runs, optionally of one study (through study_runs) and/or in one state, in creation order. */
export function listRuns(db: Db, filter: { studyId?: string; state?: RunState } = {}): RunRecord[] {
  const where: string[] = []
  const args: string[] = []
  if (filter.studyId) {
    where.push('id IN (SELECT run_id FROM study_runs WHERE study_id = ?)')
    args.push(filter.studyId)
  }
  if (filter.state) {
    where.push('state = ?')
    args.push(filter.state)
  }
  const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, rowid`
  return (db.prepare(sql).all(...args) as RunRow[]).map((r) => toRun(db, r))
}

/** Study ids a run belongs to. */
export function studiesOfRun(db: Db, runId: string): string[] {
  return (db.prepare('SELECT study_id FROM study_runs WHERE run_id = ?').all(runId) as { study_id: string }[]).map((r) => r.study_id)
}

/** Run counts per state for a study. */
export function studyStateCounts(db: Db, studyId: string): Record<RunState, number> {
  const out: Record<RunState, number> = { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0, interrupted: 0, paused: 0 }
  const rows = db.prepare('SELECT r.state AS state, COUNT(*) AS n FROM runs r JOIN study_runs s ON s.run_id = r.id WHERE s.study_id = ? GROUP BY r.state').all(studyId) as { state: RunState; n: number }[]
  for (const r of rows) out[r.state] = r.n
  return out
}

/**
 * Runs the scheduler may start now: ready state, every dependency done, belonging to a running
 * study, oldest first (the planner inserts runs in dependency order).
 */
export function readyRuns(db: Db, limit: number): RunRecord[] {
  const rows = db
    .prepare(
      `SELECT r.* FROM runs r
       WHERE r.state IN ('queued', 'interrupted')
         AND EXISTS (SELECT 1 FROM study_runs sr JOIN studies s ON s.id = sr.study_id WHERE sr.run_id = r.id AND s.state = 'running')
         AND NOT EXISTS (SELECT 1 FROM run_deps d JOIN runs p ON p.id = d.depends_on WHERE d.run_id = r.id AND p.state <> 'done')
       ORDER BY r.created_at, r.rowid LIMIT ?`,
    )
    .all(limit) as RunRow[]
  return rows.map((r) => toRun(db, r))
}

/** Marks a run started (one more attempt) unless another scheduler took it first; true if it did. */
export function markRunStarted(db: Db, id: string): boolean {
  const r = db.prepare("UPDATE runs SET state = 'running', attempts = attempts + 1, started_at = ?, finished_at = NULL WHERE id = ? AND state IN ('queued', 'interrupted')").run(now(), id)
  return r.changes === 1
}

/** Gives back the attempt a run was on when the lab itself stopped it (a shutdown is not a failure). */
export function forgiveAttempt(db: Db, id: string): void {
  db.prepare('UPDATE runs SET attempts = MAX(0, attempts - 1) WHERE id = ?').run(id)
}

/** Sets a run's state and reason; finished states also stamp finished_at (and the summary). */
export function setRunState(db: Db, id: string, state: RunState, reason: string | null = null, summary?: unknown): void {
  const finished = state === 'done' || state === 'failed' || state === 'cancelled'
  db.prepare('UPDATE runs SET state = ?, reason = ?, finished_at = CASE WHEN ? THEN ? ELSE finished_at END, summary_json = COALESCE(?, summary_json) WHERE id = ?').run(
    state,
    reason,
    finished ? 1 : 0,
    now(),
    summary === undefined ? null : JSON.stringify(summary),
    id,
  )
}

/** Moves every run of a study from one set of states to another; returns the ids changed. */
export function moveStudyRuns(db: Db, studyId: string, from: RunState[], to: RunState, reason: string | null): string[] {
  return db.transaction(() => {
    const ids = (
      db.prepare(`SELECT r.id FROM runs r JOIN study_runs s ON s.run_id = r.id WHERE s.study_id = ? AND r.state IN (${from.map(() => '?').join(',')})`).all(studyId, ...from) as { id: string }[]
    ).map((r) => r.id)
    const upd = db.prepare('UPDATE runs SET state = ?, reason = ? WHERE id = ?')
    for (const id of ids) upd.run(to, reason, id)
    return ids
  }).immediate()
}

/** Runs that depend, directly or not, on a run. */
export function dependentsOf(db: Db, runId: string): string[] {
  const rows = db
    .prepare(
      `WITH RECURSIVE down(id) AS (SELECT run_id FROM run_deps WHERE depends_on = ? UNION SELECT d.run_id FROM run_deps d JOIN down ON d.depends_on = down.id)
       SELECT id FROM down`,
    )
    .all(runId) as { id: string }[]
  return rows.map((r) => r.id)
}

/** Ids of the direct dependencies of a run. */
export function dependenciesOf(db: Db, runId: string): string[] {
  return (db.prepare('SELECT depends_on FROM run_deps WHERE run_id = ?').all(runId) as { depends_on: string }[]).map((r) => r.depends_on)
}

/**
 * After a crash of the lab service: runs left `running` become `interrupted` (they resume from
 * their last checkpoint when the queue starts them again). Returns the ids.
 */
export function interruptOrphanedRuns(db: Db, reason: string): string[] {
  return db.transaction(() => {
    const ids = (db.prepare("SELECT id FROM runs WHERE state = 'running'").all() as { id: string }[]).map((r) => r.id)
    // The lab stopped, not the run: the attempt it was on is not used up.
    db.prepare("UPDATE runs SET state = 'interrupted', reason = ?, attempts = MAX(0, attempts - 1) WHERE state = 'running'").run(reason)
    return ids
  }).immediate()
}

// ---- what workers report -------------------------------------------------------------------

/** One metric message of a worker. */
export interface MetricPoint {
  split: string
  epoch: number
  step: number
  values: Record<string, number>
}

/** One artifact of a run. */
export interface ArtifactRecord {
  kind: string
  name: string
  path: string
  createdAt: string
}

/** A batch of worker reports, written in one transaction. */
export interface ReportBatch {
  metrics: MetricPoint[]
  artifacts: { kind: string; name: string; path: string }[]
  events: { t: string; level: string; message: string }[]
  progress?: Record<string, unknown>
}

export function writeReports(db: Db, runId: string, batch: ReportBatch): void {
  const m = db.prepare('INSERT OR REPLACE INTO metrics (run_id, split, epoch, step, name, value) VALUES (?, ?, ?, ?, ?, ?)')
  const a = db.prepare('INSERT OR REPLACE INTO artifacts (run_id, kind, name, path, created_at) VALUES (?, ?, ?, ?, ?)')
  const e = db.prepare('INSERT INTO run_events (run_id, t, level, message) VALUES (?, ?, ?, ?)')
  db.transaction(() => {
    for (const p of batch.metrics) for (const [name, value] of Object.entries(p.values)) if (Number.isFinite(value)) m.run(runId, p.split, p.epoch, p.step, name, value)
    for (const x of batch.artifacts) a.run(runId, x.kind, x.name, toStoredPath(db, x.path), now())
    for (const x of batch.events) e.run(runId, x.t, x.level, x.message)
    if (batch.progress) db.prepare('UPDATE runs SET progress_json = ? WHERE id = ?').run(JSON.stringify(batch.progress), runId)
  }).immediate()
}

/** Metric rows of a run. */
export function runMetrics(db: Db, runId: string): { split: string; epoch: number; step: number; name: string; value: number }[] {
  return db.prepare('SELECT split, epoch, step, name, value FROM metrics WHERE run_id = ? ORDER BY split, name, epoch, step').all(runId) as never
}

export function runArtifacts(db: Db, runId: string): ArtifactRecord[] {
  return (db.prepare('SELECT kind, name, path, created_at FROM artifacts WHERE run_id = ? ORDER BY created_at, name').all(runId) as { kind: string; name: string; path: string; created_at: string }[]).map((r) => ({
    kind: r.kind,
    name: r.name,
    path: fromStoredPath(db, r.path),
    createdAt: r.created_at,
  }))
}

/** The last `tail` log events of a run, oldest first. */
export function runEvents(db: Db, runId: string, tail = 200): { t: string; level: string; message: string }[] {
  const rows = db.prepare('SELECT t, level, message FROM run_events WHERE run_id = ? ORDER BY rowid DESC LIMIT ?').all(runId, tail) as { t: string; level: string; message: string }[]
  return rows.reverse()
}

/** Keeps only the newest `keep` events of a run (the log file keeps everything). */
export function trimRunEvents(db: Db, runId: string, keep: number): void {
  db.prepare('DELETE FROM run_events WHERE run_id = ? AND rowid NOT IN (SELECT rowid FROM run_events WHERE run_id = ? ORDER BY rowid DESC LIMIT ?)').run(runId, runId, keep)
}

/** Queues a done run to run again from the start (a pretext run whose weights were reclaimed); its summary stays until the new one. */
export function requeueDoneRun(db: Db, id: string): void {
  db.prepare("UPDATE runs SET state = 'queued', reason = NULL, finished_at = NULL, attempts = 0 WHERE id = ? AND state = 'done'").run(id)
}

/** Puts runs back in the queue (explicit retry/resume); a retry also resets the attempt count. */
export function requeueRuns(db: Db, ids: string[], resetAttempts: boolean): void {
  const q = db.prepare(`UPDATE runs SET state = 'queued', reason = NULL, finished_at = NULL${resetAttempts ? ', attempts = 0' : ''} WHERE id = ? AND state <> 'running' AND state <> 'done'`)
  db.transaction(() => {
    for (const id of ids) q.run(id)
  }).immediate()
}

/** Test metrics of a study's downstream runs, one row per run and metric name. */
export function studyTestMetrics(db: Db, studyId: string): { runId: string; name: string; value: number }[] {
  return db
    .prepare(
      `SELECT m.run_id AS runId, m.name AS name, m.value AS value FROM metrics m
       JOIN study_runs s ON s.run_id = m.run_id JOIN runs r ON r.id = m.run_id
       WHERE s.study_id = ? AND r.stage = 'downstream' AND m.split = 'test'
       ORDER BY m.run_id, m.name, m.epoch DESC, m.step DESC`,
    )
    .all(studyId) as { runId: string; name: string; value: number }[]
}

// ---- storage -------------------------------------------------------------------------------

/** Runs some study links (study_runs), with every run they depend on, directly or not: what a study still uses. */
export function runsInUse(db: Db): Set<string> {
  const rows = db
    .prepare(
      `WITH RECURSIVE used(id) AS (SELECT run_id FROM study_runs
         UNION SELECT d.depends_on FROM run_deps d JOIN used u ON d.run_id = u.id)
       SELECT id FROM used`,
    )
    .all() as { id: string }[]
  return new Set(rows.map((r) => r.id))
}

/** Deletes runs with their metrics, artifacts, events, dependencies and links (cascades). */
export function deleteRuns(db: Db, ids: string[]): void {
  const del = db.prepare('DELETE FROM runs WHERE id = ?')
  db.transaction(() => {
    for (const id of ids) del.run(id)
  }).immediate()
}
