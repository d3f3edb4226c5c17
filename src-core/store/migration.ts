// One numbered migration per file under store/migrations (the Signal Desktop habit).
import type Database from 'better-sqlite3'

/** A schema step. Versions are unique, increasing, and never edited once released. */
export interface Migration {
  /** The number in the file name, e.g. 1 for 0001-datasets.ts. */
  version: number
  /** Short description stored in schema_version. */
  name: string
  /** Runs with foreign keys off (a table rebuild: dropping the old table must not cascade); the runner checks them before it commits. */
  foreignKeysOff?: boolean
  /** Applies the step inside a transaction opened by the runner. */
  up(db: Database.Database): void
}
