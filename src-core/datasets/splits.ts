// Train/val/test splits. Where a source has patients, a patient's images all go to one split
// (whatever decided the split); otherwise each image is its own group. Seeded, and stratified as
// far as grouping allows: groups are dealt per stratum to the split furthest below its share.
import { mulberry32, shuffle } from '../util/rng.ts'

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

/**
 * Assigns a split to every item. Items whose group has a fixed split keep it. The other groups are
 * shuffled (seeded), taken largest first, and each goes to the split that most needs its strata:
 * the score weighs each stratum's shortfall against its target by the group's count in that
 * stratum, relative to the stratum's size, so rare strata are spread first.
 */
export function assignSplits(items: readonly SplitItem[], fractions: SplitFractions, seed: number): SplitName[] {
  const groups = new Map<string, { items: number[]; strata: Map<string, number>; fixed: SplitName | null }>()
  const stratumTotal = new Map<string, number>()
  items.forEach((it, i) => {
    const key = String(it.group)
    let g = groups.get(key)
    if (!g) groups.set(key, (g = { items: [], strata: new Map(), fixed: null }))
    g.items.push(i)
    const s = String(it.stratum)
    g.strata.set(s, (g.strata.get(s) ?? 0) + 1)
    if (it.fixed) g.fixed = it.fixed
  })
  const out: SplitName[] = new Array(items.length)
  const free: string[] = []
  for (const [key, g] of groups) {
    if (g.fixed) for (const i of g.items) out[i] = g.fixed
    else {
      free.push(key)
      for (const [s, n] of g.strata) stratumTotal.set(s, (stratumTotal.get(s) ?? 0) + n)
    }
  }
  const rand = mulberry32(seed)
  const order = shuffle(free.sort(), rand).sort((a, b) => groups.get(b)!.items.length - groups.get(a)!.items.length)
  const names = SPLIT_NAMES.filter((n) => fractions[n] > 0)
  const have = new Map<string, number>()
  const got = (s: SplitName, st: string) => have.get(`${s}\t${st}`) ?? 0
  const totalFree = order.reduce((a, k) => a + groups.get(k)!.items.length, 0)
  const size: Record<SplitName, number> = { train: 0, val: 0, test: 0 }
  for (const key of order) {
    const g = groups.get(key)!
    let best = names[0]!
    let bestScore = -Infinity
    for (const n of names) {
      let score = 0
      for (const [st, c] of g.strata) score += (c * (fractions[n] * stratumTotal.get(st)! - got(n, st))) / stratumTotal.get(st)!
      // The overall size breaks near-ties, so splits also match their fractions in images.
      score += (1e-3 * (fractions[n] * totalFree - size[n])) / Math.max(1, totalFree)
      if (score > bestScore + 1e-12) {
        bestScore = score
        best = n
      }
    }
    size[best] += g.items.length
    for (const [st, c] of g.strata) have.set(`${best}\t${st}`, got(best, st) + c)
    for (const i of g.items) out[i] = best
  }
  return out
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
