// Per-run analysis results (issue 21): each downstream run's statistics on every bootstrap
// resample (the vectors the study's intervals, seed means and paired comparisons are built from),
// kept so that a restart or a report reuses them and a new run computes only its own.
import type { Migration } from '../migration.ts'

export const migration0005: Migration = {
  version: 5,
  name: 'analysis_run_results: per-run bootstrap statistics by analysis version and resampling',
  up(db) {
    db.exec(`
      CREATE TABLE analysis_run_results (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        -- analysis version, bootstrap options, test-set fingerprint and seeds drawn per replicate
        key TEXT NOT NULL,
        -- the run's finished_at when computed: a run that finished again is computed again
        run_finished_at TEXT,
        -- statistic names (JSON array); estimate: float64 per name; vals: float64 names x replicates
        names_json TEXT NOT NULL CHECK (json_valid(names_json)),
        estimate BLOB NOT NULL,
        vals BLOB NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
      ) STRICT;
    `)
  },
}
