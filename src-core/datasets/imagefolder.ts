// ImageFolder importer: <root>/<class>/<image> (any depth below the class), or Imagenette's
// <root>/train/<class>/ + <root>/val/<class>/ (val becomes the test split; val is carved from train).
import { existsSync } from 'node:fs'
import { extname, join } from 'node:path'
import sharp from 'sharp'
import { listDirs, listFiles, relPath, requireDir } from './fs-scan.ts'
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
  const classes = [...new Set(parts.flatMap((p) => listDirs(p.dir)))].sort()
  if (!classes.length) {
    throw new ImportInputError(`${root} has no class folders. An image folder dataset is laid out as <folder>/<class>/<image>, e.g. Normal/ and Stroke/.`)
  }
  const items: PlanItem[] = []
  const skipped: SkippedFile[] = []
  const warnings: string[] = []
  for (const p of parts) {
    for (const f of listFiles(p.dir, false)) skipped.push({ file: relPath(root, f), reason: 'image-without-csv-row', message: 'the file is not inside a class folder, so it has no label' })
    for (const [ci, c] of classes.entries()) {
      const dir = join(p.dir, c)
      if (!existsSync(dir)) continue
      for (const f of listFiles(dir)) {
        if (!IMAGE_EXTENSIONS.has(extname(f).toLowerCase())) {
          skipped.push({ file: relPath(root, f), reason: 'unsupported-format', message: `${extname(f) || 'a file without an extension'} is not an image format the lab reads` })
          continue
        }
        items.push({ file: f, rel: relPath(root, f), labels: [ci], patient: null, followUp: null, view: null, fixedSplit: p.fixed })
      }
    }
  }
  if (!items.length) throw new ImportInputError(`The class folders under ${root} hold no images (PNG, JPEG, TIFF, WebP, PGM or DICOM). Check the path.`)
  for (const c of classes) if (!items.some((it) => it.labels[0] === classes.indexOf(c))) warnings.push(`Class folder "${c}" holds no images; it is kept as an empty label.`)
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

/** 3 when any of up to 24 evenly spaced images has real colour, else 1. */
async function detectColour(items: PlanItem[]): Promise<1 | 3> {
  const step = Math.max(1, Math.floor(items.length / 24))
  for (let i = 0; i < items.length; i += step) {
    try {
      const { data, info } = await sharp(items[i]!.file).resize(32, 32, { fit: 'inside' }).removeAlpha().raw().toBuffer({ resolveWithObject: true })
      if (info.channels < 3) continue
      for (let k = 0; k < data.length; k += info.channels) {
        if (Math.abs(data[k]! - data[k + 1]!) > 3 || Math.abs(data[k]! - data[k + 2]!) > 3) return 3
      }
    } catch {
      // Unreadable files are reported by the decode phase; they say nothing about colour.
    }
  }
  return 1
}
