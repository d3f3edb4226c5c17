// The four demo datasets: generated into <dataRoot>/sources/<name>/ in the real layouts, then
// imported through the same importers as real data. Seeded: the same options give the same bytes.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { drawBrainCt, BRAIN_CLASSES } from './brainct.ts'
import { generateChestDemo } from './chest.ts'
import { drawMammogram, MAMMO_CLASSES } from './mammo.ts'
import { drawNatural, NATURAL_CLASSES } from './natural.ts'
import { imageSeed, pool } from './raster.ts'
import type { ImportRequest } from '../import-job.ts'
import { removeInsideRoot } from '../../util/inside-root.ts'

/** How big the demo is. */
export interface DemoOptions {
  /** `default` for the demo study, `small` for tests (seconds). */
  scale: 'small' | 'default'
  /** Import size in pixels (default 48; 32 for small). */
  size?: number
  /** Seed of every generator. */
  seed?: number
}

/** One demo dataset to generate and import. */
export interface DemoSpec {
  /** Dataset name (cross-team contract). */
  name: 'demo-chest' | 'demo-natural' | 'demo-brainct' | 'demo-mammo'
  /** Images to generate. */
  count: number
  /** Side of the generated source images. */
  sourceSize: number
}

export function demoSpecs(scale: DemoOptions['scale']): DemoSpec[] {
  const small = scale === 'small'
  return [
    { name: 'demo-chest', count: small ? 360 : 2000, sourceSize: small ? 64 : 128 },
    { name: 'demo-natural', count: small ? 60 : 1000, sourceSize: small ? 48 : 128 },
    { name: 'demo-brainct', count: small ? 60 : 1000, sourceSize: small ? 48 : 128 },
    { name: 'demo-mammo', count: small ? 60 : 1000, sourceSize: small ? 48 : 128 },
  ]
}

/** The generators' version: a new one regenerates sources written by an older one. */
const GENERATOR_VERSION = 3

const stampOf = (spec: DemoSpec, seed: number) => JSON.stringify({ v: GENERATOR_VERSION, ...spec, seed })
const markerOf = (sourcesDir: string, spec: DemoSpec) => join(sourcesDir, spec.name, '.generated.json')

/** Whether the demo source folder of `spec` was written by today's generators with this seed. */
export function demoSourceCurrent(sourcesDir: string, spec: DemoSpec, seed: number): boolean {
  const marker = markerOf(sourcesDir, spec)
  return existsSync(marker) && readFileSync(marker, 'utf8') === stampOf(spec, seed)
}

/** Writes one demo source folder (unless an identical one is already there); returns the import request. */
export async function generateDemoSource(sourcesDir: string, spec: DemoSpec, o: { size: number; seed: number; onImage?: (done: number, total: number) => void }): Promise<ImportRequest> {
  const dir = join(sourcesDir, spec.name)
  const stamp = stampOf(spec, o.seed)
  const marker = markerOf(sourcesDir, spec)
  const fresh = !demoSourceCurrent(sourcesDir, spec, o.seed)
  if (fresh) {
    // The sources folder lies in the data root (layout().sources); nothing outside it is deleted.
    removeInsideRoot(dirname(sourcesDir), dir)
    mkdirSync(dir, { recursive: true })
  }
  const done = (k: number) => o.onImage?.(k, spec.count)
  const seed = o.seed
  const S = spec.sourceSize
  let k = 0
  const classFolders = async (classes: readonly string[], draw: (cls: number, i: number) => Promise<Buffer>) => {
    for (const c of classes) mkdirSync(join(dir, c), { recursive: true })
    await pool(spec.count, 4, async (i) => {
      const cls = classOf(i, classes.length, spec.name)
      writeFileSync(join(dir, classes[cls]!, `${String(i).padStart(5, '0')}.png`), await draw(cls, i))
      done(++k)
    })
  }
  if (fresh) {
    if (spec.name === 'demo-chest') await generateChestDemo(dir, { count: spec.count, size: S, seed, onImage: done })
    else if (spec.name === 'demo-natural') await classFolders(NATURAL_CLASSES, (c, i) => drawNatural(S, c, imageSeed(spec.name, i, seed)))
    else if (spec.name === 'demo-brainct') await classFolders(BRAIN_CLASSES, (c, i) => drawBrainCt(S, c === 1, imageSeed(spec.name, i, seed)).png())
    else await classFolders(MAMMO_CLASSES, (c, i) => drawMammogram(S, c, imageSeed(spec.name, i, seed)).png())
    writeFileSync(marker, stamp)
  }
  const kind = spec.name === 'demo-chest' ? 'chestxray14' : spec.name === 'demo-mammo' ? 'mammogram' : 'imagefolder'
  // The demo mammograms are imported as acquired, left and right breasts as they are: flipped to face
  // one way, the side the tissue lies on would give every rotation away (see mammo.ts).
  const flip = spec.name === 'demo-mammo' ? { lateralityFlip: false } : {}
  return { kind, path: dir, name: spec.name, size: o.size, color: spec.name === 'demo-natural' ? 'rgb' : 'grey', seed, ...flip }
}

/** Class of image i: brain CT 60/40 normal/stroke, mammograms 60/25/15, natural balanced. */
function classOf(i: number, classes: number, name: string): number {
  const u = (imageSeed(`${name}-class`, i, 0) % 1000) / 1000
  if (name === 'demo-brainct') return u < 0.6 ? 0 : 1
  if (name === 'demo-mammo') return u < 0.6 ? 0 : u < 0.85 ? 1 : 2
  return Math.floor(u * classes)
}
