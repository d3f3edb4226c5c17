// Demo head CT slices as class folders Normal/ and Stroke/: skull ring, brain with grey/white
// texture, ventricles, sulci; stroke = a hypodense wedge (ischaemic) or a hyperdense blob (bleed).
// Shown as radiology displays an axial slice, anterior up: the head is egg-shaped (narrower at the
// forehead, wider at the back), the frontal horns of the lateral ventricles point forward, and the
// choroid plexus in their atria is calcified (two bright dots behind the ventricles, as in most adult
// heads). Why: with a symmetric oval the rotation pretext task could only tell the axis (0 and 180
// degrees apart from 90 and 270; validation accuracy 0.51 after 96 steps), not which end is front.
import { gaussian, mulberry32 } from '../../util/rng.ts'
import { fractalNoise, Raster } from './raster.ts'

export const BRAIN_CLASSES = ['Normal', 'Stroke'] as const

export function drawBrainCt(size: number, stroke: boolean, seed: number): Raster {
  const rand = mulberry32(seed)
  const img = new Raster(size, size, 0)
  const cx = size * (0.5 + gaussian(rand) * 0.02)
  const cy = size * (0.5 + gaussian(rand) * 0.02)
  const rx = size * (0.33 + rand() * 0.04)
  const ry = size * (0.4 + rand() * 0.04)
  const tilt = gaussian(rand) * 0.08
  const egg = 0.1 + rand() * 0.08
  img.ellipse(cx, cy, rx + size * 0.035, ry + size * 0.035, 0.95, 1.2, tilt, 'set')
  img.ellipse(cx, cy, rx, ry, 0.42, 1.2, tilt, 'set')
  const tex = fractalNoise(size, size, 8, 3, rand)
  const inside = new Raster(size, size, 0)
  inside.ellipse(cx, cy, rx - 1, ry - 1, 1, 1, tilt)
  // The egg shape: rows are narrowed towards the front (top), widened towards the back.
  img.warpRows(cx, (y) => 1 - egg * ((cy - y) / ry))
  inside.warpRows(cx, (y) => 1 - egg * ((cy - y) / ry))
  // Grey matter rim brighter than white matter; sulci as dark wiggles near the surface.
  img.map((x, y, v) => {
    const m = inside.data[y * size + x]!
    if (m < 0.5) return v
    const dx = (x - cx) / rx
    const dy = (y - cy) / ry
    const r = Math.sqrt(dx * dx + dy * dy)
    const cortex = r > 0.8 ? 0.05 : 0
    const sulcus = r > 0.78 && Math.sin(Math.atan2(dy, dx) * 22 + tex[y * size + x]! * 6) > 0.85 ? -0.12 : 0
    return v + cortex + sulcus + (tex[y * size + x]! - 0.5) * 0.06
  })
  // Lateral ventricles: two dark crescents near the midline, converging forwards (frontal horns), the
  // calcified choroid plexus in their atria, and the falx.
  const vs = 0.9 + rand() * 0.4
  img.ellipse(cx - size * 0.045, cy - size * 0.02, size * 0.03 * vs, size * 0.11, -0.28, 1, 0.35)
  img.ellipse(cx + size * 0.045, cy - size * 0.02, size * 0.03 * vs, size * 0.11, -0.28, 1, -0.35)
  const plexus = 0.3 + rand() * 0.25
  img.ellipse(cx - size * 0.085, cy + size * 0.1, size * 0.022, size * 0.018, plexus, 0.8)
  img.ellipse(cx + size * 0.085, cy + size * 0.1, size * 0.022, size * 0.018, plexus, 0.8)
  img.ellipse(cx, cy - ry * 0.55, size * 0.006, ry * 0.35, 0.15, 0.8, tilt)
  if (stroke) {
    const left = rand() < 0.5 ? -1 : 1
    const px = cx + left * rx * (0.35 + rand() * 0.25)
    const py = cy + gaussian(rand) * ry * 0.25
    if (rand() < 0.6) {
      // Ischaemic: a wedge-shaped hypodense territory reaching the cortex.
      const a0 = Math.atan2(py - cy, px - cx)
      img.map((x, y, v) => {
        if (inside.data[y * size + x]! < 0.5) return v
        const a = Math.atan2(y - cy, x - cx)
        const d = Math.hypot((x - cx) / rx, (y - cy) / ry)
        return Math.abs(((a - a0 + 3 * Math.PI) % (2 * Math.PI)) - Math.PI) < 0.35 && d > 0.35 ? v - 0.13 : v
      })
    } else img.ellipse(px, py, size * (0.04 + rand() * 0.04), size * (0.03 + rand() * 0.03), 0.3, 1.5, rand() * 3)
  }
  img.map((_x, _y, v) => v + gaussian(rand) * 0.015)
  return img
}
