// What a verdict found, in words with its sign: "better (+0.031)", "worse (−0.092)", "no evidence
// (−0.012)". A rule "claimed" only says its test survived the correction; which way it went is in the
// estimate, so a significant loss reads "worse", never as a success.
import type { StudyAnalysisView } from '../api/shapes.ts'

/** One verdict of the study. */
type Verdict = StudyAnalysisView['verdicts'][number]

/** Rules whose estimate is a difference "this minus its baseline" (positive = better). */
const DIRECTIONAL = new Set(['h2-fusion', 'beats-scratch', 'beats-random-init'])

/** A number with an explicit sign and a real minus: +0.031, −0.092. */
export function signed(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  const t = Math.abs(v).toFixed(digits)
  return Number(t) === 0 ? t : `${v > 0 ? '+' : '−'}${t}`
}

/** The word for a verdict: better / worse / no evidence / not testable, or for H1's undirected tests "effect" and a correlation's sign. */
export function verdictWord(v: Pick<Verdict, 'rule' | 'outcome' | 'estimate' | 'lo' | 'hi'>): 'better' | 'worse' | 'no evidence' | 'not testable' | 'effect' | 'rises with it' | 'falls with it' {
  if (v.outcome === 'not testable') return 'not testable'
  if (v.outcome !== 'claimed') return 'no evidence'
  const e = v.estimate
  if (DIRECTIONAL.has(v.rule)) {
    if (typeof e === 'number' && e < 0) return 'worse'
    if (typeof e === 'number' && e > 0) return 'better'
    if (typeof v.hi === 'number' && v.hi < 0) return 'worse'
    if (typeof v.lo === 'number' && v.lo > 0) return 'better'
    return 'no evidence'
  }
  if (v.rule === 'h1-similarity' && typeof e === 'number' && e !== 0) return e > 0 ? 'rises with it' : 'falls with it'
  return 'effect'
}

/** The verdict cell's text: the word and the signed estimate. */
export function verdictText(v: Pick<Verdict, 'rule' | 'outcome' | 'estimate' | 'lo' | 'hi'>): string {
  return `${verdictWord(v)} (${signed(v.estimate)})`
}

/** A CSS class for the row: better / worse / nothing. */
export function verdictClass(v: Pick<Verdict, 'rule' | 'outcome' | 'estimate' | 'lo' | 'hi'>): string {
  const w = verdictWord(v)
  return w === 'better' ? 'better' : w === 'worse' ? 'worse' : ''
}

/**
 * A paired difference's verdict after a correction, with its sign: "worse (−0.092)". With one seed
 * (`seeds` < 2) a comparison of two trained models has no verdict: the training noise is unmeasured
 * (the analysis's "not testable"), so the cell says so and keeps the signed estimate.
 */
export function differenceText(verdict: string, estimate: number | null | undefined, survives = true, seeds?: number): string {
  if (seeds !== undefined && seeds < 2) return `not testable, 1 seed (${signed(estimate)})`
  const w = survives ? verdict : 'no evidence'
  return `${w} (${signed(estimate)})`
}
