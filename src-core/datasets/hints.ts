// Import hints: where the defaults are likely wrong for this data, say so in the report before
// anyone trains on it (they do not stop the import).
import { extname } from 'node:path'
import sharp from 'sharp'
import type { ImportPlan } from './plan.ts'

/** Shape ratio (long side / short side) above which a centre crop loses much of each image. */
const TALL_RATIO = 1.4
const SAMPLE = 24

/** Warnings for the plan as it will be imported (after any --resize override). */
export async function importHints(plan: ImportPlan): Promise<string[]> {
  const out: string[] = []
  if (!plan.multiLabel) {
    const counts = new Map<number, number>()
    for (const it of plan.items) counts.set(it.labels[0]!, (counts.get(it.labels[0]!) ?? 0) + 1)
    const single = plan.labelNames.filter((_, i) => counts.get(i) === 1)
    if (single.length) {
      out.push(`${single.length} class folder(s) hold a single image (${single.slice(0, 5).map((c) => `"${c}"`).join(', ')}${single.length > 5 ? ', ...' : ''}): such a class can be in only one split, so it cannot be both trained on and tested. Fine for pretraining; for a downstream task, add images or merge the classes.`)
    }
  }
  if (plan.policy === 'shorter-side-center-crop') {
    const ratio = await medianShapeRatio(plan)
    if (ratio !== null && ratio >= TALL_RATIO) {
      const lost = Math.round(100 * (1 - 1 / ratio))
      out.push(`The images are about ${ratio.toFixed(1)} times as long as they are wide, so the centre crop cuts away about ${lost}% of each. If what matters may lie near the ends, import with --resize pad (pad to square) instead.`)
    }
  }
  return out
}

/** Median long/short side ratio of up to 24 evenly spaced images sharp can read, or null. */
async function medianShapeRatio(plan: ImportPlan): Promise<number | null> {
  const readable = plan.items.filter((it) => !['.pgm', '.dcm', '.dicom'].includes(extname(it.file).toLowerCase()))
  const step = Math.max(1, Math.floor(readable.length / SAMPLE))
  const ratios: number[] = []
  for (let i = 0; i < readable.length && ratios.length < SAMPLE; i += step) {
    try {
      const m = await sharp(readable[i]!.file).metadata()
      if (m.width && m.height) ratios.push(Math.max(m.width, m.height) / Math.min(m.width, m.height))
    } catch {
      // Unreadable files are reported by the decode phase.
    }
  }
  if (!ratios.length) return null
  ratios.sort((a, b) => a - b)
  return ratios[Math.floor(ratios.length / 2)]!
}
