// labels.csv beside the images (the "DICOM/PNG + CSV" import): one row per image with its file,
// its label and optionally its patient. Column names are matched loosely (file, image, filename,
// file_name, path, relpath, filepath, image_path ...; label, class ...; patient, patient_id ...),
// since such tables come from many tools; any other name is chosen by the user (CLI --file-column,
// --label-column, --patient-column; the import wizard's column pickers).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CsvError, parseCsv } from './csv.ts'
import { ImportInputError } from './plan.ts'

/** The file name the importers look for. */
export const LABELS_CSV = 'labels.csv'

/** Header names recognised without asking (compared lower-case, trimmed). */
export const FILE_COLUMNS = ['file', 'image', 'filename', 'file_name', 'file name', 'path', 'relpath', 'rel_path', 'filepath', 'file_path', 'image_path', 'imagepath', 'image_file', 'image_name', 'image index', 'img']
export const LABEL_COLUMNS = ['label', 'class', 'finding', 'findings', 'target', 'diagnosis', 'category', 'pathology']
export const PATIENT_COLUMNS = ['patient', 'patient_id', 'patientid', 'patient id', 'subject', 'subject_id', 'case_id']

/** Columns the user named (header text as written); unnamed ones are guessed. */
export interface ColumnChoice {
  file?: string
  label?: string
  patient?: string
}

/** The columns a table would be read with: a header name or null (not found). */
export interface ColumnGuess {
  file: string | null
  label: string | null
  patient: string | null
}

/** The recognised file, label and patient columns of a header. */
export function guessColumns(header: readonly string[]): ColumnGuess {
  const find = (names: string[]) => header.find((h) => names.includes(h.trim().toLowerCase())) ?? null
  return { file: find(FILE_COLUMNS), label: find(LABEL_COLUMNS), patient: find(PATIENT_COLUMNS) }
}

/** A table whose columns cannot be found: the importer may label by folders or MIAS_Info.txt instead. */
export class LabelsColumnsError extends ImportInputError {
  constructor(
    message: string,
    readonly columns: string[],
  ) {
    super(message)
    this.name = 'LabelsColumnsError'
  }
}

/** Reads a CSV file; a malformed one throws ImportInputError naming the line. */
export function readCsvFile(file: string): string[][] {
  try {
    return parseCsv(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''))
  } catch (e) {
    if (e instanceof CsvError) throw new ImportInputError(`${file} cannot be read: ${e.message}. Fix line ${e.line} and import again.`)
    throw e
  }
}

/** The column index of a user's choice; throws naming the columns there are. */
export function chosenColumn(header: readonly string[], name: string, what: string, file: string): number {
  const want = name.trim().toLowerCase()
  const i = header.findIndex((h) => h.trim().toLowerCase() === want)
  if (i < 0) throw new ImportInputError(`${file} has no column "${name}" for the ${what} (its columns: ${header.map((h) => h.trim()).filter(Boolean).join(', ') || 'none'}). Choose one of those.`)
  return i
}

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

/**
 * Reads and checks labels.csv with the chosen columns (the recognised names where none is chosen);
 * throws ImportInputError naming the file, line or column, LabelsColumnsError when no file or
 * label column can be found and none was chosen.
 */
export function readLabelsCsv(file: string, choice: ColumnChoice = {}): LabelsTable {
  const all = readCsvFile(file)
  const header = (all[0] ?? []).map((h) => h.trim())
  const guess = guessColumns(header)
  const col = (chosen: string | undefined, guessed: string | null, what: string) => (chosen ? chosenColumn(header, chosen, what, file) : guessed === null ? -1 : header.indexOf(guessed))
  const cf = col(choice.file, guess.file, 'file')
  const cl = col(choice.label, guess.label, 'label')
  const cp = col(choice.patient, guess.patient, 'patient')
  if (cf < 0 || cl < 0) {
    const missing = [cf < 0 ? `a file column (${FILE_COLUMNS.slice(0, 8).join(', ')} ...)` : '', cl < 0 ? `a label column (${LABEL_COLUMNS.slice(0, 4).join(', ')} ...)` : ''].filter(Boolean).join(' and ')
    throw new LabelsColumnsError(`${file} has no recognised ${missing}; its columns are ${header.filter(Boolean).join(', ') || 'none'}. Name the columns to use (--file-column and --label-column, or pick them in the import wizard), rename them, or remove ${LABELS_CSV} to label by folders.`, header)
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

/**
 * labels.csv of a folder read with the chosen columns, or null when there is none. When its columns
 * cannot be found (and none was chosen) but `fallback` names another source of labels (MIAS_Info.txt,
 * class folders), the table is left aside and `note` says so; with no fallback the error stands.
 */
export function labelsTableOrFallback(root: string, choice: ColumnChoice, fallback: string | null): { csv: LabelsTable | null; note: string | null } {
  const file = join(root, LABELS_CSV)
  if (!existsSync(file)) {
    if (choice.file || choice.label || choice.patient) throw new ImportInputError(`Columns were named (${describeChoice(choice)}) but ${root} has no ${LABELS_CSV} to read them from. Leave the column options out to label by ${fallback ?? 'folders'}.`)
    return { csv: null, note: null }
  }
  try {
    return { csv: readLabelsCsv(file, choice), note: null }
  } catch (e) {
    if (!(e instanceof LabelsColumnsError) || choice.file || choice.label || !fallback) throw e
    return { csv: null, note: `${LABELS_CSV} was not used: it has no recognised file and label columns (its columns: ${e.columns.filter(Boolean).join(', ') || 'none'}), so the labels come from ${fallback}. To use the table instead, name its columns (--file-column, --label-column, or the import wizard's column pickers).` }
  }
}

function describeChoice(c: ColumnChoice): string {
  return Object.entries(c).filter(([, v]) => v).map(([k, v]) => `${k} "${v}"`).join(', ')
}
