// Opens lab.sqlite in WAL mode and brings its schema up to date. Only src-core/store touches SQL.
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { setDataRoot } from './data-root.ts'
import { isBusyError } from './busy.ts'
import type { Migration } from './migration.ts'
import { migrations as allMigrations } from './migrations/index.ts'

export type Db = Database.Database

/** How long a statement waits for another process's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000

/**
 * How long opening waits in all for other processes that hold the database's locks: many processes
 * may open one data root at the same instant (a Slurm array's jobs, the app and several `xlab`
 * commands) and migrate it one after another, on a machine that is busy with training.
 */
export const OPEN_WAIT_MS = 120_000

export interface OpenOptions {
  /** How long opening may wait for locks held by other processes (ms); OPEN_WAIT_MS by default. */
  openWaitMs?: number
}

/** Opens (creating if needed) a database file and applies every pending migration. */
export function openDatabase(file: string, migrations: readonly Migration[] = allMigrations, options: OpenOptions = {}): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const waitMs = options.openWaitMs ?? OPEN_WAIT_MS
  const deadline = Date.now() + waitMs
  let pause = 10
  for (;;) {
    const db = new Database(file)
    try {
      openSteps(db, file, migrations, Math.max(1, deadline - Date.now()))
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
      return db
    } catch (err) {
      db.close()
      // The busy handler covers most waits; a few lock steps (switching a new file to WAL while
      // another process does the same) answer SQLITE_BUSY at once, so the whole open is tried again.
      if (!isBusyError(err)) throw err
      if (Date.now() >= deadline) {
        throw new Error(
          `The lab database ${file} stayed locked by another process for ${(waitMs / 1000).toFixed(waitMs < 10_000 ? 1 : 0)} s while opening (${(err as Error).message}). ` +
            'Wait for the other X-Ray SSL Lab window, `xlab` command or job that uses this data root to finish (or close it), then try again.',
        )
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause + Math.floor(Math.random() * pause))
      pause = Math.min(pause * 2, 1000)
    }
  }
}

function openSteps(db: Db, file: string, migrations: readonly Migration[], waitMs: number): void {
  // Paths inside the data root (the folder of lab.sqlite) are stored relative to it (data-root.ts).
  if (file !== ':memory:') setDataRoot(db, dirname(resolve(file)))
  // The busy timeout comes first: switching a new file to WAL and migrating it take locks that
  // another process opening the same data root at the same moment may hold. While opening it is
  // the whole open's remaining wait; afterwards the everyday BUSY_TIMEOUT_MS.
  db.pragma(`busy_timeout = ${waitMs}`)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  const check = db.pragma('quick_check', { simple: true })
  if (check !== 'ok') {
    throw new Error(`The lab database ${file} is damaged (${String(check)}). Restore it from a backup or move it away to start a new one.`)
  }
  migrate(db, migrations)
}

/** The newest applied migration's version, 0 for none. */
function schemaVersion(db: Db): number {
  return (db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0
}

/**
 * Applies migrations newer than the stored version, each in its own transaction. Several processes
 * may open one data root at once (the app and an `xlab` command, Slurm jobs): each migration runs
 * under the write lock (BEGIN IMMEDIATE) and reads the version again inside it, so exactly one
 * process applies it and the others wait for the lock and then find it applied.
 */
export function migrate(db: Db, migrations: readonly Migration[]): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`)
  const sorted = [...migrations].sort((a, b) => a.version - b.version)
  const newest = sorted.at(-1)?.version ?? 0
  const tooNew = (current: number) =>
    new Error(`The lab database has schema version ${current}, newer than this program knows (${newest}). Update X-Ray SSL Lab.`)
  const seen = schemaVersion(db)
  if (seen > newest) throw tooNew(seen)
  for (const m of sorted) {
    if (m.version <= seen) continue
    // PRAGMA foreign_keys is a no-op inside a transaction and applies to this connection only, so
    // it is switched before the lock is taken; the version check happens under the lock.
    const fkWasOn = db.pragma('foreign_keys', { simple: true }) === 1
    if (m.foreignKeysOff) db.pragma('foreign_keys = OFF')
    try {
      db.transaction(() => {
        const current = schemaVersion(db)
        if (current > newest) throw tooNew(current)
        if (m.version <= current) return
        m.up(db)
        if (m.foreignKeysOff) {
          const broken = db.pragma('foreign_key_check') as unknown[]
          if (broken.length) throw new Error(`Migration ${m.version} (${m.name}) would leave ${broken.length} broken foreign key(s); the database is unchanged.`)
        }
        db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString())
      }).immediate()
    } finally {
      if (m.foreignKeysOff && fkWasOn) db.pragma('foreign_keys = ON')
    }
  }
  return schemaVersion(db)
}
