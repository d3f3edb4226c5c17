// The partial correlation of x and y given a grouping factor: both are centred within each group
// and the Pearson correlation of what is left is tested with n - 2 - (groups - 1) degrees of
// freedom (the exact t test of a partial correlation under normal errors; Fisher 1924). Used for
// invariance against performance given the pretraining dataset, so a dataset-level effect shared by
// both (e.g. similarity) cannot pass as an invariance effect.
import { tTwoSided } from './distributions.ts'

/** Partial correlation r of x and y given `groups`, its two-sided p and degrees of freedom. */
export function partialCorrelation(x: readonly number[], y: readonly number[], groups: readonly (string | number)[]): { r: number; p: number; n: number; df: number } {
  const n = x.length
  const levels = [...new Set(groups)]
  const df = n - 2 - (levels.length - 1)
  const centre = (v: readonly number[]) => {
    const sum = new Map<string | number, { s: number; c: number }>()
    groups.forEach((g, i) => {
      const e = sum.get(g) ?? { s: 0, c: 0 }
      e.s += v[i]!
      e.c++
      sum.set(g, e)
    })
    return v.map((vi, i) => vi - sum.get(groups[i]!)!.s / sum.get(groups[i]!)!.c)
  }
  const rx = centre(x)
  const ry = centre(y)
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    sxy += rx[i]! * ry[i]!
    sxx += rx[i]! ** 2
    syy += ry[i]! ** 2
  }
  if (df < 1 || !(sxx > 1e-24) || !(syy > 1e-24)) return { r: NaN, p: NaN, n, df }
  const r = Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)))
  const p = Math.abs(r) >= 1 ? 0 : tTwoSided(r * Math.sqrt(df / (1 - r * r)), df)
  return { r, p, n, df }
}
