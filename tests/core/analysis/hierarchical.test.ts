// Seed-aware intervals and the small-sample tests, against values computed by hand.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { barAxis, barsWithIntervals } from '../../../src-core/analysis/report/svg.ts'
import { hierarchicalIntervals, hierarchicalResamples, seedPairedDifference, tQuantileTwoSided } from '../../../src-core/analysis/stats/hierarchical.ts'
import { partialCorrelation } from '../../../src-core/analysis/stats/partial-correlation.ts'
import { spearmanPermutation } from '../../../src-core/analysis/stats/permutation.ts'
import { resamples } from '../../../src-core/analysis/stats/bootstrap.ts'
import { MEASUREMENTS, RULES } from '../../../src-core/analysis/verdict-rules.ts'

describe('hierarchical bootstrap (seeds, then patients)', () => {
  // Two seeds x two patients (one image each), statistic = mean over the drawn images of
  // y[s][p] = 4 s + 2 p. A replicate is 4 mean(S) + 2 mean(P), S and P each two draws with
  // replacement from {0, 1}: mean(S), mean(P) in {0, 1/2, 1} with probabilities 1/4, 1/2, 1/4,
  // independent. By hand: expectation 4 (1/2) + 2 (1/2) = 3; variance 16 (1/8) + 4 (1/8) = 2.5;
  // P(replicate = 0) = P(both seeds 0 and both patients 0) = 1/16; 2.5% and 97.5% quantiles 0 and 6.
  const y = [
    [0, 2],
    [4, 6],
  ]
  const clusters = [[0], [1]]
  const stat = (s: number, rows: readonly number[]) => ({ m: rows.reduce((a, i) => a + y[s]![i]!, 0) / rows.length })

  it('matches the hand-computed distribution', () => {
    const B = 20_000
    const values: number[] = []
    for (const { seeds, rows } of hierarchicalResamples(2, clusters, { replicates: B, seed: 5, level: 0.95 })) values.push(seeds.reduce((a, s) => a + stat(s, rows).m, 0) / seeds.length)
    const mean = values.reduce((a, b) => a + b, 0) / B
    const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (B - 1)
    // Monte Carlo errors: sd/sqrt(B) = 0.011 for the mean; the share of zeros has sd 0.0017.
    expect(mean).toBeCloseTo(3, 1)
    expect(Math.abs(variance - 2.5)).toBeLessThan(0.1)
    expect(Math.abs(values.filter((v) => v === 0).length / B - 1 / 16)).toBeLessThan(0.006)
    const iv = hierarchicalIntervals(2, 2, clusters, stat, { replicates: B, seed: 5, level: 0.95 })
    expect(iv.m.estimate).toBe(3)
    expect(iv.m.lo).toBe(0)
    expect(iv.m.hi).toBe(6)
  })

  it('is wider than the patient-only bootstrap when seeds disagree, and equals it with one seed', () => {
    // Patients alone see 2 mean(P) + 4 mean(S fixed = {0,1}) = 2 + 2 mean(P): [2, 4], not [0, 6].
    const patientsOnly = hierarchicalIntervals(1, 2, clusters, (_s, rows) => ({ m: (stat(0, rows).m + stat(1, rows).m) / 2 }), { replicates: 5000, seed: 5, level: 0.95 })
    expect([patientsOnly.m.lo, patientsOnly.m.hi]).toEqual([2, 4])
    // One seed: the very same resamples as the patient bootstrap.
    const a = [...hierarchicalResamples(1, [[0, 1], [2], [3]], { replicates: 20, seed: 9, level: 0.95 })].map((r) => r.rows)
    const b = [...resamples([[0, 1], [2], [3]], { replicates: 20, seed: 9, level: 0.95 })]
    expect(a).toEqual(b)
  })
})

describe('paired difference across seeds', () => {
  it('with no test-set variation is the paired t interval over seeds (hand-computed)', () => {
    // Per-seed differences 0.1 and 0.3 whatever the rows: mean 0.2, sample variance 0.02, SE
    // sqrt(0.02 / 2) = 0.1, df 1, t = 2, two-sided p = 1 - (2/pi) atan(2) = 0.29517; t(0.975, 1) = 12.7062.
    const d = [0.1, 0.3]
    const r = seedPairedDifference(2, 4, [[0], [1], [2], [3]], (s) => d[s]!, { replicates: 200, seed: 1, level: 0.95 })
    expect(r.estimate).toBeCloseTo(0.2, 12)
    expect(r.se).toBeCloseTo(0.1, 12)
    expect(r.df).toBeCloseTo(1, 12)
    expect(r.p).toBeCloseTo(1 - (2 / Math.PI) * Math.atan(2), 6)
    expect(tQuantileTwoSided(0.05, 1)).toBeCloseTo(12.7062, 3)
    expect(r.lo).toBeCloseTo(0.2 - 1.27062, 4)
    expect(r.hi).toBeCloseTo(0.2 + 1.27062, 4)
  })

  it('adds the test-set variance, with k - 1 degrees of freedom', () => {
    // Equal per-seed differences (no seed spread): only the patient part is left.
    const clusters = Array.from({ length: 30 }, (_, i) => [i])
    const v = Array.from({ length: 30 }, (_, i) => (i % 2 ? 1 : -1) * 0.5 + 0.1)
    const diff = (_s: number, rows: readonly number[]) => rows.reduce((a, i) => a + v[i]!, 0) / rows.length
    const r = seedPairedDifference(3, 30, clusters, diff, { replicates: 2000, seed: 2, level: 0.95 })
    expect(r.df).toBe(2)
    // The bootstrap SE of a mean of 30 values with sd 0.508 is about 0.5 / sqrt(30) = 0.091.
    expect(r.se).toBeGreaterThan(0.075)
    expect(r.se).toBeLessThan(0.105)
  })
})

describe('small-sample tests', () => {
  it('the exact Spearman permutation p over 3 points can never reach 0.05', () => {
    const r = spearmanPermutation([1, 2, 3], [10, 20, 30])
    expect(r.rho).toBe(1)
    // 2 of the 6 orderings reach |rho| = 1.
    expect(r.p).toBeCloseTo(2 / 6, 12)
    expect(r.minP).toBeCloseTo(1 / 3, 12)
    expect(spearmanPermutation([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]).p).toBeCloseTo(2 / 120, 12)
  })

  it('partial correlation given the dataset, hand-computed', () => {
    // Within-group centred x: [-1, 0, 1] twice; y: group a [1, 3, 2] -> [-1, 1, 0], group b [5, 7, 6] -> [-1, 1, 0].
    // Sxy = 2 (1 + 0 + 0) = 2, Sxx = Syy = 4, r = 0.5; df = 6 - 2 - 1 = 3; t = 0.5 sqrt(3 / 0.75) = 1;
    // two-sided p for t = 1 at 3 df = 0.390999.
    const r = partialCorrelation([1, 2, 3, 11, 12, 13], [1, 3, 2, 5, 7, 6], ['a', 'a', 'a', 'b', 'b', 'b'])
    expect(r.r).toBeCloseTo(0.5, 12)
    expect(r.df).toBe(3)
    expect(r.p).toBeCloseTo(0.390999, 5)
    // A shared group shift alone (x and y both higher in group b) is no partial correlation.
    expect(partialCorrelation([0, 1, 0, 5, 6, 5], [1, 0, 1, 9, 8, 9], ['a', 'a', 'a', 'b', 'b', 'b']).r).toBeCloseTo(-1, 12)
  })
})

describe('interval charts', () => {
  it('widen the axis to the data so a below-chance bar is not drawn over the row labels', () => {
    // Widened down to a labelled tick (step 0.2 for a 0.33..1 range).
    expect(barAxis([0.33, 0.9], 0.4, 1).min).toBeCloseTo(0.2, 12)
    expect(barAxis([0.33, 0.9], 0.4, 1).max).toBe(1)
    expect(barAxis([0.6, 0.9], 0.4, 1)).toEqual({ min: 0.4, max: 1 })
    const svg = barsWithIntervals({ title: 'AUC with 95% CI', items: [{ label: 'binary scratch', value: 0.33, lo: 0.21, hi: 0.45 }, { label: 'linear a', value: 0.8, lo: 0.7, hi: 0.9 }], min: 0.4, max: 1, zero: 0.5 })
    const labelRight = Math.max(...[...svg.matchAll(/<text x="([\d.]+)"[^>]*text-anchor="end"/g)].map((m) => Number(m[1])))
    const starts = [...svg.matchAll(/<(?:rect|line) x1?="([\d.-]+)"/g)].map((m) => Number(m[1]))
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(labelRight)
  })
})

describe('the decision rules', () => {
  it('are written in docs/analysis.md word for word', () => {
    const doc = readFileSync(new URL('../../../docs/analysis.md', import.meta.url), 'utf8').replace(/\s+/g, ' ')
    for (const [rule, text] of Object.entries(RULES)) expect(doc, rule).toContain(text.replace(/\s+/g, ' '))
    for (const text of MEASUREMENTS) expect(doc).toContain(text.replace(/\s+/g, ' '))
  })
})
