// ChestX-ray14 importer: Data_Entry_2017.csv (or _v2020, optionally .gz; `Patient Sex` or `Patient
// Gender`; trailing commas tolerated), images in images/ or images_0NN/images/, optional official
// train_val_list.txt / test_list.txt.
import { existsSync, readFileSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { CHEST_LABELS, threeClassTarget } from './chest-labels.ts'
import { CsvError, parseCsv } from './csv.ts'
import { chosenColumn, type ColumnChoice } from './labels-csv.ts'
import { listDirs, listFiles, relPath, requireDir, skipUnusable } from './fs-scan.ts'
import { IMAGE_EXTENSIONS } from './image-decode.ts'
import { ImportInputError, type ImportPlan, type PlanItem, type SkippedFile } from './plan.ts'

const TABLE_NAMES = ['Data_Entry_2017.csv', 'Data_Entry_2017_v2020.csv', 'Data_Entry_2017.csv.gz', 'Data_Entry_2017_v2020.csv.gz']
const REQUIRED = ['Image Index', 'Finding Labels', 'Patient ID'] as const

/** One parsed table row. */
export interface ChestRow {
  /** Image file name, e.g. 00000001_000.png. */
  image: string
  /** Finding labels, `No Finding` alone for normal images. */
  labels: string[]
  /** Patient id as written, without leading zeros (a string: ids longer than 15 digits stay distinct). */
  patient: string
  /** Follow-up number, or null when the column is missing. */
  followUp: number | null
  /** PA / AP, or null. */
  view: string | null
}

/** The parsed table: unique rows, duplicates and warnings. */
export interface ChestTable {
  /** Rows in file order, first occurrence of each image. */
  rows: ChestRow[]
  /** Image names that appeared again (later rows are dropped). */
  duplicates: string[]
  /** Label strings outside the known 15, with their counts. */
  unknownLabels: Map<string, number>
  /** Rows left out because a needed field is unusable (image name, the field and why). */
  invalid: { image: string; field: 'Patient ID' | 'Follow-up #' | 'Finding Labels'; message: string }[]
}

/** Finds the table file in a ChestX-ray14 folder. */
export function findChestTable(root: string): string {
  for (const n of TABLE_NAMES) if (existsSync(join(root, n))) return join(root, n)
  throw new ImportInputError(`${root} has no ChestX-ray14 table: expected one of ${TABLE_NAMES.join(', ')}. Point the import at the folder that holds Data_Entry_2017.csv and images/.`)
}

/**
 * Parses the table text; throws when a needed column is missing. `columns` names other columns for
 * Image Index (file), Finding Labels (label) and Patient ID (patient), for tables written by other tools.
 */
export function parseChestTable(text: string, source = 'the table', columns: ColumnChoice = {}): ChestTable {
  let all: string[][]
  try {
    all = parseCsv(text)
  } catch (e) {
    if (e instanceof CsvError) throw new ImportInputError(`${source} cannot be read: ${e.message}. Fix line ${e.line} (quote the field, or double the " inside it) and import again.`)
    throw e
  }
  const header = (all[0] ?? []).map((h) => h.trim())
  const col = (name: string) => header.indexOf(name)
  const chosen: Record<(typeof REQUIRED)[number], string | undefined> = { 'Image Index': columns.file, 'Finding Labels': columns.label, 'Patient ID': columns.patient }
  const missing = REQUIRED.filter((r) => !chosen[r] && col(r) < 0)
  if (missing.length) {
    const flag = { 'Image Index': '--file-column', 'Finding Labels': '--label-column', 'Patient ID': '--patient-column' }
    throw new ImportInputError(`${source} lacks the column(s) ${missing.map((m) => `"${m}"`).join(', ')} (found: ${header.filter(Boolean).join(', ') || 'nothing'}). A ChestX-ray14 table needs Image Index, Finding Labels and Patient ID: name the columns that hold them (${missing.map((m) => flag[m]).join(', ')}, or the import wizard's column pickers).`)
  }
  const [ci, cl, cp] = REQUIRED.map((r) => (chosen[r] ? chosenColumn(header, chosen[r], `"${r}"`, source) : col(r))) as [number, number, number]
  const cf = col('Follow-up #')
  const cv = col('View Position')
  const known = new Set<string>(CHEST_LABELS)
  const seen = new Set<string>()
  const rows: ChestRow[] = []
  const duplicates: string[] = []
  const unknownLabels = new Map<string, number>()
  const invalid: ChestTable['invalid'] = []
  for (const [k, r] of all.slice(1).entries()) {
    const image = (r[ci] ?? '').trim()
    if (!image) continue
    // A patient id decides the split of every image of that patient: a guessed one (-1 or 0 for all)
    // would put every image in one split with no warning, so the row is left out and reported.
    const patientText = (r[cp] ?? '').trim()
    const row = `row ${k + 2} of ${source}`
    if (!/^\d+$/.test(patientText) || /^0+$/.test(patientText)) {
      invalid.push({ image, field: 'Patient ID', message: `${row} has ${patientText ? `the Patient ID "${patientText}", not a positive whole number` : 'no Patient ID'}; the image is left out (fix the row to keep it)` })
      continue
    }
    // A follow-up number is a whole number (0 for the first visit); "1.5" or "x" means the row was
    // edited by hand or shifted by a stray comma, so its other fields cannot be trusted either.
    const followText = cf >= 0 ? (r[cf] ?? '').trim() : ''
    if (followText !== '' && !/^\d{1,9}$/.test(followText)) {
      invalid.push({ image, field: 'Follow-up #', message: `${row} has the Follow-up # "${followText}", not a whole number; the image is left out (fix the row to keep it)` })
      continue
    }
    // An empty label field (or one of only "|") is not "No Finding": the row says nothing about the image.
    const labels = (r[cl] ?? '').split('|').map((s) => s.trim()).filter(Boolean)
    if (!labels.length) {
      invalid.push({ image, field: 'Finding Labels', message: `${row} has ${(r[cl] ?? '').trim() ? `the Finding Labels "${(r[cl] ?? '').trim()}", which names no label` : 'no Finding Labels'}; the image is left out (write "No Finding" for a normal image)` })
      continue
    }
    if (seen.has(image)) {
      duplicates.push(image)
      continue
    }
    seen.add(image)
    for (const l of labels) if (!known.has(l)) unknownLabels.set(l, (unknownLabels.get(l) ?? 0) + 1)
    rows.push({
      image,
      labels,
      patient: patientText.replace(/^0+/, ''),
      followUp: followText === '' ? null : Number(followText),
      view: cv >= 0 ? (r[cv] ?? '').trim() || null : null,
    })
  }
  return { rows, duplicates, unknownLabels, invalid }
}

/** The table's text (unpacked when it is .gz). */
export function readTable(file: string): string {
  const buf = readFileSync(file)
  if (!file.endsWith('.gz')) return buf.toString('utf8')
  try {
    return gunzipSync(buf).toString('utf8')
  } catch (e) {
    throw new ImportInputError(`${file} is not a complete gzip file (${(e as Error).message}). Download or copy it again, or put the unpacked ${basename(file, '.gz')} beside it.`)
  }
}

function readList(file: string): Set<string> | null {
  if (!existsSync(file)) return null
  return new Set(readFileSync(file, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter(Boolean))
}

/**
 * Image files in images/ and images_NNN/images/ (the archive's layout), by file name. A name found
 * in two folders keeps the first in folder order (images/, then images_001/, images_002/ ...) and
 * the other copies are reported, since the table names images by file name only.
 */
function findImages(root: string, skipped: SkippedFile[]): { byName: Map<string, string>; others: string[]; duplicates: { name: string; kept: string; dropped: string }[] } {
  const dirs: string[] = []
  if (existsSync(join(root, 'images'))) dirs.push(join(root, 'images'))
  for (const d of listDirs(root)) {
    if (/^images_\d+$/.test(d)) dirs.push(existsSync(join(root, d, 'images')) ? join(root, d, 'images') : join(root, d))
  }
  if (!dirs.length) throw new ImportInputError(`${root} has no images/ folder (nor images_001/images/ ...). Put the ChestX-ray14 PNGs there.`)
  const byName = new Map<string, string>()
  const others: string[] = []
  const duplicates: { name: string; kept: string; dropped: string }[] = []
  for (const d of dirs) {
    for (const f of listFiles(d, true, skipUnusable(root, skipped))) {
      if (!IMAGE_EXTENSIONS.has(extname(f).toLowerCase())) others.push(f)
      else if (byName.has(basename(f))) duplicates.push({ name: basename(f), kept: relPath(root, byName.get(basename(f))!), dropped: relPath(root, f) })
      else byName.set(basename(f), f)
    }
  }
  return { byName, others, duplicates }
}

/**
 * Cache numbers for the patients, by their ids as text. An id that fits a double exactly keeps its
 * own number (what ChestX-ray14 has); longer ids, which as numbers would merge different patients,
 * get numbers above the largest of those, one per distinct id.
 */
function patientNumbers(ids: Iterable<string>): { numbers: Map<string, number>; renumbered: string[] } {
  const numbers = new Map<string, number>()
  const long: string[] = []
  let top = 0
  for (const id of ids) {
    if (numbers.has(id) || long.includes(id)) continue
    if (id.length <= 15) {
      numbers.set(id, Number(id))
      top = Math.max(top, Number(id))
    } else long.push(id)
  }
  for (const id of long) numbers.set(id, ++top)
  return { numbers, renumbered: long }
}

/** Plans a ChestX-ray14 import. */
export function planChestXray14(root: string, columns: ColumnChoice = {}): ImportPlan {
  requireDir(root, 'ChestX-ray14 dataset')
  const tableFile = findChestTable(root)
  const tableName = basename(tableFile)
  const table = parseChestTable(readTable(tableFile), tableName, columns)
  if (table.rows.length === 0 && table.invalid.length > 0) {
    const what = table.invalid.every((r) => r.field === 'Patient ID') ? 'has a usable Patient ID' : 'can be used'
    throw new ImportInputError(`No row of ${tableName} ${what} (e.g. ${table.invalid[0]!.message}). The lab splits by patient, so every row needs its patient's number in "Patient ID", and its labels in "Finding Labels".`)
  }
  const skipped: SkippedFile[] = []
  const { byName, others, duplicates } = findImages(root, skipped)
  if (byName.size === 0) throw new ImportInputError(`The image folders under ${root} hold no images. Extract the ChestX-ray14 archives into images/.`)
  const labelNames = [...CHEST_LABELS, ...[...table.unknownLabels.keys()].sort()]
  const labelIndex = new Map(labelNames.map((l, i) => [l, i]))
  const trainVal = readList(join(root, 'train_val_list.txt'))
  const test = readList(join(root, 'test_list.txt'))
  const warnings: string[] = []
  // Every row check happens here, before any image is decoded: a bad row is counted, never fatal.
  for (const r of table.invalid) skipped.push({ file: r.image, reason: 'invalid-row', message: r.message })
  const byField = new Map<string, number>()
  for (const r of table.invalid) byField.set(r.field, (byField.get(r.field) ?? 0) + 1)
  for (const [field, n] of byField) warnings.push(`${n} row(s) of ${tableName} have no usable ${field} and were left out (see the skipped files).`)
  for (const [l, n] of table.unknownLabels) warnings.push(`Label "${l}" (${n} rows) is not one of the 15 ChestX-ray14 labels; it is kept as its own column.`)
  for (const d of table.duplicates) skipped.push({ file: d, reason: 'duplicate-row', message: `${d} appears more than once in ${tableName}; the first row is used` })
  for (const d of duplicates) skipped.push({ file: d.dropped, reason: 'duplicate-file', message: `${d.name} is also in ${d.kept}; the table names images by file name only, so the first copy in folder order (${d.kept}) is used` })
  if (duplicates.length) warnings.push(`${duplicates.length} image name(s) appear in more than one image folder (e.g. ${duplicates[0]!.name} in ${duplicates[0]!.kept} and ${duplicates[0]!.dropped}); the first copy in folder order (images/, then images_001/, images_002/ ...) is used and the others are listed as skipped.`)
  const { numbers, renumbered } = patientNumbers(table.rows.map((r) => r.patient))
  if (renumbered.length) warnings.push(`${renumbered.length} Patient ID(s) have more than 15 digits (e.g. ${renumbered[0]}); they are kept apart by their text and numbered from ${numbers.get(renumbered[0]!)} in patients.npy.`)
  // The official lists: both fix the test split; one alone still says which images are test images.
  let splitSource = 'seeded, grouped by patient, stratified by the 3-class target'
  let testOf: ((image: string) => boolean) | null = null
  if (trainVal && test) {
    testOf = (image) => test.has(image)
    splitSource = 'official lists (test_list.txt; train_val_list.txt split by patient)'
  } else if (test) {
    testOf = (image) => test.has(image)
    splitSource = 'official test_list.txt (no train_val_list.txt: the other images split into train/val by patient)'
    warnings.push('test_list.txt is here without train_val_list.txt: its images form the test split and every other image is split into train and val by patient.')
  } else if (trainVal) {
    const outside = table.rows.filter((r) => byName.has(r.image) && !trainVal.has(r.image)).length
    if (outside > 0) {
      testOf = (image) => !trainVal.has(image)
      splitSource = 'official train_val_list.txt (no test_list.txt: the images it does not list are the test split)'
      warnings.push(`train_val_list.txt is here without test_list.txt: the ${outside} image(s) it does not list form the test split, as in the official split; its images are split into train and val by patient.`)
    } else {
      warnings.push('train_val_list.txt is here without test_list.txt and lists every image, so it cannot say which images are for testing; it is not used and the split is seeded by patient. Add test_list.txt to use the official split.')
    }
  }
  const items: PlanItem[] = []
  const used = new Set<string>()
  for (const r of table.rows) {
    const file = byName.get(r.image)
    if (!file) {
      skipped.push({ file: r.image, reason: 'csv-row-without-image', message: `the table lists ${r.image} but no such file is in the image folders` })
      continue
    }
    used.add(r.image)
    let fixedSplit: PlanItem['fixedSplit'] = null
    if (testOf?.(r.image)) fixedSplit = 'test'
    else if (trainVal && test && !trainVal.has(r.image)) warnings.push(`${r.image} is in neither official list; it is split with the train/val images.`)
    items.push({ file, rel: relPath(root, file), labels: r.labels.map((l) => labelIndex.get(l)!), patient: numbers.get(r.patient)!, followUp: r.followUp, view: r.view, fixedSplit })
  }
  const invalidImages = new Set(table.invalid.map((r) => r.image))
  for (const [name, file] of byName) {
    if (!used.has(name) && !invalidImages.has(name)) skipped.push({ file: relPath(root, file), reason: 'image-without-csv-row', message: `${name} has no row in ${tableName}` })
  }
  for (const f of others) skipped.push({ file: relPath(root, f), reason: 'unsupported-format', message: `${extname(f) || 'files without an extension'} is not an image format the lab reads` })
  if (!items.length) throw new ImportInputError(`None of the ${table.rows.length} table rows matches an image under ${root}. Check that images/ holds the PNGs named in "Image Index".`)
  items.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0))
  const names = labelNames
  return {
    labelNames,
    multiLabel: true,
    items,
    skipped,
    warnings: warnings.slice(0, 200),
    hasPatients: true,
    splitSource,
    channels: 1,
    policy: 'shorter-side-center-crop',
    lateralityFlip: false,
    stratum: (it) => threeClassTarget(it.labels.map((i) => names[i]!)),
  }
}
