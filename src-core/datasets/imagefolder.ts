// ImageFolder importer: <root>/<class>/<image> (any depth below the class), or Imagenette's
// <root>/train/<class>/ + <root>/val/<class>/ (val becomes the test split; val is carved from train).
import { existsSync } from 'node:fs'
import { extname, join } from 'node:path'
import sharp from 'sharp'
import { listDirs, listFiles, relPath, requireDir, skipUnusable } from './fs-scan.ts'
import { IMAGE_EXTENSIONS } from './image-decode.ts'
import { ImportInputError, type ImportPlan, type PlanItem, type SkippedFile } from './plan.ts'

/** grey, rgb, or auto (rgb when any sampled image has colour). */
export type ColorMode = 'grey' | 'rgb' | 'auto'

/** Plans an ImageFolder import. */
export async function planImageFolder(root: string, color: ColorMode): Promise<ImportPlan> {
  requireDir(root, 'image folder')
  const layoutSplits = existsSync(join(root, 'train')) && (existsSync(join(root, 'val')) || existsSync(join(root, 'test')))
  const parts: { dir: string; fixed: PlanItem['fixedSplit'] }[] = layoutSplits
    ? [{ dir: join(root, 'train'), fixed: null }, ...(['val', 'test'] as const).filter((s) => existsSync(join(root, s))).map((s) => ({ dir: join(root, s), fixed: 'test' as const }))]
    : [{ dir: root, fixed: null }]
  const items: PlanItem[] = []
  const skipped: SkippedFile[] = []
  const warnings: string[] = []
  const unreadable = new Set<string>()
  const classes = [...new Set(parts.flatMap((p) => listDirs(p.dir, skipUnusable(root, skipped))))].sort()
  if (!classes.length) {
    throw new ImportInputError(`${root} has no class folders. An image folder dataset is laid out as <folder>/<class>/<image>, e.g. Normal/ and Stroke/.`)
  }
  for (const p of parts) {
    for (const f of listFiles(p.dir, false, skipUnusable(root, skipped))) {
      // A labels.csv or README beside the class folders is not an image that lacks its label.
      if (IMAGE_EXTENSIONS.has(extname(f).toLowerCase())) skipped.push({ file: relPath(root, f), reason: 'image-without-csv-row', message: 'the image is not inside a class folder, so it has no label' })
      else skipped.push({ file: relPath(root, f), reason: 'unsupported-format', message: 'not an image (files beside the class folders are not imported)' })
    }
    for (const [ci, c] of classes.entries()) {
      const dir = join(p.dir, c)
      if (!existsSync(dir)) continue
      let files: string[]
      try {
        files = listFiles(dir, true, skipUnusable(root, skipped))
      } catch (e) {
        // One unreadable class folder leaves its images out; the others are imported.
        if (!(e instanceof ImportInputError)) throw e
        skipped.push({ file: relPath(root, dir), reason: 'unreadable', message: e.message })
        warnings.push(`Class folder "${c}" was left out: ${e.message}`)
        unreadable.add(c)
        continue
      }
      for (const f of files) {
        if (!IMAGE_EXTENSIONS.has(extname(f).toLowerCase())) {
          skipped.push({ file: relPath(root, f), reason: 'unsupported-format', message: `${extname(f) || 'a file without an extension'} is not an image format the lab reads` })
          continue
        }
        items.push({ file: f, rel: relPath(root, f), labels: [ci], patient: null, followUp: null, view: null, fixedSplit: p.fixed })
      }
    }
  }
  if (!items.length) throw new ImportInputError(`The class folders under ${root} hold no images (PNG, JPEG, TIFF, WebP, PGM or DICOM). Check the path.`)
  for (const c of classes) if (!unreadable.has(c) && !items.some((it) => it.labels[0] === classes.indexOf(c))) warnings.push(`Class folder "${c}" holds no images; it is kept as an empty label.`)
  const channels = color === 'grey' ? 1 : color === 'rgb' ? 3 : await detectColour(items)
  return {
    labelNames: classes,
    multiLabel: false,
    items,
    skipped,
    warnings,
    hasPatients: false,
    splitSource: layoutSplits ? 'folders (val/ or test/ is the test split; val carved from train/, seeded, stratified by class)' : 'seeded, stratified by class',
    channels,
    policy: 'shorter-side-center-crop',
    lateralityFlip: false,
    stratum: (it) => it.labels[0]!,
  }
}

/** A pixel is coloured when two of its channels differ by more than this (8-bit levels). */
const COLOUR_DELTA = 12
/** An image is in colour when more than this share of its pixels is coloured. */
const COLOUR_SHARE = 0.02

/**
 * 3 when any of up to 24 evenly spaced images has real colour, else 1. Grey saved as RGB (most
 * head-CT exports) stays grey: read at 8 bits whatever the file's depth (a 16-bit file's bytes are
 * not channels), and JPEG's chroma rounding of a grey picture is not colour.
 */
async function detectColour(items: PlanItem[]): Promise<1 | 3> {
  const step = Math.max(1, Math.floor(items.length / 24))
  for (let i = 0; i < items.length; i += step) {
    try {
      const { data, info } = await sharp(items[i]!.file).resize(32, 32, { fit: 'inside' }).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })
      if (info.channels < 3) continue
      let coloured = 0
      for (let k = 0; k < data.length; k += info.channels) {
        if (Math.abs(data[k]! - data[k + 1]!) > COLOUR_DELTA || Math.abs(data[k]! - data[k + 2]!) > COLOUR_DELTA || Math.abs(data[k + 1]! - data[k + 2]!) > COLOUR_DELTA) coloured++
      }
      if (coloured > COLOUR_SHARE * (data.length / info.channels)) return 3
    } catch {
      // Unreadable files are reported by the decode phase; they say nothing about colour.
    }
  }
  return 1
}
