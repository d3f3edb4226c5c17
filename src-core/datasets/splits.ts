// Train/val/test splits. Where a source has patients, a patient's images all go to one split
// (whatever decided the split); otherwise each image is its own group. Seeded, and stratified as
// far as grouping allows: groups are dealt per stratum to the split furthest below its share.
import { mulberry32, shuffle } from './rng.ts'

export const SPLIT_NAMES = ['train', 'val', 'test'] as const
export type SplitName = (typeof SPLIT_NAMES)[number]

/** Fractions of images per split; they must sum to 1. */
export interface SplitFractions {
  /** Share of images for training. */
  train: number
  /** Share for validation. */
  val: number
  /** Share for the held-back test set. */
  test: number
}

export const DEFAULT_FRACTIONS: SplitFractions = { train: 0.7, val: 0.1, test: 0.2 }

/** One item to place: its group (patient) and stratum (e.g. the 3-class target). */
export interface SplitItem {
  /** Group key: items with the same key share a split. */
  group: number | string
  /** Stratum key used to balance the splits. */
  stratum: number | string
  /** A split the source already fixed (official lists); null to let the splitter choose. */
  fixed: SplitName | null
}

/** Assigns a split to every item. Items whose group has a fixed split keep it. */
export function assignSplits(items: readonly SplitItem[], fractions: SplitFractions, seed: number): SplitName[] {
  const groups = new Map<string, { items: number[]; strata: Map<string, number>; fixed: SplitName | null }>()
  items.forEach((it, i) => {
    const key = String(it.group)
    let g = groups.get(key)
    if (!g) groups.set(key, (g = { items: [], strata: new Map(), fixed: null }))
    g.items.push(i)
    g.strata.set(String(it.stratum), (g.strata.get(String(it.stratum)) ?? 0) + 1)
    if (it.fixed) g.fixed = it.fixed
  })
  const out: SplitName[] = new Array(items.length)
  const byStratum = new Map<string, string[]>()
  for (const [key, g] of groups) {
    if (g.fixed) {
      for (const i of g.items) out[i] = g.fixed
      continue
    }
    // A group's stratum is its rarest member stratum, so rare classes are spread across splits.
    const s = [...g.strata.keys()].sort((a, b) => (stratumSize(items, a) - stratumSize(items, b)) || a.localeCompare(b))[0]!
    const list = byStratum.get(s) ?? []
    list.push(key)
    byStratum.set(s, list)
  }
  const rand = mulberry32(seed)
  const names = SPLIT_NAMES.filter((n) => fractions[n] > 0)
  for (const s of [...byStratum.keys()].sort()) {
    const keys = shuffle(byStratum.get(s)!.sort(), rand)
    const total = keys.reduce((a, k) => a + groups.get(k)!.items.length, 0)
    const have: Record<SplitName, number> = { train: 0, val: 0, test: 0 }
    for (const k of keys) {
      const g = groups.get(k)!
      // The split furthest below its target share, ties in train/val/test order.
      let best = names[0]!
      let bestGap = -Infinity
      for (const n of names) {
        const gap = fractions[n] * total - have[n]
        if (gap > bestGap + 1e-9) {
          bestGap = gap
          best = n
        }
      }
      have[best] += g.items.length
      for (const i of g.items) out[i] = best
    }
  }
  return out
}

const sizeCache = new WeakMap<readonly SplitItem[], Map<string, number>>()
function stratumSize(items: readonly SplitItem[], s: string): number {
  let m = sizeCache.get(items)
  if (!m) {
    m = new Map()
    for (const it of items) m.set(String(it.stratum), (m.get(String(it.stratum)) ?? 0) + 1)
    sizeCache.set(items, m)
  }
  return m.get(s) ?? 0
}

/** A patient whose images sit in more than one split. */
export interface SplitLeak {
  /** The patient (group) key. */
  group: string
  /** The splits it appears in. */
  splits: SplitName[]
}

/** Finds groups spread over several splits (a split that leaks patients). */
export function findLeaks(groups: readonly (number | string)[], splits: readonly SplitName[]): SplitLeak[] {
  const seen = new Map<string, Set<SplitName>>()
  groups.forEach((g, i) => {
    const key = String(g)
    const set = seen.get(key) ?? new Set()
    set.add(splits[i]!)
    seen.set(key, set)
  })
  return [...seen].filter(([, s]) => s.size > 1).map(([group, s]) => ({ group, splits: [...s] }))
}

/** Parses "0.7,0.1,0.2" or "train=0.7,val=0.1,test=0.2". */
export function parseFractions(text: string): SplitFractions {
  const parts = text.split(',').map((p) => p.trim())
  const f: SplitFractions = { train: 0, val: 0, test: 0 }
  parts.forEach((p, i) => {
    const [k, v] = p.includes('=') ? (p.split('=') as [string, string]) : [SPLIT_NAMES[i] ?? '', p]
    if (!(SPLIT_NAMES as readonly string[]).includes(k)) throw new Error(`Unknown split "${k}" in "${text}": use train, val and test, e.g. --split 0.7,0.1,0.2.`)
    f[k as SplitName] = Number(v)
  })
  validateFractions(f)
  return f
}

export function validateFractions(f: SplitFractions): void {
  const sum = f.train + f.val + f.test
  if (![f.train, f.val, f.test].every((x) => Number.isFinite(x) && x >= 0) || Math.abs(sum - 1) > 1e-6 || f.train <= 0) {
    throw new Error(`Split fractions must be non-negative, give train a share and sum to 1 (got train ${f.train}, val ${f.val}, test ${f.test}).`)
  }
}
