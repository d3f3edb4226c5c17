// All SQL about reference encoders (migration 0004): encoders a user imported under a name.
import type { Db } from './db.ts'
import { fromStoredPath, toStoredPath } from './data-root.ts'

/** Input normalisation an encoder was trained with, per RGB channel. */
export interface EncoderNormalisation {
  /** Channel means. */
  mean: [number, number, number]
  /** Channel standard deviations. */
  std: [number, number, number]
}

/** A reference encoder row. */
export interface ReferenceEncoderRecord {
  /** Unique name (`imagenet`); runs and configs refer to it as `ref:<name>`. */
  name: string
  /** The engine's copy under `<data root>/encoders/<name>/`, what runs read. */
  path: string
  /** sha256 of that file (part of the spec hash of every run that reads it). */
  sha256: string
  /** The file the user imported. */
  sourcePath: string
  /** sha256 of the imported file. */
  sourceSha256: string
  /** Normalisation given at import; null = none stated (runs use the downstream set's). */
  normalisation: EncoderNormalisation | null
  /** Parameters of the encoder (without the classification layer). */
  parameters: number
  /** ISO time of the import. */
  importedAt: string
}

interface Row {
  name: string
  path: string
  sha256: string
  source_path: string
  source_sha256: string
  normalisation_json: string | null
  parameters: number
  imported_at: string
}

const toRecord = (db: Db, r: Row): ReferenceEncoderRecord => ({
  name: r.name,
  path: fromStoredPath(db, r.path),
  sha256: r.sha256,
  sourcePath: fromStoredPath(db, r.source_path),
  sourceSha256: r.source_sha256,
  normalisation: r.normalisation_json ? (JSON.parse(r.normalisation_json) as EncoderNormalisation) : null,
  parameters: r.parameters,
  importedAt: r.imported_at,
})

/** Every reference encoder, by name. */
export function listReferenceEncoders(db: Db): ReferenceEncoderRecord[] {
  return (db.prepare('SELECT * FROM reference_encoders ORDER BY name').all() as Row[]).map((r) => toRecord(db, r))
}

/** One reference encoder by name; null when none has that name. */
export function getReferenceEncoder(db: Db, name: string): ReferenceEncoderRecord | null {
  const r = db.prepare('SELECT * FROM reference_encoders WHERE name = ?').get(name) as Row | undefined
  return r ? toRecord(db, r) : null
}

/** Stores a new reference encoder (the name must be free: the service checks re-imports first). */
export function insertReferenceEncoder(db: Db, e: Omit<ReferenceEncoderRecord, 'importedAt'> & { importedAt?: string }): ReferenceEncoderRecord {
  const importedAt = e.importedAt ?? new Date().toISOString()
  db.prepare(
    `INSERT INTO reference_encoders (name, path, sha256, source_path, source_sha256, normalisation_json, parameters, imported_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(e.name, toStoredPath(db, e.path), e.sha256, toStoredPath(db, e.sourcePath), e.sourceSha256, e.normalisation ? JSON.stringify(e.normalisation) : null, e.parameters, importedAt)
  return { ...e, importedAt }
}
