// Datasets (one row per import, with its status and report) and their samples (one row per source
// file: the cache row it became, or why it was skipped).
import type { Migration } from '../migration.ts'

export const migration0001: Migration = {
  version: 1,
  name: 'datasets, samples',
  up(db) {
    db.exec(`
      CREATE TABLE datasets (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('chestxray14','imagefolder','mammogram')),
        source TEXT NOT NULL,
        dir TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('importing','ready','failed','cancelled')),
        options_json TEXT NOT NULL,
        plan_hash TEXT,
        import_pid INTEGER,
        n INTEGER NOT NULL DEFAULT 0,
        height INTEGER NOT NULL DEFAULT 0,
        width INTEGER NOT NULL DEFAULT 0,
        channels INTEGER NOT NULL DEFAULT 1,
        label_names_json TEXT NOT NULL DEFAULT '[]',
        multi_label INTEGER NOT NULL DEFAULT 0,
        splits_json TEXT NOT NULL DEFAULT '{}',
        report_json TEXT,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE samples (
        dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        idx INTEGER,
        labels TEXT NOT NULL DEFAULT '',
        patient_id INTEGER,
        follow_up INTEGER,
        view TEXT,
        split TEXT CHECK (split IS NULL OR split IN ('train','val','test')),
        status TEXT NOT NULL CHECK (status IN ('ok','skipped')),
        reason TEXT,
        PRIMARY KEY (dataset_id, path)
      ) STRICT;
      CREATE UNIQUE INDEX samples_row ON samples(dataset_id, idx) WHERE idx IS NOT NULL;
      CREATE INDEX samples_patient ON samples(dataset_id, patient_id);
    `)
  },
}
