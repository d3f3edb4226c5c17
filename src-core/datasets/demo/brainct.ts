// Demo head CT slices as class folders Normal/ and Stroke/: skull ring, brain with grey/white
// texture, ventricles, sulci; stroke = a hypodense wedge (ischaemic) or a hyperdense blob (bleed).
// Shown as radiology displays an axial slice, anterior up: the head is egg-shaped (narrower at the
// forehead, wider at the back), the frontal horns of the lateral ventricles point forward, and the
// choroid plexus in their atria is calcified (two bright dots behind the ventricles, as in most adult
// heads). Why: with a symmetric oval the rotation pretext task could only tell the axis (0 and 180
// degrees apart from 90 and 270; validation accuracy 0.51 after 96 steps), not which end is front.
//
// As slices of real head CT volumes are, they vary: the head sits off centre and turned in the
// gantry (about 10 degrees), heads differ in size, and the slice lies anywhere from the ventricles'
// bodies up to the vertex, where the section is small and nearly round, the ventricles and the
// plexus are gone and the egg shape fades. Why: every slice one way up with its ventricles gave the
// rotation and structure tasks away (both at validation accuracy 1.000 after 96 steps); the high
// slices leave each task a share of images it cannot tell, as real volumes do.
import { gaussian, mulberry32 } from '../../util/rng.ts'
import { fractalNoise, Raster } from './raster.ts'

export const BRAIN_CLASSES = ['Normal', 'Stroke'] as const

export function drawBrainCt(size: number, stroke: boolean, seed: number): Raster {
  const rand = mulberry32(seed)
  const img = new Raster(size, size, 0)
  const cx = size * (0.5 + gaussian(rand) * 0.04)
  const cy = size * (0.5 + gaussian(rand) * 0.04)
  // Slice level: 0 at the bodies of the lateral ventricles, 1 at the vertex; the section shrinks
  // towards the top of the skull (a sphere cut at height 0.8 * level of its radius).
  const level = rand()
  const section = Math.sqrt(1 - (0.8 * level) ** 2) * (0.9 + rand() * 0.15)
  const rx = size * (0.33 + rand() * 0.04) * section
  const ry = size * (0.4 + rand() * 0.04) * section * (1 - 0.1 * level)
  const tilt = 0
  const egg = (0.1 + rand() * 0.08) * (1 - 0.7 * level)
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
  // Lateral ventricles: two dark crescents near the midline, converging forwards (frontal horns),
  // shrinking with the level and gone above its middle; the calcified choroid plexus in their atria
  // (low slices only, and calcified in four heads of five); and the falx, at every level, front and back.
  const vs = 0.9 + rand() * 0.4
  const ventricles = Math.max(0, 1 - level / 0.55)
  if (ventricles > 0) {
    const vl = 0.4 + 0.6 * ventricles
    img.ellipse(cx - size * 0.045 * section, cy - size * 0.02, size * 0.03 * vs * vl, size * 0.11 * vl, -0.28, 1, 0.35)
    img.ellipse(cx + size * 0.045 * section, cy - size * 0.02, size * 0.03 * vs * vl, size * 0.11 * vl, -0.28, 1, -0.35)
  }
  const plexus = 0.3 + rand() * 0.25
  if (level < 0.3 && rand() < 0.8) {
    img.ellipse(cx - size * 0.085, cy + size * 0.1, size * 0.022, size * 0.018, plexus, 0.8)
    img.ellipse(cx + size * 0.085, cy + size * 0.1, size * 0.022, size * 0.018, plexus, 0.8)
  }
  // The falx runs front to back in the midline, seen in front of and behind the ventricles.
  img.ellipse(cx, cy - ry * 0.6, size * 0.006, ry * 0.3, 0.15, 0.8, tilt)
  img.ellipse(cx, cy + ry * 0.6, size * 0.006, ry * 0.3, 0.15, 0.8, tilt)
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
  // The head as positioned in the gantry: turned in-plane about its centre.
  img.rotate(cx, cy, gaussian(rand) * 0.18)
  img.map((_x, _y, v) => v + gaussian(rand) * 0.015)
  return img
}
