// Spearman rank correlation with midranks for ties; the p-value uses the t approximation, which is
// rough for the handful of points a study has (the report says so).
import { tTwoSided } from './distributions.ts'

/** Ranks 1..n, tied values sharing their mean rank. */
export function midranks(xs: readonly number[]): number[] {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]!)
  const ranks = new Array<number>(xs.length)
  let i = 0
  while (i < order.length) {
    let j = i
    while (j + 1 < order.length && xs[order[j + 1]!] === xs[order[i]!]) j++
    for (let t = i; t <= j; t++) ranks[order[t]!] = (i + j) / 2 + 1
    i = j + 1
  }
  return ranks
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length
  const mx = x.reduce((s, v) => s + v, 0) / n
  const my = y.reduce((s, v) => s + v, 0) / n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my)
    sxx += (x[i]! - mx) ** 2
    syy += (y[i]! - my) ** 2
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN
}

/** Spearman's rho and its approximate two-sided p; rho is NaN when either side is constant. */
export function spearman(x: readonly number[], y: readonly number[]): { rho: number; p: number; n: number } {
  if (x.length !== y.length) throw new Error('spearman: both lists need the same length')
  const n = x.length
  if (n < 3) return { rho: NaN, p: NaN, n }
  const rho = pearson(midranks(x), midranks(y))
  if (!Number.isFinite(rho)) return { rho, p: NaN, n }
  const p = Math.abs(rho) >= 1 ? 0 : tTwoSided(rho * Math.sqrt((n - 2) / (1 - rho * rho)), n - 2)
  return { rho, p, n }
}
