// Issue 27: several processes opening one data root at once (the app and an `xlab` command, two
// commands, Slurm jobs sharing a data root) each get a working database; every migration is applied
// exactly once, by one of them, and the schema is the one a single process makes; creating one
// study name together gives one study.
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { migrate, openDatabase } from '../../../src-core/store/db.ts'
import { migrations } from '../../../src-core/store/migrations/index.ts'

const CHILD = join(import.meta.dirname, 'open-together.child.ts')
const PROCESSES = 8

function schemaOf(file: string) {
  const db = openDatabase(file)
  try {
    const schema = db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all()
    const versions = db.prepare('SELECT version, name FROM schema_version ORDER BY version').all()
    return { schema, versions }
  } finally {
    db.close()
  }
}

/** Starts the children, waits until each is ready, then lets all of them open `file` at once. */
async function openTogether(file: string): Promise<{ ok: boolean; version?: number; created?: boolean; error?: string }[]> {
  const goFile = `${file}.go`
  const children = Array.from({ length: PROCESSES }, () => spawn(process.execPath, ['--import', 'tsx', CHILD, file, goFile], { stdio: ['ignore', 'pipe', 'pipe'] }))
  const outputs = children.map((c) => {
    let out = ''
    let err = ''
    c.stdout.setEncoding('utf8').on('data', (d) => (out += d))
    c.stderr.setEncoding('utf8').on('data', (d) => (err += d))
    const ready = new Promise<void>((resolve) => c.stdout.on('data', () => out.includes('ready') && resolve()))
    const exit = new Promise<string>((resolve) => c.on('close', (code, signal) => resolve(`${out}${err ? `\n${err}` : ''}\n(exit ${code ?? signal})`)))
    return { ready, exit }
  })
  await Promise.all(outputs.map((o) => o.ready))
  writeFileSync(goFile, '')
  const texts = await Promise.all(outputs.map((o) => o.exit))
  return texts.map((t) => {
    const line = t.split('\n').find((l) => l.startsWith('{'))
    return line ? JSON.parse(line) : { ok: false, error: t }
  })
}

describe(`${PROCESSES} processes opening one database together`, () => {
  const newest = Math.max(...migrations.map((m) => m.version))

  const single = () => {
    const file = join(mkdtempSync(join(tmpdir(), 'xlab-together-')), 'lab.sqlite')
    openDatabase(file).close()
    return schemaOf(file)
  }

  it('a new database: all succeed, each migration recorded once, the schema of one process', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'xlab-together-')), 'lab.sqlite')
    const results = await openTogether(file)
    expect(results.filter((r) => !r.ok)).toEqual([])
    expect(results.map((r) => r.version)).toEqual(Array(PROCESSES).fill(newest))
    const got = schemaOf(file)
    expect(got.versions.map((v) => (v as { version: number }).version)).toEqual(migrations.map((m) => m.version))
    expect(got.schema).toEqual(single().schema)
    // Creating one study name together gives one study, made by one of them.
    expect(results.filter((r) => r.created)).toHaveLength(1)
    const db = openDatabase(file)
    expect(db.prepare("SELECT COUNT(*) AS n FROM studies WHERE name = 'together'").get()).toEqual({ n: 1 })
    db.close()
  }, 120_000)

  it('an older database that lacks the newest migrations', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'xlab-together-')), 'lab.sqlite')
    const older = migrations.slice(0, Math.max(1, migrations.length - 2))
    const db = openDatabase(file, [])
    migrate(db, older)
    db.close()
    const results = await openTogether(file)
    expect(results.filter((r) => !r.ok)).toEqual([])
    const got = schemaOf(file)
    expect(got.versions.map((v) => (v as { version: number }).version)).toEqual(migrations.map((m) => m.version))
    expect(got.schema).toEqual(single().schema)
  }, 120_000)

  /** An older database (so opening must take the write lock), and a process that holds that lock `ms`. */
  async function lockedOlder(ms: number) {
    const file = join(mkdtempSync(join(tmpdir(), 'xlab-together-')), 'lab.sqlite')
    const db = openDatabase(file, [])
    migrate(db, migrations.slice(0, -1))
    db.close()
    const holder = spawn('python3', ['-c', `import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute('BEGIN IMMEDIATE')
print('locked', flush=True)
time.sleep(${ms / 1000})
c.execute('ROLLBACK')`, file], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve) => holder.stdout.on('data', (d) => String(d).includes('locked') && resolve()))
    const done = new Promise<void>((resolve) => holder.on('close', () => resolve()))
    return { file, done }
  }

  it('waits for a write lock another process holds, then opens and migrates', async () => {
    const { file, done } = await lockedOlder(1500)
    const started = Date.now()
    const db = openDatabase(file)
    const waited = Date.now() - started
    expect((db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number }).v).toBe(newest)
    db.close()
    await done
    expect(waited).toBeGreaterThan(500)
  }, 60_000)

  it('a lock held past the wait: a clear message that names the file and what to do, and nothing changed', async () => {
    const { file, done } = await lockedOlder(2500)
    expect(() => openDatabase(file, migrations, { openWaitMs: 300 })).toThrow(/lab\.sqlite stayed locked by another process for 0.3 s while opening .*Wait for the other X-Ray SSL Lab window, `xlab` command or job/)
    await done
    const raw = new Database(file, { readonly: true })
    expect((raw.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number }).v).toBe(migrations.at(-2)!.version)
    raw.close()
    // Once the lock is free, the same call opens it.
    openDatabase(file, migrations, { openWaitMs: 300 }).close()
  }, 60_000)
})
