// The data root is self-contained (DESIGN.md "Data on disk"): every path inside it is stored
// relative to it, so a copied or moved root reads its own files, never the original's. The store
// modules convert at their edge: records carry absolute paths in the root the database was opened
// in; rows hold `datasets/ds-1a2b3c4d` for a path inside the root and the absolute path for one
// outside it (an import source elsewhere).
import { isAbsolute, join, resolve } from 'node:path'
import { insideRoot } from '../util/inside-root.ts'
import type Database from 'better-sqlite3'

/** An open database (db.ts's Db, named here without importing db.ts, which imports this file). */
type Db = Database.Database

const roots = new WeakMap<Db, string>()

/** Records the data root of an open database (the folder holding its lab.sqlite). */
export function setDataRoot(db: Db, root: string): void {
  roots.set(db, resolve(root))
}

/** The data root of an open database; null for an in-memory one. */
export function dataRootOf(db: Db): string | null {
  return roots.get(db) ?? null
}

/** The stored form of a path: relative to the data root when inside it, else absolute as given. */
export function toStoredPath(db: Db, p: string): string {
  const root = dataRootOf(db)
  if (!root) return p
  // A relative path handed in means what it meant where it was given (the working folder), not the root.
  const abs = resolve(p)
  return insideRoot(root, abs) ?? abs
}

/** The absolute path of a stored one, in the root this database was opened in. */
export function fromStoredPath(db: Db, stored: string): string {
  const root = dataRootOf(db)
  if (!root || isAbsolute(stored)) return stored
  return stored === '.' ? root : join(root, ...stored.split('/'))
}

/** A stored path that is absolute: outside the data root. */
export interface OutsidePath {
  /** What holds it: `dataset dir`, `dataset source`, `run folder`, `artifact`, `encoder file`, `encoder source`. */
  what: string
  /** The dataset, run or encoder it belongs to. */
  owner: string
  /** The stored path. */
  path: string
  /** True for folders and files the lab itself writes (they belong inside the root); false for sources the user imported from. */
  labOwned: boolean
}

/** Every stored path that points outside the data root (an older copied database, a hand edit). */
export function pathsOutsideRoot(db: Db): OutsidePath[] {
  const rows = db
    .prepare(
      `SELECT 'dataset dir' AS what, name AS owner, dir AS path, 1 AS labOwned FROM datasets
       UNION ALL SELECT 'dataset source', name, source, 0 FROM datasets
       UNION ALL SELECT 'run folder', name, run_dir, 1 FROM runs
       UNION ALL SELECT 'artifact', run_id || ':' || name, path, 1 FROM artifacts
       UNION ALL SELECT 'encoder file', name, path, 1 FROM reference_encoders
       UNION ALL SELECT 'encoder source', name, source_path, 0 FROM reference_encoders`,
    )
    .all() as { what: string; owner: string; path: string; labOwned: number }[]
  return rows.filter((r) => isAbsolute(r.path)).map((r) => ({ ...r, labOwned: r.labOwned === 1 }))
}
