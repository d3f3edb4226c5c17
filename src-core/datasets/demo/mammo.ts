// Demo mammograms as class folders normal/ benign/ malignant/, in the two standard screening views
// of both breasts, as a real screening set holds them (four images an exam: left and right, CC and
// MLO). MLO (medio-lateral oblique): the breast against the chest wall with the pectoral muscle as a
// bright triangle in the upper corner. CC (cranio-caudal): the breast as a half ellipse against the
// chest wall, nearly symmetric top to bottom, no muscle. Fibroglandular texture throughout; benign =
// round circumscribed mass, malignant = spiculated mass. Right breasts are the mirror image.
//
// Why both views and both sides: with one view of breasts that all face one way, where the chest
// wall lies gives a rotation away (the rotation pretext task was solved at step 24 of 48). With both,
// an unlearned cue (the side the tissue lies on) leaves two rotations open, and only the muscle of
// an MLO view, which a network has to find, tells them apart; a CC view keeps the ambiguity, as a
// real one does. The demo imports them as acquired (no flip to one side: datasets/demo/index.ts).
import { gaussian, mulberry32 } from '../../util/rng.ts'
import { fractalNoise, Raster } from './raster.ts'

export const MAMMO_CLASSES = ['normal', 'benign', 'malignant'] as const

/** The two screening views. */
export type MammoView = 'CC' | 'MLO'

/** Draws one mammogram; `view` and `side` are drawn from the seed unless given. */
export function drawMammogram(size: number, cls: number, seed: number, o: { view?: MammoView; side?: 'L' | 'R' } = {}): Raster {
  const rand = mulberry32(seed)
  const view = o.view ?? (rand() < 0.5 ? 'CC' : 'MLO')
  const side = o.side ?? (rand() < 0.5 ? 'L' : 'R')
  const img = new Raster(size, size, 0.02)
  const cc = view === 'CC'
  const depth = (cc ? 0.55 + rand() * 0.15 : 0.62 + rand() * 0.15) * size
  const half = (0.42 + rand() * 0.06) * size
  const cy = size * ((cc ? 0.5 : 0.52) + gaussian(rand) * 0.02)
  const tissue = fractalNoise(size, size, 5, 4, rand)
  const density = 0.2 + rand() * 0.5
  img.map((x, y) => {
    const u = x / depth
    const v = (y - cy) / half
    const r = u * u + v * v
    if (r >= 1) return 0.02 + (r < 1.04 ? 0.15 * (1.04 - r) / 0.04 : 0)
    // Fat is dark, glandular tissue bright, denser near the nipple line and the chest wall.
    const gland = Math.max(0, tissue[y * size + x]! - (1 - density) * 0.6) * 1.6
    return 0.3 + 0.25 * (1 - r) + gland * 0.35
  })
  if (!cc) {
    // Pectoral muscle: a bright triangle in the upper corner at the chest wall.
    const pw = (0.25 + rand() * 0.12) * size
    const ph = (0.45 + rand() * 0.2) * size
    img.map((x, y, v) => (x / pw + y / ph < 1 ? Math.max(v, 0.72 + 0.05 * tissue[y * size + x]!) : v))
  }
  if (cls > 0) {
    const mx = depth * (0.35 + rand() * 0.3)
    const my = cy + gaussian(rand) * half * 0.3
    const r = size * (0.045 + rand() * 0.03)
    if (cls === 1) img.ellipse(mx, my, r, r * (0.8 + rand() * 0.3), 0.3, size * 0.006, rand() * 3)
    else {
      img.ellipse(mx, my, r * 0.8, r * 0.8, 0.32, size * 0.01)
      for (let k = 0; k < 14; k++) {
        const a = (k / 14) * Math.PI * 2 + rand() * 0.3
        const len = r * (1.5 + rand() * 1.5)
        img.ellipse(mx + Math.cos(a) * len * 0.55, my + Math.sin(a) * len * 0.55, len * 0.55, size * 0.004, 0.2, size * 0.003, a)
      }
    }
  }
  img.map((_x, _y, v) => v + gaussian(rand) * 0.012)
  if (side === 'R') img.flipX()
  return img
}
