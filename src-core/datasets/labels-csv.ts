// labels.csv beside the images (the "DICOM/PNG + CSV" import): one row per image with its file,
// its label and optionally its patient. Column names are matched loosely (file/image/filename/path,
// label/class, patient/patient_id), since such tables come from many tools.
import { readFileSync } from 'node:fs'
import { CsvError, parseCsv } from './csv.ts'
import { ImportInputError } from './plan.ts'

/** The file name the importers look for. */
export const LABELS_CSV = 'labels.csv'

const FILE_COLUMNS = ['file', 'image', 'filename', 'path', 'image_path', 'image index']
const LABEL_COLUMNS = ['label', 'class', 'finding', 'target']
const PATIENT_COLUMNS = ['patient', 'patient_id', 'patientid', 'patient id', 'subject']

/** One row: the label's index and the patient's number (null when the table has none). */
export interface LabelsRow {
  /** Index into labelNames. */
  label: number
  /** Patient number (1, 2, ... in order of appearance), or null. */
  patient: number | null
}

/** A parsed labels.csv. */
export interface LabelsTable {
  /** Distinct labels, sorted. */
  labelNames: string[]
  /** Rows by the file value as written (forward slashes). */
  rows: Map<string, LabelsRow>
  /** True when the table has a patient column. */
  hasPatients: boolean
  /** Non-fatal notes (duplicate rows, empty labels). */
  warnings: string[]
}

/** Reads and checks labels.csv; throws ImportInputError naming the file, line or column. */
export function readLabelsCsv(file: string): LabelsTable {
  let all: string[][]
  try {
    all = parseCsv(readFileSync(file, 'utf8'))
  } catch (e) {
    if (e instanceof CsvError) throw new ImportInputError(`${file} cannot be read: ${e.message}. Fix line ${e.line} and import again.`)
    throw e
  }
  const header = (all[0] ?? []).map((h) => h.trim().toLowerCase())
  const find = (names: string[]) => header.findIndex((h) => names.includes(h))
  const cf = find(FILE_COLUMNS)
  const cl = find(LABEL_COLUMNS)
  const cp = find(PATIENT_COLUMNS)
  if (cf < 0 || cl < 0) {
    throw new ImportInputError(`${file} needs a file column (${FILE_COLUMNS.slice(0, 3).join(', ')}) and a label column (${LABEL_COLUMNS.slice(0, 2).join(', ')}); found: ${header.filter(Boolean).join(', ') || 'nothing'}. Rename the columns, or remove ${LABELS_CSV} to label by folders.`)
  }
  const warnings: string[] = []
  const raw: { file: string; label: string; patient: string }[] = []
  const seen = new Set<string>()
  let emptyLabels = 0
  for (const r of all.slice(1)) {
    const f = (r[cf] ?? '').trim().split('\\').join('/')
    const label = (r[cl] ?? '').trim()
    if (!f) continue
    if (!label) {
      emptyLabels++
      continue
    }
    if (seen.has(f)) {
      warnings.push(`${f} has more than one row in ${LABELS_CSV}; the first is used.`)
      continue
    }
    seen.add(f)
    raw.push({ file: f, label, patient: cp >= 0 ? (r[cp] ?? '').trim() : '' })
  }
  if (emptyLabels) warnings.push(`${emptyLabels} row(s) of ${LABELS_CSV} have an empty label; their images are left out.`)
  if (!raw.length) throw new ImportInputError(`${file} has no rows with a file and a label. Fill it in, or remove it to label by folders.`)
  const labelNames = [...new Set(raw.map((r) => r.label))].sort()
  const patientIds = new Map<string, number>()
  const rows = new Map<string, LabelsRow>()
  for (const r of raw) {
    let patient: number | null = null
    if (cp >= 0 && r.patient) {
      if (!patientIds.has(r.patient)) patientIds.set(r.patient, patientIds.size + 1)
      patient = patientIds.get(r.patient)!
    }
    rows.set(r.file, { label: labelNames.indexOf(r.label), patient })
  }
  return { labelNames, rows, hasPatients: cp >= 0, warnings: warnings.slice(0, 50) }
}
