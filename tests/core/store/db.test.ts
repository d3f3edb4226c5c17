import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { migrate, openDatabase } from '../../../src-core/store/db.ts'
import type { Migration } from '../../../src-core/store/migration.ts'
import { migrations } from '../../../src-core/store/migrations/index.ts'

const tmp = () => mkdtempSync(join(tmpdir(), 'xlab-db-'))

describe('openDatabase', () => {
  it('opens in WAL mode with foreign keys and applies every migration once', () => {
    const file = join(tmp(), 'lab.sqlite')
    const db = openDatabase(file)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    const versions = db.prepare('SELECT version FROM schema_version ORDER BY version').all() as { version: number }[]
    expect(versions.map((v) => v.version)).toEqual([...migrations].map((m) => m.version).sort((a, b) => a - b))
    db.close()
    const again = openDatabase(file)
    expect((again.prepare('SELECT COUNT(*) AS n FROM schema_version').get() as { n: number }).n).toBe(migrations.length)
    again.close()
  })

  it('migration versions are unique and increasing with the file order', () => {
    const versions = migrations.map((m) => m.version)
    expect(new Set(versions).size).toBe(versions.length)
    expect([...versions].sort((a, b) => a - b)).toEqual(versions)
  })
})

describe('migrate', () => {
  const step = (version: number, sql: string): Migration => ({ version, name: `step ${version}`, up: (db) => db.exec(sql) })

  it('rolls back a failing migration and keeps the earlier ones', () => {
    const db = openDatabase(':memory:', [])
    expect(() => migrate(db, [step(1, 'CREATE TABLE a (x INTEGER) STRICT'), step(2, 'CREATE TABLE b (x INTEGER) STRICT; INSERT INTO nope VALUES (1)')])).toThrow()
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name)
    expect(tables).toContain('a')
    expect(tables).not.toContain('b')
    expect(migrate(db, [step(1, 'CREATE TABLE a (x INTEGER) STRICT')])).toBe(1)
  })

  it('refuses a database newer than the program', () => {
    const db = openDatabase(':memory:', [])
    migrate(db, [step(1, 'CREATE TABLE a (x INTEGER) STRICT'), step(2, 'CREATE TABLE b (x INTEGER) STRICT')])
    expect(() => migrate(db, [step(1, 'CREATE TABLE a (x INTEGER) STRICT')])).toThrow(/newer than this program/)
  })
})
