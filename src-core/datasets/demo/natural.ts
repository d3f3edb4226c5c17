// Demo natural-like colour images as class folders: dead-leaves (occluding discs with power-law
// sizes, the statistics of natural scenes, lit from above), shapes (objects standing on the ground
// under a sky: a horizon, a sky lighter than the ground, shadows below the objects) and textures
// (oriented coloured gratings and noise on a surface). Dead leaves and textures lie on a receding
// ground: smaller, finer and hazier towards the top (perspective and aerial haze).
//
// Why light from above and a sky: real photographs have a canonical orientation (RotNet learns
// rotation on them from sky, ground and shading), and an orientation-free demo set left the rotation
// task at chance (validation accuracy 0.31 for 4 classes). Why the receding ground: stationary
// leaves and close-up textures (two thirds of the set) gave neither task anything to find in the
// arrangement of an image's parts (structure ended at 0.60 against chance 0.50 after 96 steps).
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
  const shade = (c: readonly number[], f: number) => c.map((v) => Math.min(255, Math.max(0, v * f)))
  if (cls === 0) {
    // Dead leaves: discs fall back to front; radius density ~ r^-3. Each disc is lit from above
    // (lighter at its top, darker at its bottom), more strongly in some images than in others.
    // Leaves on the ground seen from standing height: smaller and hazier towards the top, where the
    // ground recedes (perspective and aerial haze, as in a photograph of a forest floor).
    const light = 0.15 + rand() * 0.45
    const haze = colour(rand).map((v) => v + (255 - v) * 0.5)
    const recede = 0.3 + rand() * 0.3
    for (let k = 0; k < 140; k++) {
      const cy = rand() * size
      const depth = 1 - recede * (1 - cy / size)
      const r = (size * 0.02 * depth) / Math.sqrt(1 - rand() * 0.97)
      const cx = rand() * size
      const mist = 0.7 * (1 - depth) / recede
      const c = colour(rand).map((v, i) => v + (haze[i]! - v) * mist)
      for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(size, Math.ceil(cy + r)); y++)
        for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(size, Math.ceil(cx + r)); x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) set(x, y, shade(c, 1 - (light * (y - cy)) / r))
    }
  } else if (cls === 1) {
    // A scene: sky above a horizon, lighter towards it; textured ground, darker towards the viewer;
    // objects standing on the ground with their shadows.
    const horizon = size * (0.35 + rand() * 0.3)
    const skyTop = shade(colour(rand), 0.9)
    const skyLow = skyTop.map((v) => v + (255 - v) * 0.6)
    const ground = shade(colour(rand), 0.55)
    const n = fractalNoise(size, size, 6, 3, rand)
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        if (y < horizon) set(x, y, skyTop.map((v, i) => v + ((skyLow[i]! - v) * y) / horizon))
        else set(x, y, shade(ground, (1.15 - (0.45 * (y - horizon)) / (size - horizon)) * (0.75 + 0.5 * n[y * size + x]!)))
      }
    const objects = 2 + Math.floor(rand() * 4)
    for (let k = 0; k < objects; k++) {
      const c = colour(rand)
      const base = horizon + rand() * (size - horizon) * 0.9
      // nearer objects (lower in the picture) are larger
      const r = size * (0.04 + 0.12 * ((base - horizon) / (size - horizon)) + rand() * 0.05)
      const cx = rand() * size
      const cy = base - r
      const sides = rand() < 0.3 ? 0 : 3 + Math.floor(rand() * 4)
      const rot = rand() * Math.PI
      for (let y = Math.max(0, Math.floor(base - r * 0.15)); y < Math.min(size, Math.ceil(base + r * 0.25)); y++)
        for (let x = Math.max(0, Math.floor(cx - r * 1.3)); x < Math.min(size, Math.ceil(cx + r * 1.3)); x++) {
          if (((x - cx) / (r * 1.2)) ** 2 + ((y - base - r * 0.05) / (r * 0.2)) ** 2 < 1) {
            const i = (y * size + x) * 3
            set(x, y, [px[i]! * 0.55, px[i + 1]! * 0.55, px[i + 2]! * 0.55])
          }
        }
      for (let y = Math.max(0, Math.floor(cy - r * 1.2)); y < Math.min(size, Math.ceil(base)); y++)
        for (let x = Math.max(0, Math.floor(cx - r * 1.2)); x < Math.min(size, Math.ceil(cx + r * 1.2)); x++) {
          const dx = x - cx
          const dy = y - cy
          const d = Math.hypot(dx, dy)
          const lit = shade(c, 1.1 - (0.35 * dy) / r)
          if (sides === 0) {
            if (d < r) set(x, y, lit)
            continue
          }
          const ang = Math.atan2(dy, dx) - rot
          const sector = (2 * Math.PI) / sides
          const local = ((ang % sector) + sector) % sector - sector / 2
          if (d * Math.cos(local) < r * Math.cos(Math.PI / sides)) set(x, y, lit)
        }
    }
  } else {
    // A textured surface (a field, a wall, water) in perspective: the pattern's frequency rises and its
    // contrast fades into haze towards the top, where the surface recedes.
    const a = colour(rand)
    const b = colour(rand)
    const haze = colour(rand).map((v) => v + (255 - v) * 0.5)
    const theta = rand() * Math.PI
    const freq = (3 + rand() * 6) / size
    const recede = 0.4 + rand() * 0.3
    const n = fractalNoise(size, size, 4, 3, rand)
    for (let y = 0; y < size; y++) {
      const depth = 1 - recede * (1 - y / size)
      for (let x = 0; x < size; x++) {
        // phase along the surface: a row far away (small depth) spans more of the pattern
        const u = (x - size / 2) / depth + size / 2
        const v = size * Math.log(depth) / recede
        const t = 0.5 + 0.5 * Math.sin(2 * Math.PI * freq * (u * Math.cos(theta) + v * Math.sin(theta)) + n[y * size + x]! * 6)
        const mist = 0.75 * (1 - depth) / recede
        set(x, y, a.map((c, i) => { const p = c + (b[i]! - c) * t; return p + (haze[i]! - p) * mist }))
      }
    }
  }
  return sharp(px, { raw: { width: size, height: size, channels: 3 } }).png({ compressionLevel: 4 }).toBuffer()
}
