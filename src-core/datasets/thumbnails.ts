// Thumbnails and contact sheets from the cache itself (what the engine will see, not the sources).
import { join } from 'node:path'
import sharp from 'sharp'
import type { DatasetRecord } from '../store/datasets.ts'
import { readNpy, readNpyHeader, readNpyRows } from './npy.ts'
import { SPLIT_NAMES } from './splits.ts'

/** One thumbnail. */
export interface Thumbnail {
  /** Label it was picked for. */
  label: string
  /** Cache row. */
  index: number
  /** Split of the row. */
  split: string
  /** PNG as a data URL. */
  dataUrl: string
}

/** Rows (first N per label, in cache order) for the given labels. */
export function pickRows(ds: DatasetRecord, perLabel: number, only?: string): { label: string; index: number; split: string }[] {
  const { data, header } = readNpy(join(ds.dir, 'labels.npy'))
  const L = header.shape[1]!
  const splitOf = new Map<number, string>()
  for (const s of SPLIT_NAMES) for (const i of readNpy(join(ds.dir, `split-${s}.npy`)).data as Uint32Array) splitOf.set(i, s)
  const out: { label: string; index: number; split: string }[] = []
  ds.labelNames.forEach((label, l) => {
    if (only !== undefined && only !== label) return
    let found = 0
    for (let i = 0; i < header.shape[0]! && found < perLabel; i++) {
      // Multi-label sets: show images whose only label is this one where possible, so a sheet row
      // is not dominated by images of another finding.
      if (data[i * L + l] !== 1) continue
      out.push({ label, index: i, split: splitOf.get(i) ?? '' })
      found++
    }
  })
  return out
}

async function rowPng(file: string, index: number, scale: number): Promise<Buffer> {
  const h = readNpyHeader(file)
  const [, H, W, C = 1] = h.shape as [number, number, number, number?]
  const raw = readNpyRows(file, h, index, 1)
  return sharp(raw, { raw: { width: W, height: H, channels: C as 1 | 3 } }).resize(W * scale, H * scale, { kernel: 'nearest' }).png().toBuffer()
}

/** The thumbnail (PNG data URL, about 96 px wide) of one cache row, as the engine sees it. */
export async function rowThumbnail(ds: Pick<DatasetRecord, 'dir' | 'width'>, index: number): Promise<string> {
  const scale = Math.max(1, Math.floor(96 / ds.width))
  return `data:image/png;base64,${(await rowPng(join(ds.dir, 'images.npy'), index, scale)).toString('base64')}`
}

/** PNG data URLs of N images per label. */
export async function thumbnails(ds: DatasetRecord, perLabel: number, label?: string): Promise<Thumbnail[]> {
  const out: Thumbnail[] = []
  for (const r of pickRows(ds, perLabel, label)) out.push({ ...r, dataUrl: await rowThumbnail(ds, r.index) })
  return out
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** One PNG: a row per label with its name, then N images. */
export async function contactSheet(ds: DatasetRecord, perLabel: number): Promise<Buffer> {
  const file = join(ds.dir, 'images.npy')
  const cell = Math.max(ds.width, 64)
  const scale = Math.max(1, Math.floor(cell / ds.width))
  const side = ds.width * scale
  const labelW = 160
  const rows = pickRows(ds, perLabel)
  const labels = ds.labelNames.filter((l) => rows.some((r) => r.label === l))
  const width = labelW + perLabel * (side + 4)
  const height = Math.max(1, labels.length) * (side + 4)
  const text = labels.map((l, i) => `<text x="6" y="${i * (side + 4) + side / 2 + 5}" font-family="sans-serif" font-size="13" fill="#ddd">${escapeXml(l)}</text>`).join('')
  const composites: sharp.OverlayOptions[] = [{ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${labelW}" height="${height}">${text}</svg>`), left: 0, top: 0 }]
  for (const [li, l] of labels.entries()) {
    const mine = rows.filter((r) => r.label === l)
    for (const [k, r] of mine.entries()) composites.push({ input: await rowPng(file, r.index, scale), left: labelW + k * (side + 4), top: li * (side + 4) })
  }
  return sharp({ create: { width, height, channels: 3, background: { r: 24, g: 24, b: 28 } } }).composite(composites).png().toBuffer()
}
