// Mammogram importer: PNG / JPEG / PGM / DICOM files anywhere under the root. Labels from a
// mini-MIAS Info.txt when present (normal / benign / malignant; patients are the left/right pairs),
// else from class folders, else one label for unlabelled pretraining sets.
import { existsSync, readFileSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import { listDirs, listFiles, relPath, requireDir } from './fs-scan.ts'
import { IMAGE_EXTENSIONS } from './image-decode.ts'
import { ImportInputError, type ImportPlan, type PlanItem, type SkippedFile } from './plan.ts'

const MIAS_LABELS = ['normal', 'benign', 'malignant'] as const
const ignoredFiles = new Set(['info.txt', 'licence.txt', 'license.txt', 'readme.txt', 'readme.md'])

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
export function planMammograms(root: string, lateralityFlip: boolean): ImportPlan {
  requireDir(root, 'mammogram folder')
  const infoFile = ['Info.txt', 'info.txt'].map((n) => join(root, n)).find((f) => existsSync(f))
  const mias = infoFile ? parseMiasInfo(readFileSync(infoFile, 'latin1')) : null
  const classDirs = mias ? [] : listDirs(root)
  const labelNames = mias ? [...MIAS_LABELS] : classDirs.length ? classDirs : ['mammogram']
  const items: PlanItem[] = []
  const skipped: SkippedFile[] = []
  const warnings: string[] = []
  if (infoFile && mias!.size === 0) throw new ImportInputError(`${infoFile} has no MIAS rows (lines like "mdb001 G CIRC B 535 425 197"). Fix or remove it to import by folders.`)
  for (const f of listFiles(root)) {
    const rel = relPath(root, f)
    if (ignoredFiles.has(basename(f).toLowerCase())) continue
    const ext = extname(f).toLowerCase()
    if (!IMAGE_EXTENSIONS.has(ext) && ext !== '') {
      skipped.push({ file: rel, reason: 'unsupported-format', message: `${ext} is not an image format the lab reads` })
      continue
    }
    let label = 0
    let patient: number | null = null
    if (mias) {
      const ref = basename(f, ext)
      const l = mias.get(ref)
      if (l === undefined) {
        skipped.push({ file: rel, reason: 'image-without-csv-row', message: `${ref} has no row in Info.txt` })
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
  if (mias) for (const ref of mias.keys()) if (!items.some((it) => basename(it.file, extname(it.file)) === ref)) skipped.push({ file: ref, reason: 'csv-row-without-image', message: `Info.txt lists ${ref} but no such image is in the folder` })
  return {
    labelNames,
    multiLabel: false,
    items,
    skipped,
    warnings,
    hasPatients: !!mias,
    splitSource: mias ? 'seeded, grouped by patient (MIAS left/right pairs), stratified by label' : 'seeded, stratified by label',
    channels: 1,
    // Mammograms keep the whole breast and lose the empty background: cut to the breast's bounding
    // box, then fitted into the square (never stretched). Padding the whole film instead left black
    // bars whose position gave a rotation away to the pretext tasks.
    policy: 'crop-foreground',
    lateralityFlip,
    stratum: (it) => it.labels[0]!,
  }
}
