// Migration 0006: paths inside the data root become relative to it. The rows are those of a data
// root made by main before this migration (tests/fixtures/data-root/made-by-main-v4.sql: the small
// demo datasets and a finished tiny study), migrated in place and as a copy in another folder.
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { pathsOutsideRoot } from '../../../src-core/store/data-root.ts'
import { listDatasets } from '../../../src-core/store/datasets.ts'
import { migrate, openDatabase } from '../../../src-core/store/db.ts'
import { migrations } from '../../../src-core/store/migrations/index.ts'
import { getReferenceEncoder } from '../../../src-core/store/reference-encoders.ts'
import * as runs from '../../../src-core/store/runs.ts'

const FIXTURE = resolve(import.meta.dirname, '..', '..', 'fixtures', 'data-root', 'made-by-main-v4.sql')
const OLD_ROOT = '/tmp/xlab-i26-made-by-main'
const upTo4 = migrations.filter((m) => m.version <= 4)

/** A version-4 database in a new folder holding the fixture's rows, with their root replaced by `rootInRows`. */
function version4(rootInRows: (root: string) => string) {
  const root = mkdtempSync(join(tmpdir(), 'xlab-0006-'))
  const db = openDatabase(join(root, 'lab.sqlite'), [])
  migrate(db, upTo4)
  db.exec(readFileSync(FIXTURE, 'utf8').replaceAll(OLD_ROOT, rootInRows(root)))
  const sha = 'c'.repeat(64)
  db.prepare('INSERT INTO reference_encoders (name, path, sha256, source_path, source_sha256, normalisation_json, parameters, imported_at) VALUES (?, ?, ?, ?, ?, NULL, 1, ?)').run(
    'imagenet', `${rootInRows(root)}/encoders/imagenet/encoder.pth`, sha, '/home/u/resnet18.pth', sha, 'now',
  )
  return { root, db }
}

const raw = (db: ReturnType<typeof openDatabase>, sql: string) => db.prepare(sql).all() as Record<string, string>[]

describe('migration 0006 relative paths', () => {
  it('stores every path inside the data root relative to it and reads it back absolute', () => {
    const { root, db } = version4((r) => r)
    const before = listDatasets(db).map((d) => [d.name, d.dir, d.source])
    expect(before.every(([, dir]) => dir!.startsWith(`${root}/datasets/ds-`))).toBe(true)
    migrate(db, migrations)

    expect(raw(db, 'SELECT dir FROM datasets').every((r) => /^datasets\/ds-[0-9a-f]{8}$/.test(r.dir!))).toBe(true)
    expect(raw(db, 'SELECT source FROM datasets').map((r) => r.source).sort()).toEqual(['sources/demo-brainct', 'sources/demo-chest', 'sources/demo-mammo', 'sources/demo-natural'])
    expect(raw(db, 'SELECT run_dir FROM runs').every((r) => /^runs\/r-[0-9a-f]+$/.test(r.run_dir!))).toBe(true)
    const artifacts = raw(db, 'SELECT path FROM artifacts')
    expect(artifacts.length).toBeGreaterThan(0)
    expect(artifacts.every((r) => r.path!.startsWith('runs/r-'))).toBe(true)
    expect(raw(db, 'SELECT path, source_path FROM reference_encoders')).toEqual([{ path: 'encoders/imagenet/encoder.pth', source_path: '/home/u/resnet18.pth' }])
    // Records still carry absolute paths, the same as before.
    expect(listDatasets(db).map((d) => [d.name, d.dir, d.source])).toEqual(before)
    const run = runs.listRuns(db)[0]!
    expect(run.runDir).toBe(join(root, 'runs', run.id))
    expect(getReferenceEncoder(db, 'imagenet')?.path).toBe(join(root, 'encoders', 'imagenet', 'encoder.pth'))
    expect(pathsOutsideRoot(db)).toEqual([{ what: 'encoder source', owner: 'imagenet', path: '/home/u/resnet18.pth', labOwned: false }])
  })

  it('a database copied elsewhere before the migration reads its own folders, not the original\'s', () => {
    const { root, db } = version4(() => OLD_ROOT)
    migrate(db, migrations)
    for (const d of listDatasets(db)) {
      expect(d.dir).toBe(join(root, 'datasets', d.id))
      expect(d.source).toBe(join(root, 'sources', d.name))
    }
    for (const r of runs.listRuns(db)) {
      expect(r.runDir).toBe(join(root, 'runs', r.id))
      for (const a of runs.runArtifacts(db, r.id)) expect(a.path.startsWith(join(root, 'runs', r.id) + '/')).toBe(true)
    }
    expect(pathsOutsideRoot(db).filter((p) => p.labOwned)).toEqual([])
  })

  it('keeps paths outside the data root as they are', () => {
    const { db } = version4(() => OLD_ROOT)
    db.prepare("UPDATE datasets SET source = '/mnt/nih/ChestX-ray14' WHERE name = 'demo-chest'").run()
    db.prepare("UPDATE runs SET run_dir = '/elsewhere/odd-folder' WHERE rowid = (SELECT MIN(rowid) FROM runs)").run()
    migrate(db, migrations)
    expect(listDatasets(db).find((d) => d.name === 'demo-chest')?.source).toBe('/mnt/nih/ChestX-ray14')
    expect(pathsOutsideRoot(db).map((p) => [p.what, p.path]).sort()).toEqual([
      ['dataset source', '/mnt/nih/ChestX-ray14'],
      ['encoder source', '/home/u/resnet18.pth'],
      ['run folder', '/elsewhere/odd-folder'],
    ])
  })
})
