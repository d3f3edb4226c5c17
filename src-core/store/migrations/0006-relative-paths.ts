// A self-contained data root (issue 26): paths inside the data root become relative to it
// (store/data-root.ts reads them back against the root the database is opened in). Paths outside
// it, such as import sources elsewhere, stay absolute.
//
// A database copied to another folder by an older version still names the original's folders. The
// lab's own folders have fixed shapes (`datasets/<id>`, `runs/<id>`, `encoders/<name>/...`), so
// the root each row was written in is recognised from them; every path under such a root is
// rewritten relative, and the copy then reads (and deletes) its own files, never the original's.
import { isAbsolute, posix, win32 } from 'node:path'
import { dataRootOf, toStoredPath } from '../data-root.ts'
import type Database from 'better-sqlite3'
import type { Migration } from '../migration.ts'

/** The root a lab-owned folder was written in: `/a/root` for `/a/root/datasets/ds-1`, else null. */
function rootOf(p: string, tail: string[]): string | null {
  if (!isAbsolute(p)) return null
  const parts = p.split(/[\\/]/)
  const n = tail.length
  if (parts.length <= n) return null
  for (let i = 0; i < n; i++) if (parts[parts.length - n + i] !== tail[i]) return null
  return parts.slice(0, parts.length - n).join(p.includes('\\') && !p.includes('/') ? win32.sep : posix.sep)
}

/** The stored form of `p`: relative to the current root, else to an older root it was written in. */
function relocate(db: Database.Database, p: string, oldRoots: Set<string>): string {
  const stored = toStoredPath(db, p)
  if (!isAbsolute(stored)) return stored
  for (const old of oldRoots) {
    for (const s of [posix.sep, win32.sep]) {
      if (stored.startsWith(old + s)) return stored.slice(old.length + 1).split(/[\\/]/).join('/')
    }
  }
  return stored
}

export const migration0006: Migration = {
  version: 6,
  name: 'paths inside the data root stored relative to it',
  up(db) {
    if (!dataRootOf(db)) return
    const oldRoots = new Set<string>()
    const datasets = db.prepare('SELECT id, source, dir FROM datasets').all() as { id: string; source: string; dir: string }[]
    const runs = db.prepare('SELECT id, run_dir FROM runs').all() as { id: string; run_dir: string }[]
    const encoders = db.prepare('SELECT name, path, source_path FROM reference_encoders').all() as { name: string; path: string; source_path: string }[]
    for (const d of datasets) {
      const r = rootOf(d.dir, ['datasets', d.id])
      if (r) oldRoots.add(r)
    }
    for (const r of runs) {
      const root = rootOf(r.run_dir, ['runs', r.id])
      if (root) oldRoots.add(root)
    }
    for (const e of encoders) {
      const parts = e.path.split(/[\\/]/)
      const at = parts.lastIndexOf('encoders')
      if (isAbsolute(e.path) && at > 0 && parts[at + 1] === e.name) oldRoots.add(parts.slice(0, at).join(e.path.includes('/') ? posix.sep : win32.sep))
    }
    const setDataset = db.prepare('UPDATE datasets SET source = ?, dir = ? WHERE id = ?')
    for (const d of datasets) setDataset.run(relocate(db, d.source, oldRoots), relocate(db, d.dir, oldRoots), d.id)
    const setRun = db.prepare('UPDATE runs SET run_dir = ? WHERE id = ?')
    for (const r of runs) setRun.run(relocate(db, r.run_dir, oldRoots), r.id)
    const artifacts = db.prepare('SELECT rowid AS rid, path FROM artifacts').all() as { rid: number; path: string }[]
    const setArtifact = db.prepare('UPDATE artifacts SET path = ? WHERE rowid = ?')
    for (const a of artifacts) setArtifact.run(relocate(db, a.path, oldRoots), a.rid)
    const setEncoder = db.prepare('UPDATE reference_encoders SET path = ?, source_path = ? WHERE name = ?')
    for (const e of encoders) setEncoder.run(relocate(db, e.path, oldRoots), relocate(db, e.source_path, oldRoots), e.name)
  },
}
