// Demo natural-like colour images as class folders: dead-leaves (occluding discs with power-law
// sizes, the statistics of natural scenes), textures (oriented coloured gratings and noise), and
// shapes (a few filled polygons and discs over a gradient).
import sharp from 'sharp'
import { mulberry32 } from '../../util/rng.ts'
import { fractalNoise } from './raster.ts'

export const NATURAL_CLASSES = ['dead-leaves', 'shapes', 'texture'] as const

function colour(rand: () => number): [number, number, number] {
  const h = rand() * 6
  const s = 0.4 + rand() * 0.6
  const v = 0.3 + rand() * 0.7
  const f = h - Math.floor(h)
  const p = v * (1 - s)
  const q = v * (1 - s * f)
  const t = v * (1 - s * (1 - f))
  return ([[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]] as const)[Math.floor(h)]!.map((c) => c * 255) as [number, number, number]
}

/** Draws one RGB image and returns it as PNG. */
export async function drawNatural(size: number, cls: number, seed: number): Promise<Buffer> {
  const rand = mulberry32(seed)
  const px = new Uint8Array(size * size * 3)
  const set = (x: number, y: number, c: readonly number[]) => {
    const i = (y * size + x) * 3
    px[i] = c[0]!
    px[i + 1] = c[1]!
    px[i + 2] = c[2]!
  }
  if (cls === 0) {
    // Dead leaves: discs fall back to front; radius density ~ r^-3.
    for (let k = 0; k < 140; k++) {
      const r = size * 0.02 / Math.sqrt(1 - rand() * 0.97)
      const cx = rand() * size
      const cy = rand() * size
      const c = colour(rand)
      for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(size, Math.ceil(cy + r)); y++)
        for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(size, Math.ceil(cx + r)); x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) set(x, y, c)
    }
  } else if (cls === 1) {
    const a = colour(rand)
    const b = colour(rand)
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) set(x, y, a.map((v, i) => v + ((b[i]! - v) * y) / size))
    for (let k = 0; k < 3 + Math.floor(rand() * 3); k++) {
      const c = colour(rand)
      const cx = rand() * size
      const cy = rand() * size
      const r = size * (0.08 + rand() * 0.15)
      const sides = rand() < 0.3 ? 0 : 3 + Math.floor(rand() * 4)
      const rot = rand() * Math.PI
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++) {
          const dx = x - cx
          const dy = y - cy
          const d = Math.hypot(dx, dy)
          if (sides === 0) {
            if (d < r) set(x, y, c)
            continue
          }
          const ang = Math.atan2(dy, dx) - rot
          const sector = (2 * Math.PI) / sides
          const local = ((ang % sector) + sector) % sector - sector / 2
          if (d * Math.cos(local) < r * Math.cos(Math.PI / sides)) set(x, y, c)
        }
    }
  } else {
    const a = colour(rand)
    const b = colour(rand)
    const theta = rand() * Math.PI
    const freq = (4 + rand() * 10) / size
    const n = fractalNoise(size, size, 4, 3, rand)
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const t = 0.5 + 0.5 * Math.sin(2 * Math.PI * freq * (x * Math.cos(theta) + y * Math.sin(theta)) + n[y * size + x]! * 6)
        set(x, y, a.map((v, i) => v + (b[i]! - v) * t))
      }
  }
  return sharp(px, { raw: { width: size, height: size, channels: 3 } }).png({ compressionLevel: 4 }).toBuffer()
}
