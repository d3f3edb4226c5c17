// All SQL about datasets and their samples. Other modules see typed records only.
import type { Db } from './db.ts'
import { fromStoredPath, toStoredPath } from './data-root.ts'

export type DatasetStatus = 'importing' | 'ready' | 'failed' | 'cancelled'
export type DatasetKindName = 'chestxray14' | 'imagefolder' | 'mammogram'

/** One imported (or importing) dataset. */
export interface DatasetRecord {
  /** Stable id, `ds-<8 hex>`. */
  id: string
  /** Unique name (`demo-chest`, ...). */
  name: string
  /** Importer that produced it. */
  kind: DatasetKindName
  /** Source folder. */
  source: string
  /** Cache folder `<dataRoot>/datasets/<id>/`. */
  dir: string
  /** Import state; only `ready` datasets can be trained on. */
  status: DatasetStatus
  /** Import options as given (JSON object). */
  options: Record<string, unknown>
  /** Hash of the import plan; an interrupted import resumes only with the same plan. */
  planHash: string | null
  /** Process that runs the import, while importing. */
  importPid: number | null
  /** Rows in images.npy. */
  n: number
  /** Image height. */
  height: number
  /** Image width. */
  width: number
  /** 1 grey, 3 colour. */
  channels: number
  /** Columns of labels.npy. */
  labelNames: string[]
  /** True when an image may carry several labels. */
  multiLabel: boolean
  /** Rows per split. */
  splits: Record<string, number>
  /** Why the import failed or was cancelled. */
  error: string | null
  /** ISO time of creation. */
  createdAt: string
  /** ISO time of the last change. */
  updatedAt: string
}

/** One source file of a dataset. */
export interface SampleRow {
  /** Path relative to the source root. */
  path: string
  /** Cache row, or null when skipped. */
  idx: number | null
  /** Labels joined with `|`. */
  labels: string
  /** Patient id, if any. */
  patientId: number | null
  /** Follow-up number, if any. */
  followUp: number | null
  /** View position, if any. */
  view: string | null
  /** Split, or null when skipped. */
  split: 'train' | 'val' | 'test' | null
  /** ok or skipped. */
  status: 'ok' | 'skipped'
  /** Skip reason and message. */
  reason: string | null
}

interface DatasetDbRow {
  id: string
  name: string
  kind: DatasetKindName
  source: string
  dir: string
  status: DatasetStatus
  options_json: string
  plan_hash: string | null
  import_pid: number | null
  n: number
  height: number
  width: number
  channels: number
  label_names_json: string
  multi_label: number
  splits_json: string
  error: string | null
  created_at: string
  updated_at: string
}

const COLUMNS = 'id, name, kind, source, dir, status, options_json, plan_hash, import_pid, n, height, width, channels, label_names_json, multi_label, splits_json, error, created_at, updated_at'

function toRecord(db: Db, r: DatasetDbRow): DatasetRecord {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    source: fromStoredPath(db, r.source),
    dir: fromStoredPath(db, r.dir),
    status: r.status,
    options: JSON.parse(r.options_json) as Record<string, unknown>,
    planHash: r.plan_hash,
    importPid: r.import_pid,
    n: r.n,
    height: r.height,
    width: r.width,
    channels: r.channels,
    labelNames: JSON.parse(r.label_names_json) as string[],
    multiLabel: r.multi_label === 1,
    splits: JSON.parse(r.splits_json) as Record<string, number>,
    error: r.error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

/** Every dataset, newest first. */
export function listDatasets(db: Db): DatasetRecord[] {
  return (db.prepare(`SELECT ${COLUMNS} FROM datasets ORDER BY created_at DESC, name`).all() as DatasetDbRow[]).map((r) => toRecord(db, r))
}

/** A dataset by id or by name; null when there is none. */
export function getDatasetByIdOrName(db: Db, key: string): DatasetRecord | null {
  const r = db.prepare(`SELECT ${COLUMNS} FROM datasets WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1`).get(key, key, key) as DatasetDbRow | undefined
  return r ? toRecord(db, r) : null
}

/** Creates a dataset row in state `importing`. */
export function insertDataset(db: Db, d: { id: string; name: string; kind: DatasetKindName; source: string; dir: string; options: Record<string, unknown>; importPid: number }): void {
  const now = new Date().toISOString()
  db.prepare(`INSERT INTO datasets (id, name, kind, source, dir, status, options_json, import_pid, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'importing', ?, ?, ?, ?)`).run(
    d.id, d.name, d.kind, toStoredPath(db, d.source), toStoredPath(db, d.dir), JSON.stringify(d.options), d.importPid, now, now,
  )
}

/** Marks a dataset as importing again (a resumed import) by this process. */
export function markImporting(db: Db, id: string, importPid: number): void {
  db.prepare(`UPDATE datasets SET status = 'importing', import_pid = ?, error = NULL, updated_at = ? WHERE id = ?`).run(importPid, new Date().toISOString(), id)
}

/** Stores the plan hash once the plan is known. */
export function setPlanHash(db: Db, id: string, planHash: string): void {
  db.prepare('UPDATE datasets SET plan_hash = ?, updated_at = ? WHERE id = ?').run(planHash, new Date().toISOString(), id)
}

/** Marks a dataset failed or cancelled, with the reason. */
export function markStopped(db: Db, id: string, status: 'failed' | 'cancelled', error: string): void {
  db.prepare('UPDATE datasets SET status = ?, error = ?, import_pid = NULL, updated_at = ? WHERE id = ?').run(status, error, new Date().toISOString(), id)
}

/** What a finished import stores: the cache's shape and labels (as in DatasetRecord), the report and the samples. */
export interface FinishedImport extends Pick<DatasetRecord, 'n' | 'height' | 'width' | 'channels' | 'labelNames' | 'multiLabel' | 'splits'> {
  /** The import report (JSON). */
  report: unknown
  /** One row per source file. */
  samples: SampleRow[]
}

/** Stores samples and the report and marks the dataset ready, in one transaction. */
export function finishImport(db: Db, id: string, f: FinishedImport): void {
  db.transaction(() => {
    db.prepare('DELETE FROM samples WHERE dataset_id = ?').run(id)
    const ins = db.prepare('INSERT INTO samples (dataset_id, path, idx, labels, patient_id, follow_up, view, split, status, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    for (const s of f.samples) ins.run(id, s.path, s.idx, s.labels, s.patientId, s.followUp, s.view, s.split, s.status, s.reason)
    db.prepare(`UPDATE datasets SET status = 'ready', import_pid = NULL, error = NULL, n = ?, height = ?, width = ?, channels = ?, label_names_json = ?, multi_label = ?, splits_json = ?, report_json = ?, updated_at = ? WHERE id = ?`).run(
      f.n, f.height, f.width, f.channels, JSON.stringify(f.labelNames), f.multiLabel ? 1 : 0, JSON.stringify(f.splits), JSON.stringify(f.report), new Date().toISOString(), id,
    )
  }).immediate()
}

/** The stored import report, or null before the import finished. */
export function getReport(db: Db, id: string): unknown {
  const r = db.prepare('SELECT report_json FROM datasets WHERE id = ?').get(id) as { report_json: string | null } | undefined
  return r?.report_json ? (JSON.parse(r.report_json) as unknown) : null
}

/** Samples of a dataset, optionally only those in cache rows [from, to). */
export function listSamples(db: Db, id: string, opts: { status?: 'ok' | 'skipped'; limit?: number } = {}): SampleRow[] {
  const rows = db.prepare(`SELECT path, idx, labels, patient_id AS patientId, follow_up AS followUp, view, split, status, reason FROM samples WHERE dataset_id = ? ${opts.status ? 'AND status = ?' : ''} ORDER BY idx IS NULL, idx, path LIMIT ?`)
    .all(...[id, ...(opts.status ? [opts.status] : []), opts.limit ?? -1]) as SampleRow[]
  return rows
}

/** Source path (the image id, e.g. `images/00000001_000.png`) of each given cache row; rows without a sample are left out. */
export function samplePathsAt(db: Db, id: string, rows: readonly number[]): Map<number, string> {
  const get = db.prepare('SELECT path FROM samples WHERE dataset_id = ? AND idx = ?')
  const out = new Map<number, string>()
  for (const r of rows) {
    const hit = get.get(id, r) as { path: string } | undefined
    if (hit) out.set(r, hit.path)
  }
  return out
}

/** Deletes a dataset and its samples. */
export function deleteDataset(db: Db, id: string): void {
  db.prepare('DELETE FROM datasets WHERE id = ?').run(id)
}
