// What the import wizard shows before an import: the label table the importer would read, its
// columns, its first rows, and the columns it would use unless the user picks others.
import { existsSync } from 'node:fs'
import { basename, join } from 'node:path'
import { findChestTable, readTable } from './chestxray14.ts'
import { CsvError, parseCsv } from './csv.ts'
import { requireDir } from './fs-scan.ts'
import { guessColumns, LABELS_CSV, type ColumnGuess } from './labels-csv.ts'
import { findMiasInfo } from './mammogram.ts'
import { ImportInputError, type DatasetKind } from './plan.ts'

/** The preview of a folder's label table. */
export interface TablePreview {
  /** The table's file name, or null when the importer reads no table here. */
  table: string | null
  /** Header names as written. */
  columns: string[]
  /** The first rows (as many fields as columns). */
  rows: string[][]
  /** Columns used when the user picks none (null: not found, the user must pick). */
  guess: ColumnGuess
  /** Which columns the importer needs: file and label always, patient where it splits by patient. */
  required: ('file' | 'label' | 'patient')[]
  /** A sentence about the labels when there is no table (class folders, MIAS_Info.txt). */
  note: string | null
}

const CHEST_GUESS = { file: 'Image Index', label: 'Finding Labels', patient: 'Patient ID' } as const

/** Reads the table an import of `kind` at `root` would use; a folder without one gives table null. */
export function previewTable(kind: DatasetKind, root: string, maxRows = 5): TablePreview {
  requireDir(root, 'folder with the images')
  const none = (note: string): TablePreview => ({ table: null, columns: [], rows: [], guess: { file: null, label: null, patient: null }, required: [], note })
  if (kind === 'imagefolder') return none('Image folders are labelled by their class folders; there is no table to map.')
  let file: string
  if (kind === 'chestxray14') {
    file = findChestTable(root)
  } else {
    file = join(root, LABELS_CSV)
    if (!existsSync(file)) {
      const info = findMiasInfo(root)
      return none(info ? `No ${LABELS_CSV} here: the labels come from ${basename(info)}.` : `No ${LABELS_CSV} here: the labels come from the class folders (or one label for an unlabelled folder).`)
    }
  }
  let all: string[][]
  try {
    // Only the start of a large table is needed for a preview.
    const text = readTable(file)
    const lines = text.split(/\r?\n/, maxRows + 50).join('\n')
    all = parseCsv(lines.replace(/^\uFEFF/, ''))
  } catch (e) {
    if (e instanceof CsvError) throw new ImportInputError(`${file} cannot be read: ${e.message}. Fix line ${e.line} and try again.`)
    throw e
  }
  const columns = (all[0] ?? []).map((h) => h.trim())
  const rows = all.slice(1, 1 + maxRows).map((r) => columns.map((_, i) => (r[i] ?? '').trim()))
  const has = (name: string) => (columns.includes(name) ? name : null)
  const guess = kind === 'chestxray14' ? { file: has(CHEST_GUESS.file), label: has(CHEST_GUESS.label), patient: has(CHEST_GUESS.patient) } : guessColumns(columns)
  return { table: basename(file), columns, rows, guess, required: kind === 'chestxray14' ? ['file', 'label', 'patient'] : ['file', 'label'], note: null }
}
