// Reference encoders (issue 15): encoders a user brings (a torchvision resnet18 state_dict, e.g.
// ImageNet weights downloaded by hand), imported once under a name with their checksums. And the
// runs table learns the new protocol (knn) and target (multilabel14): SQLite cannot change a CHECK
// constraint in place, so the table is rebuilt (the 12-step procedure of the SQLite docs, with
// foreign keys off so dropping the old table cascades nothing).
import type { Migration } from '../migration.ts'

const RUNS_COLUMNS = `id, study_id, name, stage, spec_json, spec_hash, state, reason, attempts, pretext, pretrain_dataset, seed,
  target, protocol, fusion_mode, encoders_json, run_dir, summary_json, created_at, started_at, finished_at, progress_json`

export const migration0004: Migration = {
  version: 4,
  name: 'reference_encoders; runs accept protocol knn and target multilabel14',
  foreignKeysOff: true,
  up(db) {
    db.exec(`
      CREATE TABLE reference_encoders (
        name TEXT PRIMARY KEY,
        -- the engine's copy under <data root>/encoders/<name>/ (what runs read)
        path TEXT NOT NULL,
        -- sha256 of that file: it enters the spec hash of every run that reads the encoder
        sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
        -- the file the user imported, and its sha256 (re-importing the same file is idempotent)
        source_path TEXT NOT NULL,
        source_sha256 TEXT NOT NULL CHECK (length(source_sha256) = 64),
        -- input normalisation the encoder was trained with: {"mean": [r,g,b], "std": [r,g,b]} or null
        normalisation_json TEXT CHECK (normalisation_json IS NULL OR json_valid(normalisation_json)),
        parameters INTEGER NOT NULL,
        imported_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE runs_new (
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
        target TEXT CHECK (target IS NULL OR target IN ('binary','3class','multilabel14')),
        protocol TEXT CHECK (protocol IS NULL OR protocol IN ('linear','finetune','scratch','knn')),
        fusion_mode TEXT CHECK (fusion_mode IS NULL OR fusion_mode IN ('linear','finetune')),
        encoders_json TEXT,
        run_dir TEXT NOT NULL,
        summary_json TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        progress_json TEXT
      ) STRICT;
      INSERT INTO runs_new (${RUNS_COLUMNS}) SELECT ${RUNS_COLUMNS} FROM runs;
      DROP TABLE runs;
      ALTER TABLE runs_new RENAME TO runs;
      CREATE INDEX runs_state ON runs(state);
      CREATE INDEX runs_study ON runs(study_id);
      CREATE TRIGGER annotations_run_gone AFTER DELETE ON runs
        BEGIN DELETE FROM annotations WHERE kind = 'run' AND target_id = OLD.id; END;
    `)
  },
}
