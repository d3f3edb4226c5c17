// The small cache files next to images.npy: labels, patients, splits, meta.json with checksums and
// the train-split mean/std (docs/architecture.md "Dataset cache", format version 1).
import { createHash } from 'node:crypto'
import { createReadStream, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readNpyHeader, readNpyRows, writeNpy } from './npy.ts'
import type { SplitName } from './splits.ts'

export const CACHE_FORMAT_VERSION = 1

/** Per-channel mean and std of pixel values scaled to [0,1], over the given rows. */
export function channelStats(imagesFile: string, rows: readonly number[]): { mean: number[]; std: number[] } {
  const header = readNpyHeader(imagesFile)
  const channels = header.shape.length === 4 ? header.shape[3]! : 1
  const sum = new Float64Array(channels)
  const sq = new Float64Array(channels)
  let count = 0
  // Rows are read in runs of consecutive indices so a large cache is streamed, not loaded.
  for (let i = 0; i < rows.length; ) {
    let j = i + 1
    while (j < rows.length && rows[j] === rows[j - 1]! + 1 && j - i < 256) j++
    const buf = readNpyRows(imagesFile, header, rows[i]!, j - i)
    for (let k = 0; k < buf.length; k++) {
      const v = buf[k]! / 255
      sum[k % channels]! += v
      sq[k % channels]! += v * v
    }
    count += buf.length / channels
    i = j
  }
  const mean = [...sum].map((s) => (count ? s / count : 0))
  const std = [...sq].map((s, c) => (count ? Math.sqrt(Math.max(0, s / count - mean[c]! ** 2)) : 0))
  return { mean, std }
}

/** sha256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer)
  return h.digest('hex')
}

/** Everything the small files need. */
export interface SmallFiles {
  /** Multi-hot label rows, one per cache row. */
  labels: number[][]
  /** Number of label columns. */
  labelCount: number
  /** Patient per row, or null when the source has none. */
  patients: number[] | null
  /** Split of each row. */
  splits: SplitName[]
}

/** Writes labels.npy, patients.npy and split-*.npy; returns rows per split. */
export function writeSmallFiles(dir: string, f: SmallFiles): Record<SplitName, number[]> {
  const n = f.labels.length
  const labels = new Uint8Array(n * f.labelCount)
  f.labels.forEach((ls, i) => ls.forEach((l) => (labels[i * f.labelCount + l] = 1)))
  writeNpy(join(dir, 'labels.npy'), 'u1', [n, f.labelCount], labels)
  if (f.patients) writeNpy(join(dir, 'patients.npy'), 'i8', [n], BigInt64Array.from(f.patients.map((p) => BigInt(p))))
  const bySplit: Record<SplitName, number[]> = { train: [], val: [], test: [] }
  f.splits.forEach((s, i) => bySplit[s].push(i))
  for (const [name, idx] of Object.entries(bySplit)) writeNpy(join(dir, `split-${name}.npy`), 'u4', [idx.length], Uint32Array.from(idx))
  return bySplit
}

/** meta.json content. */
export interface CacheMeta {
  /** Cache format version (1). */
  format_version: number
  /** Dataset id. */
  id: string
  /** Dataset name. */
  name: string
  /** Importer kind. */
  kind: string
  /** Source folder. */
  source: string
  /** Rows. */
  n: number
  /** Image height. */
  height: number
  /** Image width. */
  width: number
  /** 1 grey, 3 colour. */
  channels: number
  /** labels.npy columns. */
  label_names: string[]
  /** Several labels per image possible. */
  multi_label: boolean
  /** Per-channel mean in [0,1] over the train split. */
  mean: number[]
  /** Per-channel std in [0,1] over the train split. */
  std: number[]
  /** Rows per split. */
  splits: Record<string, number>
  /** How images were made square. */
  resize_policy: string
  /** Where the split came from. */
  split_source: string
  /** Mammograms mirrored to face one way. */
  laterality_flip: boolean
  /** Revision of the `crop-foreground` cut (datasets/cache-health.ts CROP_REVISION); only with that policy. */
  crop_revision?: number
  /** sha256 per cache file. */
  checksums: Record<string, string>
  /** ISO time. */
  created_at: string
}

export async function writeMeta(dir: string, meta: Omit<CacheMeta, 'checksums' | 'format_version' | 'created_at'>, files: string[]): Promise<CacheMeta> {
  const checksums: Record<string, string> = {}
  for (const f of files) checksums[f] = await sha256File(join(dir, f))
  const full: CacheMeta = { format_version: CACHE_FORMAT_VERSION, ...meta, checksums, created_at: new Date().toISOString() }
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(full, null, 2) + '\n')
  return full
}
