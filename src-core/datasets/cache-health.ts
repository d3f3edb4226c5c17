// Is a ready dataset's cache still whole? Files go missing or get cut short after an import (a
// cleaned-up disk, a partial copy of the data root); such a dataset shows as `damaged` with the
// reason, and studies refuse it, instead of failing runs one by one. Cheap enough for every listing:
// each file is checked for existence, its .npy header and its exact size, not its checksum.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { itemSize, readNpyHeader } from './npy.ts'

/** Revision of the grey `crop-foreground` cut that meta.json records as `crop_revision`. Before 2 the
 *  importer read libvips' 3-channel copy of a grey cut with a 1-channel stride: every mammogram cached
 *  cut to the breast was a garbled, stretched third of its film (bands of wrapped grey, one way up). */
export const CROP_REVISION = 2

/** The reason a cache is damaged, or null when every file is present and of the right size. */
export function cacheDamage(dir: string, n: number | null): string | null {
  const metaFile = join(dir, 'meta.json')
  if (!existsSync(metaFile)) return `${metaFile} is missing`
  let meta: { checksums?: Record<string, string>; n?: number; resize_policy?: string; channels?: number; crop_revision?: number }
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8'))
  } catch (e) {
    return `${metaFile} cannot be read (${(e as Error).message})`
  }
  if (meta.resize_policy === 'crop-foreground' && meta.channels === 1 && (meta.crop_revision ?? 1) < CROP_REVISION) {
    return 'its grey images were cut to the foreground by an importer older than crop revision 2, which garbled every cut image (read back with the wrong channel count)'
  }
  const files = Object.keys(meta.checksums ?? {})
  if (!files.length) return `${metaFile} lists no cache files`
  for (const f of files) {
    const file = join(dir, f)
    if (!existsSync(file)) return `${file} is missing`
    if (!f.endsWith('.npy')) continue
    try {
      const h = readNpyHeader(file)
      const expected = h.offset + h.shape.reduce((a, b) => a * b, 1) * itemSize(h.dtype)
      const size = statSync(file).size
      if (size !== expected) return `${file} has ${size} bytes, its header needs ${expected} (cut short or overwritten)`
      if (f === 'images.npy' && n !== null && h.shape[0] !== n) return `${file} holds ${h.shape[0]} images, the dataset ${n}`
    } catch (e) {
      return `${file} cannot be read (${(e as Error).message})`
    }
  }
  return null
}

/** The sentence shown for a damaged dataset. */
export function damagedMessage(name: string, reason: string): string {
  return `The cache of "${name}" is damaged: ${reason}. Import it again (xlab datasets remove ${name}, then import) to use it.`
}
