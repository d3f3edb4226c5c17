// All SQL of a study's export and import (`xlab study export` / `import`): the rows of a study, its
// runs (with every run they depend on), their dependencies, metrics and artifacts, read as they are
// stored and inserted as they were in another data root. Paths inside the data root are relative
// (data-root.ts), so they mean the same folder in the new root.
import type { Db } from './db.ts'

/** A table row as stored (column name -> value). */
export type Row = Record<string, string | number | null>

/** What a study's export holds from lab.sqlite. */
export interface StudyRows {
  /** The studies row. */
  study: Row
  /** Every run the study uses (linked or depended on), as stored. */
  runs: Row[]
  /** run_deps rows among those runs. */
  deps: Row[]
  /** The study's study_runs rows. */
  links: Row[]
  /** metrics rows of those runs. */
  metrics: Row[]
  /** artifacts rows of those runs. */
  artifacts: Row[]
}

/** The rows of a study and of every run it uses. */
export function readStudyRows(db: Db, studyId: string): StudyRows | null {
  const study = db.prepare('SELECT * FROM studies WHERE id = ?').get(studyId) as Row | undefined
  if (!study) return null
  const runs = db
    .prepare(
      `WITH RECURSIVE used(id) AS (
         SELECT run_id FROM study_runs WHERE study_id = ?
         UNION SELECT d.depends_on FROM run_deps d JOIN used u ON d.run_id = u.id)
       SELECT r.* FROM runs r JOIN used u ON u.id = r.id ORDER BY r.created_at, r.rowid`,
    )
    .all(studyId) as Row[]
  const ids = runs.map((r) => r.id as string)
  const inRuns = (table: string, column = 'run_id') => {
    const q = db.prepare(`SELECT * FROM ${table} WHERE ${column} = ?`)
    return ids.flatMap((id) => q.all(id) as Row[])
  }
  return {
    study,
    runs,
    deps: inRuns('run_deps'),
    links: db.prepare('SELECT * FROM study_runs WHERE study_id = ?').all(studyId) as Row[],
    metrics: inRuns('metrics'),
    artifacts: inRuns('artifacts'),
  }
}

/** What an import did. */
export interface ImportedRows {
  /** Runs inserted. */
  created: number
  /** Runs that were already in this data root (the same work, by spec hash): kept as they are. */
  reused: number
}

/**
 * Inserts an exported study under `name` (the caller has checked the name is free) in one
 * transaction. A run whose spec hash is already stored here is the same work and is kept as it is.
 */
export function insertStudyRows(db: Db, rows: StudyRows, study: { id: string; name: string }): ImportedRows {
  const insert = (table: string, row: Row, orIgnore = false) => {
    const cols = Object.keys(row)
    db.prepare(`INSERT ${orIgnore ? 'OR IGNORE ' : ''}INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...cols.map((c) => row[c]))
  }
  let created = 0
  let reused = 0
  db.transaction(() => {
    // Folders of the lab's own files are `runs/<id>` in any root; an absolute one (an export from an
    // older root) is placed there too.
    const runDir = (r: Row) => `runs/${r.id as string}`
    const inRunDir = (a: Row) => {
      const p = String(a.path)
      const at = p.replace(/\\/g, '/').lastIndexOf(`runs/${a.run_id as string}/`)
      return at > 0 ? p.replace(/\\/g, '/').slice(at) : p
    }
    insert('studies', { ...rows.study, id: study.id, name: study.name })
    const fresh = new Set<string>()
    const has = db.prepare('SELECT 1 FROM runs WHERE id = ? OR spec_hash = ?')
    for (const r of rows.runs) {
      if (has.get(r.id, r.spec_hash)) {
        reused++
        continue
      }
      insert('runs', { ...r, study_id: study.id, run_dir: runDir(r) })
      fresh.add(r.id as string)
      created++
    }
    for (const d of rows.deps) if (fresh.has(d.run_id as string)) insert('run_deps', d, true)
    for (const l of rows.links) insert('study_runs', { ...l, study_id: study.id }, true)
    for (const m of rows.metrics) if (fresh.has(m.run_id as string)) insert('metrics', m, true)
    for (const a of rows.artifacts) if (fresh.has(a.run_id as string)) insert('artifacts', { ...a, path: inRunDir(a) }, true)
  }).immediate()
  return { created, reused }
}
