// Issue 27: several processes opening one data root at once (the app and an `xlab` command, two
// commands, Slurm jobs sharing a data root) each get a working database; every migration is applied
// exactly once, by one of them, and the schema is the one a single process makes; creating one
// study name together gives one study.
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
    const exit = new Promise<string>((resolve) => c.on('close', () => resolve(out + (err ? `\n${err}` : ''))))
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
})
