// Demo chest radiographs in the ChestX-ray14 layout (Data_Entry_2017.csv + images/): ribs, lung
// fields, heart, spine, clavicles; patients with several follow-ups; about 54% No Finding and rare
// Pneumonia; each finding drawn its own way (lobar opacity for pneumonia, round spots for nodules
// and masses, a basal meniscus for effusion, a wide heart for cardiomegaly, ...).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gaussian, mulberry32 } from '../../util/rng.ts'
import { fractalNoise, imageSeed, pool, Raster } from './raster.ts'

/** Findings and their relative frequency among abnormal images (ChestX-ray14-like, Pneumonia rare). */
const FINDINGS: [string, number][] = [
  ['Infiltration', 19.9], ['Effusion', 13.3], ['Atelectasis', 11.6], ['Nodule', 6.3], ['Mass', 5.8], ['Pneumothorax', 5.3],
  ['Consolidation', 4.7], ['Pleural_Thickening', 3.4], ['Cardiomegaly', 2.8], ['Emphysema', 2.5], ['Edema', 2.3],
  ['Fibrosis', 1.7], ['Pneumonia', 4.5], ['Hernia', 0.4],
]

interface Anatomy {
  cx: number
  cy: number
  scale: number
  lungW: number
  heart: number
  contrast: number
  bright: number
}

/** One generated image's metadata. */
export interface ChestDemoRow {
  /** File name. */
  image: string
  /** Labels (or ['No Finding']). */
  labels: string[]
  /** Patient id (1-based). */
  patient: number
  /** Follow-up number. */
  followUp: number
  /** PA or AP. */
  view: string
}

function pickFinding(rand: () => number): string {
  const total = FINDINGS.reduce((a, [, w]) => a + w, 0)
  let r = rand() * total
  for (const [f, w] of FINDINGS) if ((r -= w) <= 0) return f
  return FINDINGS[0]![0]
}

/** Decides patients, follow-ups and labels (cheap; pixels come later). */
export function planChestRows(count: number, seed: number): ChestDemoRow[] {
  const rand = mulberry32(seed ^ 0xc4e57)
  const rows: ChestDemoRow[] = []
  let patient = 0
  while (rows.length < count) {
    patient++
    const images = Math.min(count - rows.length, 1 + Math.floor(-Math.log(Math.max(1e-9, rand())) * 3))
    // Patients lean healthy or sick, as in the real table where findings recur across follow-ups.
    const healthy = rand() < 0.5
    const usual = [pickFinding(rand), pickFinding(rand)]
    for (let f = 0; f < images; f++) {
      const pNormal = healthy ? 0.86 : 0.19
      let labels: string[]
      if (rand() < pNormal) labels = ['No Finding']
      else {
        const set = new Set<string>([rand() < 0.6 ? usual[0]! : pickFinding(rand)])
        if (rand() < 0.3) set.add(rand() < 0.5 ? usual[1]! : pickFinding(rand))
        if (rand() < 0.08) set.add(pickFinding(rand))
        labels = [...set].sort()
      }
      rows.push({ image: `${String(patient).padStart(8, '0')}_${String(f).padStart(3, '0')}.png`, labels, patient, followUp: f, view: rand() < 0.6 ? 'PA' : 'AP' })
    }
  }
  return rows
}

/** Draws one chest radiograph. */
export function drawChest(size: number, labels: readonly string[], patientSeed: number, imageSeedValue: number): Raster {
  const pr = mulberry32(patientSeed)
  const a: Anatomy = { cx: 0.5 + gaussian(pr) * 0.015, cy: 0.52 + gaussian(pr) * 0.015, scale: 0.95 + pr() * 0.1, lungW: 0.17 + pr() * 0.03, heart: 0.13 + pr() * 0.02, contrast: 0.9 + pr() * 0.2, bright: gaussian(pr) * 0.03 }
  const rand = mulberry32(imageSeedValue)
  const S = size * a.scale
  const cx = size * (a.cx + gaussian(rand) * 0.01)
  const cy = size * (a.cy + gaussian(rand) * 0.01)
  const img = new Raster(size, size, 0.05)
  // Body and soft tissue.
  img.ellipse(cx, cy + 0.05 * S, 0.46 * S, 0.52 * S, 0.32, 0.04 * S)
  // Lung fields (dark) inside the thorax.
  const lung = new Raster(size, size, 0)
  const lx = cx - 0.19 * S
  const rx = cx + 0.19 * S
  const ly = cy - 0.02 * S
  lung.ellipse(lx, ly, a.lungW * S, 0.3 * S, 1, 0.03 * S, 0.06)
  lung.ellipse(rx, ly, a.lungW * S, 0.3 * S, 1, 0.03 * S, -0.06)
  const emphysema = labels.includes('Emphysema')
  const pneumothorax = labels.includes('Pneumothorax')
  for (let i = 0; i < img.data.length; i++) img.data[i]! -= lung.data[i]! * (emphysema ? 0.36 : 0.27)
  // Ribs: curved bright bands over the lungs, the posterior arcs of a PA film.
  const ribs = new Raster(size, size, 0)
  ribs.map((x, y) => {
    const dx = (x - cx) / S
    const yy = (y - (cy - 0.3 * S)) / S - 0.55 * dx * dx
    const phase = (yy / 0.062) * Math.PI * 2
    return yy > 0 && yy < 0.62 ? Math.max(0, Math.sin(phase)) ** 3 : 0
  })
  const ptx = pneumothorax ? (rand() < 0.5 ? lx : rx) : 0
  for (let i = 0; i < img.data.length; i++) {
    const x = i % size
    const y = Math.floor(i / size)
    // A pneumothorax: the lateral part of one lung without lung markings (no ribs' soft shadow, darker).
    const collapsed = pneumothorax && lung.data[i]! > 0.5 && Math.abs(x - ptx) > 0.05 * S && Math.sign(x - ptx) === Math.sign(ptx - cx) && y < cy + 0.05 * S
    img.data[i]! += ribs.data[i]! * lung.data[i]! * (collapsed ? 0 : 0.11) - (collapsed ? 0.08 * lung.data[i]! : 0)
  }
  // Spine and mediastinum.
  img.ellipse(cx, cy, 0.05 * S, 0.55 * S, 0.16, 0.02 * S)
  for (let k = 0; k < 12; k++) img.ellipse(cx, cy - 0.45 * S + k * 0.08 * S, 0.045 * S, 0.028 * S, 0.06, 0.01 * S)
  // Heart (image right, the patient's left), wider with cardiomegaly.
  const hw = (labels.includes('Cardiomegaly') ? 1.65 : 1) * a.heart * S
  img.ellipse(cx + 0.05 * S + hw * 0.3, cy + 0.12 * S, hw, 0.13 * S, 0.28, 0.02 * S, 0.3)
  // Clavicles.
  img.ellipse(cx - 0.2 * S, cy - 0.33 * S, 0.2 * S, 0.018 * S, 0.22, 0.01 * S, -0.25)
  img.ellipse(cx + 0.2 * S, cy - 0.33 * S, 0.2 * S, 0.018 * S, 0.22, 0.01 * S, 0.25)
  // Diaphragm domes.
  img.ellipse(lx, cy + 0.3 * S, 0.17 * S, 0.06 * S, 0.18, 0.02 * S)
  img.ellipse(rx, cy + 0.32 * S, 0.17 * S, 0.06 * S, 0.18, 0.02 * S)

  const side = () => (rand() < 0.5 ? lx : rx)
  const inLung = () => ({ x: side() + gaussian(rand) * 0.06 * S, y: ly + gaussian(rand) * 0.12 * S })
  for (const f of labels) {
    if (f === 'Pneumonia') {
      // Diffuse lobar opacity with an air-space texture: a large, soft, mottled cloud in a lower lobe.
      const x = side()
      const tex = fractalNoise(size, size, 6, 2, rand)
      const cloud = new Raster(size, size, 0)
      cloud.blob(x, ly + 0.1 * S, 0.1 * S, 0.12 * S, 1)
      for (let i = 0; i < img.data.length; i++) img.data[i]! += cloud.data[i]! * (0.1 + 0.12 * tex[i]!)
    } else if (f === 'Consolidation') {
      const p = inLung()
      img.ellipse(p.x, p.y, 0.07 * S, 0.05 * S, 0.2, 0.015 * S)
    } else if (f === 'Nodule') {
      for (let k = 0; k < 1 + Math.floor(rand() * 2); k++) {
        const p = inLung()
        img.ellipse(p.x, p.y, 0.03 * S, 0.03 * S, 0.3, 0.006 * S)
      }
    } else if (f === 'Mass') {
      const p = inLung()
      img.ellipse(p.x, p.y, 0.075 * S, 0.07 * S, 0.3, 0.008 * S)
    } else if (f === 'Effusion') {
      // Fluid at the base: a bright layer with a meniscus, blunting the costophrenic angle.
      const x0 = side()
      img.map((x, y, v) => {
        const top = cy + 0.08 * S - 0.6 * ((x - x0) / S) ** 2 * S * Math.sign(x0 - cx) * Math.sign(x - x0)
        const inside = Math.abs(x - x0) < 0.2 * S
        return inside && y > top ? v + 0.26 * lung.data[y * size + x]! * Math.min(1, (y - top) / (0.03 * S)) : v
      })
    } else if (f === 'Atelectasis') {
      const p = inLung()
      img.ellipse(p.x, p.y, 0.12 * S, 0.018 * S, 0.2, 0.008 * S, gaussian(rand) * 0.3)
    } else if (f === 'Infiltration') {
      for (let k = 0; k < 6; k++) {
        const p = inLung()
        img.blob(p.x, p.y, 0.025 * S, 0.025 * S, 0.12)
      }
    } else if (f === 'Edema') {
      // Bilateral perihilar haze (bat wings).
      img.blob(cx - 0.12 * S, cy, 0.07 * S, 0.12 * S, 0.14)
      img.blob(cx + 0.12 * S, cy, 0.07 * S, 0.12 * S, 0.14)
    } else if (f === 'Fibrosis') {
      const lines = new Raster(size, size, 0)
      lines.map((x, y) => (Math.sin(x * 0.9 + Math.sin(y * 0.4) * 2) > 0.8 ? 1 : 0))
      for (let i = 0; i < img.data.length; i++) img.data[i]! += lines.data[i]! * lung.data[i]! * 0.1
    } else if (f === 'Pleural_Thickening') {
      img.ellipse(side(), ly - 0.2 * S, 0.12 * S, 0.03 * S, 0.16, 0.01 * S)
    } else if (f === 'Hernia') {
      img.ellipse(cx, cy + 0.2 * S, 0.08 * S, 0.06 * S, 0.2, 0.01 * S)
    }
  }
  // Film: contrast, exposure, quantum noise, slight unsharpness.
  const noise = fractalNoise(size, size, 4, 2, rand)
  img.map((x, y, v) => (v - 0.3) * a.contrast + 0.3 + a.bright + (noise[y * size + x]! - 0.5) * 0.05 + gaussian(rand) * 0.015)
  img.blur(size >= 96 ? 1 : 0, 1)
  return img
}

/** Writes `count` images and Data_Entry_2017.csv under `dir`. */
export async function generateChestDemo(dir: string, o: { count: number; size: number; seed: number; onImage?: (done: number) => void }): Promise<ChestDemoRow[]> {
  const rows = planChestRows(o.count, o.seed)
  mkdirSync(join(dir, 'images'), { recursive: true })
  let done = 0
  await pool(rows.length, 4, async (i) => {
    const r = rows[i]!
    const img = drawChest(o.size, r.labels, imageSeed('chest-patient', r.patient, o.seed), imageSeed('chest', i, o.seed))
    writeFileSync(join(dir, 'images', r.image), await img.png())
    o.onImage?.(++done)
  })
  const header = 'Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]'
  const rand = mulberry32(o.seed)
  const lines = rows.map((r) => `${r.image},${r.labels.join('|')},${r.followUp},${r.patient},${30 + Math.floor(rand() * 50)},${rand() < 0.5 ? 'M' : 'F'},${r.view},${o.size},${o.size},0.143,0.143`)
  writeFileSync(join(dir, 'Data_Entry_2017.csv'), [header, ...lines].join('\n') + '\n')
  return rows
}
