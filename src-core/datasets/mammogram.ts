// Mammogram importer: PNG / JPEG / PGM / DICOM files anywhere under the root. Labels from a
// labels.csv beside the images when present (file, label, optional patient), else from a mini-MIAS
// Info.txt (normal / benign / malignant; patients are the left/right pairs), else from class
// folders, else one label for unlabelled pretraining sets.
import { readdirSync, readFileSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import { listDirs, listFiles, relPath, requireDir, skipUnusable } from './fs-scan.ts'
import { IMAGE_EXTENSIONS } from './image-decode.ts'
import { LABELS_CSV, labelsTableOrFallback, type ColumnChoice } from './labels-csv.ts'
import { ImportInputError, type ImportPlan, type PlanItem, type SkippedFile } from './plan.ts'

const MIAS_LABELS = ['normal', 'benign', 'malignant'] as const
const ignoredFiles = new Set(['licence.txt', 'license.txt', 'readme.txt', 'readme.md', LABELS_CSV])

/**
 * The MIAS table in `root`, whatever it was renamed to on the way (Info.txt, info.txt, MIAS_Info.txt,
 * mias-info.txt ...): a .txt whose name contains "info".
 */
export function findMiasInfo(root: string): string | undefined {
  const names = readdirSync(root).filter((n) => /info.*\.txt$/i.test(n)).sort((a, b) => a.length - b.length || (a < b ? -1 : 1))
  return names.length ? join(root, names[0]!) : undefined
}

/** Parses MIAS Info.txt into reference -> label index (the most severe finding of the image). */
export function parseMiasInfo(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(mdb\d{3})\s+([FGD])\s+(CALC|CIRC|SPIC|MISC|ARCH|ASYM|NORM)\s*([BM])?/.exec(line)
    if (!m) continue
    const label = m[3] === 'NORM' ? 0 : m[4] === 'M' ? 2 : 1
    out.set(m[1]!, Math.max(out.get(m[1]!) ?? 0, label))
  }
  return out
}

/** Plans a mammogram import. */
export function planMammograms(root: string, lateralityFlip: boolean, columns: ColumnChoice = {}): ImportPlan {
  requireDir(root, 'mammogram folder')
  // labels.csv first; when its columns cannot be found, MIAS_Info.txt or the class folders (said in a warning).
  const fallbackInfo = findMiasInfo(root)
  const { csv, note } = labelsTableOrFallback(root, columns, fallbackInfo ? basename(fallbackInfo) : listDirs(root).length ? 'the class folders' : null)
  const infoFile = csv ? undefined : fallbackInfo
  const infoName = infoFile ? basename(infoFile) : 'Info.txt'
  const mias = infoFile ? parseMiasInfo(readFileSync(infoFile, 'latin1')) : null
  const classDirs = mias || csv ? [] : listDirs(root)
  const labelNames = csv ? csv.labelNames : mias ? [...MIAS_LABELS] : classDirs.length ? classDirs : ['mammogram']
  const items: PlanItem[] = []
  const skipped: SkippedFile[] = []
  const warnings: string[] = note ? [note] : []
  const matched = new Set<string>()
  if (infoFile && mias!.size === 0) throw new ImportInputError(`${infoFile} has no MIAS rows (lines like "mdb001 G CIRC B 535 425 197"). Fix or remove it to import by folders.`)
  for (const f of listFiles(root, true, skipUnusable(root, skipped))) {
    const rel = relPath(root, f)
    if (ignoredFiles.has(basename(f).toLowerCase()) || (infoFile && f === infoFile)) continue
    const ext = extname(f).toLowerCase()
    if (!IMAGE_EXTENSIONS.has(ext) && ext !== '') {
      skipped.push({ file: rel, reason: 'unsupported-format', message: `${ext} is not an image format the lab reads` })
      continue
    }
    let label = 0
    let patient: number | null = null
    if (csv) {
      const key = csv.rows.has(rel) ? rel : basename(f)
      const row = csv.rows.get(key)
      if (!row) {
        skipped.push({ file: rel, reason: 'image-without-csv-row', message: `${rel} has no row in ${LABELS_CSV}` })
        continue
      }
      matched.add(key)
      label = row.label
      patient = row.patient
    } else if (mias) {
      const ref = basename(f, ext)
      const l = mias.get(ref)
      if (l === undefined) {
        skipped.push({ file: rel, reason: 'image-without-csv-row', message: `${ref} has no row in ${infoName}` })
        continue
      }
      label = l
      // mini-MIAS stores each patient's left and right breast as consecutive odd/even numbers.
      patient = Math.ceil(Number(ref.slice(3)) / 2)
    } else if (classDirs.length) {
      const top = rel.split('/')[0]!
      label = classDirs.indexOf(top)
      if (label < 0) {
        skipped.push({ file: rel, reason: 'image-without-csv-row', message: 'the file is not inside a class folder, so it has no label' })
        continue
      }
    }
    items.push({ file: f, rel, labels: [label], patient, followUp: null, view: null, fixedSplit: null })
  }
  if (!items.length) throw new ImportInputError(`${root} holds no mammograms (PNG, JPEG, PGM or DICOM files). Check the path.`)
  if (mias) {
    // A table row without its image is not a file of this folder: one warning, not a skipped file each.
    const present = new Set(items.map((it) => basename(it.file, extname(it.file))))
    const missing = [...mias.keys()].filter((ref) => !present.has(ref))
    if (missing.length) warnings.push(`${missing.length} image(s) listed in ${infoName} are not in the folder (e.g. ${missing.slice(0, 3).join(', ')}); only the images present are imported.`)
  }
  if (csv) {
    const unmatched = [...csv.rows.keys()].filter((k) => !matched.has(k))
    if (unmatched.length) warnings.push(`${unmatched.length} row(s) of ${LABELS_CSV} name no image in the folder (e.g. ${unmatched.slice(0, 3).join(', ')}); only the images present are imported.`)
    warnings.push(...csv.warnings)
  }
  const hasPatients = !!mias || !!csv?.hasPatients
  return {
    labelNames,
    multiLabel: false,
    items,
    skipped,
    warnings,
    hasPatients,
    splitSource: csv
      ? `${LABELS_CSV}, seeded${csv.hasPatients ? ', grouped by patient' : ''}, stratified by label`
      : mias ? 'seeded, grouped by patient (MIAS left/right pairs), stratified by label' : 'seeded, stratified by label',
    channels: 1,
    // Mammograms keep the whole breast and lose the empty background: cut to the breast's bounding
    // box, then fitted into the square (never stretched). Padding the whole film instead left black
    // bars whose position gave a rotation away to the pretext tasks.
    policy: 'crop-foreground',
    lateralityFlip,
    stratum: (it) => it.labels[0]!,
  }
}
