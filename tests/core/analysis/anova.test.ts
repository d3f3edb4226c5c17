// Two-way ANOVA against a hand-computed example, and the rank correlation against SciPy.
import { describe, expect, it } from 'vitest'
import { twoWayAnova } from '../../../src-core/analysis/stats/anova.ts'
import { fSurvival } from '../../../src-core/analysis/stats/distributions.ts'
import { midranks, spearman } from '../../../src-core/analysis/stats/spearman.ts'

// Pretext A1/A2 x dataset B1/B2/B3, two seeds per cell:
//        B1     B2      B3
//   A1   4, 6   8, 10   3, 5      cell means 5, 9, 4     A1 mean 6
//   A2   2, 4   5, 5    4, 2      cell means 3, 5, 3     A2 mean 11/3
// grand mean 58/12; B means 4, 7, 3.5.
// SS_A = 3*2*((6-58/12)^2 + (11/3-58/12)^2) = 16.3333
// SS_B = 2*2*((4-58/12)^2 + (7-58/12)^2 + (3.5-58/12)^2) = 28.6667
// SS_within = 2+2+2+2+0+2 = 10;  SS_total = 340 - 58^2/12 = 59.6667;  SS_AB = 59.6667-16.3333-28.6667-10 = 4.6667
// df 1, 2, 2, 6;  MS_E = 10/6;  F_A = 9.8, F_B = 8.6, F_AB = 1.4 (p from scipy.stats.f.sf)
const table = [
  ['A1', 'B1', [4, 6]],
  ['A1', 'B2', [8, 10]],
  ['A1', 'B3', [3, 5]],
  ['A2', 'B1', [2, 4]],
  ['A2', 'B2', [5, 5]],
  ['A2', 'B3', [4, 2]],
] as const

const obs = (reps: number) => table.flatMap(([a, b, ys]) => ys.slice(0, reps).map((y) => ({ a, b, y })))

describe('two-way ANOVA', () => {
  it('matches the hand-computed table with replicates', () => {
    const r = twoWayAnova(obs(2), { a: 'pretext', b: 'dataset' })
    const row = (s: string) => r.rows.find((x) => x.source === s)!
    expect(r.interactionSeparated).toBe(true)
    expect(row('pretext').ss).toBeCloseTo(16.33333333, 6)
    expect(row('dataset').ss).toBeCloseTo(28.66666667, 6)
    expect(row('pretext x dataset').ss).toBeCloseTo(4.66666667, 6)
    expect(row('error (seeds)').ss).toBeCloseTo(10, 10)
    expect(row('total').ss).toBeCloseTo(59.66666667, 6)
    expect([row('pretext').df, row('dataset').df, row('pretext x dataset').df, row('error (seeds)').df]).toEqual([1, 2, 2, 6])
    expect(row('pretext').f).toBeCloseTo(9.8, 10)
    expect(row('dataset').f).toBeCloseTo(8.6, 10)
    expect(row('pretext x dataset').f).toBeCloseTo(1.4, 10)
    expect(row('pretext').p).toBeCloseTo(0.020311818108086743, 8)
    expect(row('dataset').p).toBeCloseTo(0.01729775718561647, 8)
    expect(row('pretext x dataset').p).toBeCloseTo(0.3169609316303532, 8)
    expect(row('pretext').etaSq).toBeCloseTo(16.33333333 / 59.66666667, 6)
    expect(r.note).toBe('')
  })

  it('with one seed uses the interaction as error and says it cannot be separated', () => {
    // First replicate only: SS_A 2.6667, SS_B 14.3333, residual 4.3333 on 2 df (numpy by hand).
    const r = twoWayAnova(obs(1), { a: 'pretext', b: 'dataset' })
    expect(r.interactionSeparated).toBe(false)
    expect(r.rows.map((x) => x.source)).toEqual(['pretext', 'dataset', 'error (= interaction)', 'total'])
    expect(r.rows[0]!.ss).toBeCloseTo(2.6666667, 6)
    expect(r.rows[1]!.ss).toBeCloseTo(14.3333333, 6)
    expect(r.rows[2]!.ss).toBeCloseTo(4.3333333, 6)
    expect(r.rows[0]!.f).toBeCloseTo(1.2307692, 6)
    expect(r.rows[0]!.p).toBeCloseTo(0.3827866001516324, 8)
    expect(r.note).toMatch(/interaction cannot be separated from error/)
  })

  it('refuses an unbalanced design', () => {
    expect(() => twoWayAnova(obs(2).slice(1))).toThrow(/balanced design/)
  })

  it('F tail probabilities agree with SciPy', () => {
    expect(fSurvival(3.5, 3, 20)).toBeCloseTo(0.03449310388512439, 10)
    expect(fSurvival(1, 5, 5)).toBeCloseTo(0.5, 10)
  })
})

describe('Spearman rank correlation', () => {
  it('matches scipy.stats.spearmanr with ties', () => {
    const r = spearman([1, 2, 2, 3, 5, 4, 7], [2, 1, 4, 3, 7, 7, 6])
    expect(r.rho).toBeCloseTo(0.7636363636363637, 12)
    expect(r.p).toBeCloseTo(0.04571679002312522, 8)
    expect(midranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1])
  })

  it('is undefined (NaN) for a constant side and +-1 for monotone data', () => {
    expect(spearman([1, 1, 1], [1, 2, 3]).rho).toBeNaN()
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 31]).rho).toBe(1)
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1]).rho).toBe(-1)
  })
})
