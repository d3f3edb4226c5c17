// Opens lab.sqlite in WAL mode and brings its schema up to date. Only src-core/store touches SQL.
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Migration } from './migration.ts'
import { migrations as allMigrations } from './migrations/index.ts'

export type Db = Database.Database

/** Opens (creating if needed) a database file and applies every pending migration. */
export function openDatabase(file: string, migrations: readonly Migration[] = allMigrations): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  const check = db.pragma('quick_check', { simple: true })
  if (check !== 'ok') {
    db.close()
    throw new Error(`The lab database ${file} is damaged (${String(check)}). Restore it from a backup or move it away to start a new one.`)
  }
  migrate(db, migrations)
  return db
}

/** Applies migrations newer than the stored version, each in its own transaction. */
export function migrate(db: Db, migrations: readonly Migration[]): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`)
  const current = (db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0
  const sorted = [...migrations].sort((a, b) => a.version - b.version)
  const newest = sorted.at(-1)?.version ?? 0
  if (current > newest) {
    throw new Error(`The lab database has schema version ${current}, newer than this program knows (${newest}). Update X-Ray SSL Lab.`)
  }
  for (const m of sorted) {
    if (m.version <= current) continue
    // PRAGMA foreign_keys is a no-op inside a transaction, so it is switched around it.
    const fkWasOn = db.pragma('foreign_keys', { simple: true }) === 1
    if (m.foreignKeysOff) db.pragma('foreign_keys = OFF')
    try {
      db.transaction(() => {
        m.up(db)
        if (m.foreignKeysOff) {
          const broken = db.pragma('foreign_key_check') as unknown[]
          if (broken.length) throw new Error(`Migration ${m.version} (${m.name}) would leave ${broken.length} broken foreign key(s); the database is unchanged.`)
        }
        db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString())
      })()
    } finally {
      if (m.foreignKeysOff && fkWasOn) db.pragma('foreign_keys = ON')
    }
  }
  return (db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0
}
