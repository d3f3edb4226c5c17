// Notes and tags on studies and runs (table `annotations`, migration 0003).
import type { Db } from './db.ts'

/** What an annotation belongs to. */
export type AnnotationKind = 'study' | 'run'

/** A note with its tags. */
export interface Annotation {
  /** study / run. */
  kind: AnnotationKind
  /** Study or run id. */
  targetId: string
  /** Free text. */
  note: string
  /** Tags, trimmed, unique, in the order given. */
  tags: string[]
  /** ISO time of the last edit. */
  updatedAt: string
}

interface Row { kind: AnnotationKind; target_id: string; note: string; tags_json: string; updated_at: string }
const toAnnotation = (r: Row): Annotation => ({ kind: r.kind, targetId: r.target_id, note: r.note, tags: JSON.parse(r.tags_json) as string[], updatedAt: r.updated_at })

/** Every annotation, or those of one kind. */
export function listAnnotations(db: Db, kind?: AnnotationKind): Annotation[] {
  const rows = kind ? db.prepare('SELECT * FROM annotations WHERE kind = ? ORDER BY target_id').all(kind) : db.prepare('SELECT * FROM annotations ORDER BY kind, target_id').all()
  return (rows as Row[]).map(toAnnotation)
}

/** Writes (or, when note and tags are both empty, removes) the annotation of one study or run. */
export function setAnnotation(db: Db, kind: AnnotationKind, targetId: string, note: string, tags: readonly string[]): Annotation | null {
  const clean = [...new Set(tags.map((t) => t.trim()).filter(Boolean))]
  if (!note.trim() && clean.length === 0) {
    db.prepare('DELETE FROM annotations WHERE kind = ? AND target_id = ?').run(kind, targetId)
    return null
  }
  const now = new Date().toISOString()
  db.prepare(`INSERT INTO annotations (kind, target_id, note, tags_json, updated_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (kind, target_id) DO UPDATE SET note = excluded.note, tags_json = excluded.tags_json, updated_at = excluded.updated_at`).run(kind, targetId, note, JSON.stringify(clean), now)
  return { kind, targetId, note, tags: clean, updatedAt: now }
}
