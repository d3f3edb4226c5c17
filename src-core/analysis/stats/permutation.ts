// Exact permutation tests for rank correlations over the handful of units a study has, where the
// t approximation of Spearman's p is unreliable. The null is exchangeability of x across units,
// optionally only within strata (e.g. within each pretraining dataset, so a dataset-level effect
// shared by x and y cannot pass as an association of x with y).
import { mulberry32 } from '../../util/rng.ts'
import { midranks, spearman } from './spearman.ts'

const permutationCache = new Map<number, number[][]>()

/** All permutations of 0..n-1 (Heap's algorithm), cached by n; n <= 7 keeps this at most 5040. */
function permutations(n: number): number[][] {
  const hit = permutationCache.get(n)
  if (hit) return hit
  const out = heap(n)
  permutationCache.set(n, out)
  return out
}

function heap(n: number): number[][] {
  const a = Array.from({ length: n }, (_, i) => i)
  const out: number[][] = [[...a]]
  const c = new Array<number>(n).fill(0)
  let i = 0
  while (i < n) {
    if (c[i]! < i) {
      const j = i % 2 === 0 ? 0 : c[i]!
      ;[a[j], a[i]] = [a[i]!, a[j]!]
      out.push([...a])
      c[i]!++
      i = 0
    } else {
      c[i] = 0
      i++
    }
  }
  return out
}

/** Largest number of rearrangements enumerated exactly (7!); beyond it a seeded Monte Carlo sample is used. */
export const EXACT_LIMIT = 5_040
const MONTE_CARLO = 4_000

/**
 * Spearman's rho with a two-sided permutation p: the share of rearrangements of x (within
 * `strata` when given) whose |rho| reaches the observed one (observed included, so p > 0).
 * `minP` is the smallest p the design can give: when it is at least alpha, no data can be significant.
 */
export function spearmanPermutation(x: readonly number[], y: readonly number[], strata?: readonly (string | number)[]): { rho: number; p: number; n: number; minP: number; exact: boolean } {
  const n = x.length
  const { rho } = spearman(x, y)
  if (!Number.isFinite(rho)) return { rho, p: NaN, n, minP: NaN, exact: true }
  const groups = new Map<string | number, number[]>()
  ;(strata ?? x.map(() => 0)).forEach((g, i) => groups.set(g, [...(groups.get(g) ?? []), i]))
  const blocks = [...groups.values()]
  const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1))
  const total = blocks.reduce((acc, b) => acc * fact(b.length), 1)
  const obs = Math.abs(rho) - 1e-12
  // Ranks are computed once: rearranging x rearranges its ranks, so each rho is one dot product.
  const centred = (v: number[]) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length
    return v.map((r) => r - m)
  }
  const rx = centred(midranks(x))
  const ry = centred(midranks(y))
  const norm = Math.sqrt(rx.reduce((a, r) => a + r * r, 0) * ry.reduce((a, r) => a + r * r, 0))
  let hits = 0
  let count = 0
  const score = (perm: number[]) => {
    let dot = 0
    for (let i = 0; i < n; i++) dot += rx[perm[i]!]! * ry[i]!
    count++
    if (Math.abs(dot / norm) >= obs) hits++
  }
  if (total <= EXACT_LIMIT && blocks.every((b) => b.length <= 7)) {
    const perBlock = blocks.map((b) => permutations(b.length).map((p) => p.map((j) => b[j]!)))
    const rec = (bi: number, acc: number[]) => {
      if (bi === blocks.length) return score(acc)
      for (const p of perBlock[bi]!) {
        const next = [...acc]
        blocks[bi]!.forEach((pos, j) => (next[pos] = p[j]!))
        rec(bi + 1, next)
      }
    }
    rec(0, Array.from({ length: n }, (_, i) => i))
    // Rearrangements that keep |rho| maximal: at least the identity and its mirror when one exists.
    return { rho, p: hits / count, n, minP: minimalP(total, blocks.length), exact: true }
  }
  const rand = mulberry32(987_654)
  const perm = Array.from({ length: n }, (_, i) => i)
  for (let t = 0; t < MONTE_CARLO; t++) {
    // In-place Fisher-Yates within each block: a uniform rearrangement of the block's positions.
    for (const b of blocks) {
      for (let i = b.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1))
        const tmp = perm[b[i]!]!
        perm[b[i]!] = perm[b[j]!]!
        perm[b[j]!] = tmp
      }
    }
    score(perm)
  }
  return { rho, p: (hits + 1) / (count + 1), n, minP: 1 / (MONTE_CARLO + 1), exact: false }
}

/** The smallest two-sided p an unstratified exact test over n! rearrangements can give (the identity and its reverse). */
function minimalP(total: number, blocks: number): number {
  return (blocks === 1 ? 2 : 1) / total
}
