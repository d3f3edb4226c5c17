// Notes and tags a researcher writes on studies and runs. One table for both kinds (keyed by kind
// and id) so neither the studies nor the runs table changes shape; the rows go with their study or
// run through the triggers below, since one foreign key cannot point at two tables.
import type { Migration } from '../migration.ts'

export const migration0003: Migration = {
  version: 3,
  name: 'annotations (notes and tags on studies and runs)',
  up(db) {
    db.exec(`
      CREATE TABLE annotations (
        kind TEXT NOT NULL CHECK (kind IN ('study','run')),
        target_id TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        tags_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags_json) AND json_type(tags_json) = 'array'),
        updated_at TEXT NOT NULL,
        PRIMARY KEY (kind, target_id)
      ) STRICT;

      CREATE TRIGGER annotations_study_gone AFTER DELETE ON studies
        BEGIN DELETE FROM annotations WHERE kind = 'study' AND target_id = OLD.id; END;
      CREATE TRIGGER annotations_run_gone AFTER DELETE ON runs
        BEGIN DELETE FROM annotations WHERE kind = 'run' AND target_id = OLD.id; END;
    `)
  },
}
