// Studies, their runs with dependencies, and what the workers report (metrics, artifacts, log tail).
// Column names are a cross-team contract (docs/architecture.md "SQLite"): the analysis team reads
// these tables through src-core/store/results.ts.
import type { Migration } from '../migration.ts'

export const migration0002: Migration = {
  version: 2,
  name: 'studies, runs, run_deps, study_runs, metrics, artifacts, run_events',
  up(db) {
    db.exec(`
      CREATE TABLE studies (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        config_json TEXT NOT NULL,
        created_at TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('draft','running','paused','done','failed','cancelled'))
      ) STRICT;

      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        study_id TEXT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        stage TEXT NOT NULL CHECK (stage IN ('pretext','extract','downstream','probe')),
        spec_json TEXT NOT NULL,
        spec_hash TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN ('queued','running','done','failed','cancelled','interrupted','paused')),
        reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        pretext TEXT,
        pretrain_dataset TEXT,
        seed INTEGER NOT NULL,
        target TEXT CHECK (target IS NULL OR target IN ('binary','3class')),
        protocol TEXT CHECK (protocol IS NULL OR protocol IN ('linear','finetune','scratch')),
        fusion_mode TEXT CHECK (fusion_mode IS NULL OR fusion_mode IN ('linear','finetune')),
        encoders_json TEXT,
        run_dir TEXT NOT NULL,
        summary_json TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        progress_json TEXT
      ) STRICT;
      CREATE INDEX runs_state ON runs(state);
      CREATE INDEX runs_study ON runs(study_id);

      CREATE TABLE run_deps (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        depends_on TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        PRIMARY KEY (run_id, depends_on)
      ) STRICT;
      CREATE INDEX run_deps_on ON run_deps(depends_on);

      CREATE TABLE study_runs (
        study_id TEXT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        PRIMARY KEY (study_id, run_id)
      ) STRICT;
      CREATE INDEX study_runs_run ON study_runs(run_id);

      CREATE TABLE metrics (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        split TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        step INTEGER NOT NULL,
        name TEXT NOT NULL,
        value REAL NOT NULL
      ) STRICT;
      -- A resumed worker may report a step again: the newer value replaces the older one.
      CREATE UNIQUE INDEX metrics_point ON metrics(run_id, split, name, epoch, step);

      CREATE TABLE artifacts (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        path TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, name)
      ) STRICT;

      CREATE TABLE run_events (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        t TEXT NOT NULL,
        level TEXT NOT NULL,
        message TEXT NOT NULL
      ) STRICT;
      CREATE INDEX run_events_run ON run_events(run_id, t);
    `)
  },
}
