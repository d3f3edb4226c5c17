// Two-way ANOVA of a metric over pretext task (A) and pretraining dataset (B), seeds as replicates,
// for a balanced design (every cell the same seeds). Effect sizes are eta squared (SS / SS total).
// With one seed per cell there is no within-cell variation: the interaction is then the error term
// and cannot be told apart from noise, which the result says in `note`.
import { fSurvival } from './distributions.ts'

/** One observation: the levels of both factors and the response. */
export interface AnovaObservation {
  /** Level of factor A (pretext task). */
  a: string
  /** Level of factor B (pretraining dataset). */
  b: string
  /** Response (a test metric). */
  y: number
}

/** One line of the ANOVA table. */
export interface AnovaRow {
  /** `A`, `B`, `A x B` or `error` (and `total`). */
  source: string
  /** Sum of squares. */
  ss: number
  /** Degrees of freedom. */
  df: number
  /** Mean square (null for total, or where df is 0). */
  ms: number | null
  /** F statistic against the error mean square (null where it cannot be formed). */
  f: number | null
  /** P(F > f) (null where F is null). */
  p: number | null
  /** Eta squared: this source's share of the total sum of squares. */
  etaSq: number | null
}

/** An ANOVA table with what it could and could not separate. */
export interface AnovaResult {
  /** Rows: A, B, A x B (only with replicates), error, total. */
  rows: AnovaRow[]
  /** Replicates per cell. */
  replicates: number
  /** Whether the interaction has its own row (needs two or more replicates). */
  interactionSeparated: boolean
  /** Plain-language remark on the design's limits (empty when none). */
  note: string
}

/**
 * Balanced two-way ANOVA. Throws when cells differ in size or a cell is missing: the caller keeps
 * only the seeds every cell has, so this is a programming error, not a user one.
 */
export function twoWayAnova(obs: readonly AnovaObservation[], names: { a: string; b: string } = { a: 'A', b: 'B' }): AnovaResult {
  const aLevels = [...new Set(obs.map((o) => o.a))]
  const bLevels = [...new Set(obs.map((o) => o.b))]
  const cells = new Map<string, number[]>()
  for (const o of obs) {
    const k = `${o.a}\u0000${o.b}`
    cells.set(k, [...(cells.get(k) ?? []), o.y])
  }
  const na = aLevels.length
  const nb = bLevels.length
  const n = cells.values().next().value?.length ?? 0
  if (cells.size !== na * nb || [...cells.values()].some((c) => c.length !== n) || n === 0) {
    throw new Error('The ANOVA needs a balanced design: every combination of the two factors with the same number of replicates.')
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length
  const grand = mean(obs.map((o) => o.y))
  const cellMean = (a: string, b: string) => mean(cells.get(`${a}\u0000${b}`)!)
  const aMean = new Map(aLevels.map((a) => [a, mean(bLevels.map((b) => cellMean(a, b)))]))
  const bMean = new Map(bLevels.map((b) => [b, mean(aLevels.map((a) => cellMean(a, b)))]))
  const ssA = nb * n * aLevels.reduce((s, a) => s + (aMean.get(a)! - grand) ** 2, 0)
  const ssB = na * n * bLevels.reduce((s, b) => s + (bMean.get(b)! - grand) ** 2, 0)
  let ssAB = 0
  let ssWithin = 0
  for (const a of aLevels) {
    for (const b of bLevels) {
      const m = cellMean(a, b)
      ssAB += n * (m - aMean.get(a)! - bMean.get(b)! + grand) ** 2
      for (const y of cells.get(`${a}\u0000${b}`)!) ssWithin += (y - m) ** 2
    }
  }
  const ssTotal = obs.reduce((s, o) => s + (o.y - grand) ** 2, 0)
  const dfA = na - 1
  const dfB = nb - 1
  const dfAB = (na - 1) * (nb - 1)
  const separated = n >= 2
  // Without replicates the residual of the additive model (the interaction) is the only error there is.
  const ssErr = separated ? ssWithin : ssAB
  const dfErr = separated ? na * nb * (n - 1) : dfAB
  const msErr = dfErr > 0 ? ssErr / dfErr : null
  const eta = (ss: number) => (ssTotal > 0 ? ss / ssTotal : null)
  const row = (source: string, ss: number, df: number): AnovaRow => {
    const ms = df > 0 ? ss / df : null
    const f = ms !== null && msErr !== null && msErr > 0 ? ms / msErr : null
    return { source, ss, df, ms, f, p: f === null ? null : fSurvival(f, df, dfErr), etaSq: eta(ss) }
  }
  const rows = [row(names.a, ssA, dfA), row(names.b, ssB, dfB)]
  if (separated) rows.push(row(`${names.a} x ${names.b}`, ssAB, dfAB))
  rows.push({ source: separated ? 'error (seeds)' : 'error (= interaction)', ss: ssErr, df: dfErr, ms: msErr, f: null, p: null, etaSq: eta(ssErr) })
  rows.push({ source: 'total', ss: ssTotal, df: na * nb * n - 1, ms: null, f: null, p: null, etaSq: ssTotal > 0 ? 1 : null })
  const notes: string[] = []
  if (!separated) notes.push(`With one seed per cell the ${names.a} x ${names.b} interaction cannot be separated from error; it is used as the error term, so F tests assume no interaction.`)
  if (dfErr === 0) notes.push('There are no degrees of freedom left for error, so no F test is possible.')
  return { rows, replicates: n, interactionSeparated: separated, note: notes.join(' ') }
}
