// A study as one file (`xlab study export NAME FILE`, `xlab study import FILE`): how a result moves
// to a colleague, a cluster or a paper's supplement. The file is gzip'd JSON: the study's config,
// its runs' rows as stored (spec, state, summary, dependencies), their metrics and artifacts, the
// files of their run folders that results and reports read (predictions, summaries, logs; encoders
// and weights only when asked), the datasets' content checksums and the engine's version and lock.
// Imported into another data root, the same rows give the same results.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, type Dirent } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { dataRootOf } from '../store/data-root.ts'
import type { Db } from '../store/db.ts'
import { getDatasetByIdOrName } from '../store/datasets.ts'
import { insertStudyRows, readStudyRows, type StudyRows } from '../store/study-transfer.ts'
import { insideRoot } from '../util/inside-root.ts'
import { datasetContentChecksum } from './provenance.ts'

export const EXPORT_FORMAT = 'xlab-study-export'
export const EXPORT_VERSION = 1

/** One file of a run folder, carried in the export. */
interface BundleFile {
  /** The run it belongs to. */
  run: string
  /** Path inside the run folder, `/`-separated. */
  path: string
  /** The bytes, base64. */
  base64: string
}

/** The export file's content. */
export interface StudyBundle {
  format: typeof EXPORT_FORMAT
  version: typeof EXPORT_VERSION
  /** ISO time of the export. */
  exportedAt: string
  /** The study's name where it was exported. */
  name: string
  /** Engine version and the locked requirements it ran with (null when not found). */
  engine: { version: string | null; lock: string | null }
  /** Content checksum of each dataset the runs read, as recorded when they were planned. */
  datasets: Record<string, string | null>
  /** The store rows. */
  rows: StudyRows
  /** Run-folder files. */
  files: BundleFile[]
}

/** A bad export file or a refused import, with what to do. */
export class TransferError extends Error {
  readonly code = 'BAD_REQUEST'
}

/** Resumable state, temp files and the worker's pid are never carried; weights only when asked. */
function carried(name: string, weights: boolean): boolean {
  if (/^last(\.prev)?\.pth$/.test(name) || /^\..+\.tmp-\d+$/.test(name) || name === 'worker.pid' || name === 'job.json') return false
  if (/\.(pth|safetensors|pt|npy)$/.test(name)) return weights
  return true
}

function runFiles(runDir: string, weights: boolean): { path: string; abs: string }[] {
  const out: { path: string; abs: string }[] = []
  let entries: Dirent[] = []
  try {
    entries = readdirSync(runDir, { withFileTypes: true, recursive: true })
  } catch {
    return out
  }
  for (const e of entries) {
    if (!e.isFile() || !carried(e.name, weights)) continue
    const abs = join(e.parentPath, e.name)
    if (!weights && relative(runDir, abs).split(sep)[0] === 'features') continue
    out.push({ path: relative(runDir, abs).split(sep).join('/'), abs })
  }
  return out
}

/** Writes the study's export file; returns what it holds. */
export function exportStudy(db: Db, studyId: string, file: string, o: { weights?: boolean; engine: { version: string | null; lock: string | null } }): { runs: number; files: number; bytes: number } {
  const rows = readStudyRows(db, studyId)
  if (!rows) throw new TransferError(`There is no study ${studyId}.`)
  const root = dataRootOf(db)
  const files: BundleFile[] = []
  const datasets: Record<string, string | null> = {}
  for (const r of rows.runs) {
    const spec = JSON.parse(String(r.spec_json)) as { provenance?: { datasets?: Record<string, string | null> } }
    Object.assign(datasets, spec.provenance?.datasets ?? {})
    const runDir = root ? join(root, String(r.run_dir)) : String(r.run_dir)
    for (const f of runFiles(runDir, o.weights === true)) files.push({ run: String(r.id), path: f.path, base64: readFileSync(f.abs).toString('base64') })
  }
  const bundle: StudyBundle = { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: new Date().toISOString(), name: String(rows.study.name), engine: o.engine, datasets, rows, files }
  const gz = gzipSync(JSON.stringify(bundle))
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, gz)
  return { runs: rows.runs.length, files: files.length, bytes: gz.length }
}

/** Reads and checks an export file. */
export function readBundle(file: string): StudyBundle {
  let bundle: StudyBundle
  try {
    bundle = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as StudyBundle
  } catch (e) {
    throw new TransferError(`${file} is not a study export (${(e as Error).message}). Make one with xlab study export NAME FILE.`)
  }
  if (bundle?.format !== EXPORT_FORMAT || !bundle.rows?.study || !Array.isArray(bundle.rows.runs)) throw new TransferError(`${file} is not a study export (no ${EXPORT_FORMAT} header).`)
  if (bundle.version !== EXPORT_VERSION) throw new TransferError(`${file} is a study export of format version ${bundle.version}; this lab reads version ${EXPORT_VERSION}. Update X-Ray SSL Lab.`)
  return bundle
}

/** What an import did, and what differs from this data root. */
export interface ImportedStudy {
  /** The new study's id. */
  id: string
  /** Its name. */
  name: string
  /** Runs inserted, and runs already here (the same work) kept as they are. */
  created: number
  reused: number
  /** Files written into run folders. */
  files: number
  /** Datasets whose content here differs from the exported runs' (or that are missing here): a run planned here would be new work. */
  datasetNotes: string[]
}

/** Imports an export file into this data root under its own name or `name`. */
export function importStudy(db: Db, file: string, o: { name?: string; newId: string; nameProblem?: (name: string) => string | null }): ImportedStudy {
  const bundle = readBundle(file)
  const root = dataRootOf(db)
  if (!root) throw new TransferError('A study can only be imported into a data root on disk.')
  const name = o.name ?? bundle.name
  const problem = o.nameProblem?.(name)
  if (problem) throw new TransferError(problem)
  const done = insertStudyRows(db, bundle.rows, { id: o.newId, name })
  const fresh = new Set(bundle.rows.runs.map((r) => String(r.id)))
  let files = 0
  for (const f of bundle.files) {
    if (!fresh.has(f.run) || !/^r-[0-9a-f]+$/.test(f.run)) continue
    const target = join(root, 'runs', f.run, ...f.path.split('/'))
    // The file comes from elsewhere: it may only land inside its run's folder.
    const rel = insideRoot(join(root, 'runs', f.run), target)
    if (rel === null || rel === '.') throw new TransferError(`${file} holds a file that would land outside its run folder (${f.run}/${f.path}); it is not imported.`)
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, Buffer.from(f.base64, 'base64'))
    files++
  }
  const datasetNotes: string[] = []
  for (const [ds, sum] of Object.entries(bundle.datasets)) {
    const here = getDatasetByIdOrName(db, ds)
    if (!here) datasetNotes.push(`dataset "${ds}" is not imported here (the exported runs read content ${sum?.slice(0, 12) ?? 'unknown'})`)
    else {
      const local = datasetContentChecksum(here.dir)
      if (sum && local !== sum) datasetNotes.push(`dataset "${ds}" here has other content (${local?.slice(0, 12) ?? 'unknown'}) than the exported runs read (${sum.slice(0, 12)})`)
    }
  }
  return { id: o.newId, name, created: done.created, reused: done.reused, files, datasetNotes }
}

/** Size of a file in bytes, for messages. */
export function fileBytes(file: string): number {
  return statSync(file).size
}
