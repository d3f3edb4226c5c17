// results.compare's statistics on hand-computed cases: McNemar's exact test on a disagreement table,
// the alignment on shared test images, the paired differences on the same resamples, and the API on
// the synthetic finished study.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resultsApi } from '../../../src-core/api/results.ts'
import { alignPredictions, comparePredictions, mcnemar } from '../../../src-core/analysis/compare-runs.ts'
import type { Predictions } from '../../../src-core/analysis/stats/metrics.ts'
import { buildFixtureStudy, type FixtureStudy } from './fixture-study.ts'

describe('McNemar on the disagreement table', () => {
  it('counts right/wrong and gives the exact binomial p (by hand)', () => {
    // 10 images, truth all class 1. A right on 0-7, B right on 0-3 and 8:
    // both right 4 (0-3), A only 4 (4-7), B only 1 (8), both wrong 1 (9).
    const truth = Array(10).fill(1)
    const a = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
    const b = [1, 1, 1, 1, 0, 0, 0, 0, 1, 0]
    const m = mcnemar(truth, a, b)
    expect([m.bothRight, m.aOnly, m.bOnly, m.bothWrong]).toEqual([4, 4, 1, 1])
    // n = 5 discordant, k = 1: P(X <= 1) = (1 + 5) / 32 = 0.1875; two-sided 0.375.
    expect(m.p).toBeCloseTo(0.375, 12)
    // (|4 - 1| - 1)^2 / 5 = 0.8
    expect(m.chiSquare).toBeCloseTo(0.8, 12)
  })

  it('is 1 when the runs never disagree, and capped at 1 for a balanced split', () => {
    expect(mcnemar([0, 1], [0, 1], [0, 1]).p).toBe(1)
    expect(mcnemar([0, 1], [0, 1], [0, 1]).chiSquare).toBeNull()
    // 1 vs 1 discordant: 2 * P(X <= 1 | n = 2) = 2 * 0.75 -> capped at 1.
    expect(mcnemar([0, 0, 1], [0, 1, 1], [1, 0, 1]).p).toBe(1)
  })

  it('stays finite for thousands of discordant images', () => {
    const n = 4000
    const truth = Array(n).fill(0)
    const a = truth.map((_, i) => (i < 2100 ? 0 : 1))
    const b = truth.map((_, i) => (i < 2100 ? 1 : 0))
    const m = mcnemar(truth, a, b)
    expect(m.aOnly).toBe(2100)
    expect(m.bOnly).toBe(1900)
    expect(m.p).toBeGreaterThan(0)
    expect(m.p).toBeLessThan(0.01)
  })

  it('refuses prediction lists of another length, naming the counts', () => {
    expect(() => mcnemar([0, 1], [0], [0, 1])).toThrow(/2 images, 1 and 2 predictions/)
  })
})

const pred = (indices: number[], targets: number[], pos: number[]): Predictions => ({ indices, targets, probs: pos.map((p) => [1 - p, p]), classNames: ['no', 'yes'] })

describe('paired comparison of two prediction sets', () => {
  it('aligns on the test images both scored, in A\'s order', () => {
    const a = pred([5, 6, 7, 8], [0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8])
    const b = pred([8, 7, 9], [1, 0, 1], [0.7, 0.4, 0.6])
    const al = alignPredictions(a, b)
    expect(al.indices).toEqual([7, 8])
    expect(al.a.probs.map((p) => p[1])).toEqual([0.2, 0.8])
    expect(al.b.probs.map((p) => p[1])).toEqual([0.4, 0.7])
  })

  it('gives B - A of every metric with an interval around it, and identical runs a zero difference', () => {
    // A: perfect ranking, accuracy 1. B: one positive scored below a negative, and that positive misclassified.
    const targets = [0, 0, 0, 0, 1, 1, 1, 1]
    const a = pred([0, 1, 2, 3, 4, 5, 6, 7], targets, [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
    const b = pred([0, 1, 2, 3, 4, 5, 6, 7], targets, [0.1, 0.2, 0.3, 0.45, 0.35, 0.7, 0.8, 0.9])
    const r = comparePredictions(a, b, null, { replicates: 200, seed: 1, level: 0.95 })
    expect(r.nImages).toBe(8)
    expect(r.unit).toBe('image')
    // Accuracy: A 8/8, B 7/8 -> -0.125. ROC-AUC: A 1, B 15/16 (one of 16 pairs misordered) -> -0.0625.
    expect(r.metrics.accuracy!.a).toBe(1)
    expect(r.metrics.accuracy!.b).toBeCloseTo(0.875, 12)
    expect(r.metrics.accuracy!.difference.estimate).toBeCloseTo(-0.125, 12)
    expect(r.metrics.roc_auc!.difference.estimate).toBeCloseTo(-0.0625, 12)
    expect(r.metrics.roc_auc!.difference.lo!).toBeLessThanOrEqual(-0.0625 + 1e-12)
    expect(r.metrics.roc_auc!.difference.hi!).toBeLessThanOrEqual(0 + 1e-12)
    expect([r.mcnemar.aOnly, r.mcnemar.bOnly]).toEqual([1, 0])
    const same = comparePredictions(a, a, null, { replicates: 100, seed: 1, level: 0.95 })
    expect(same.metrics.roc_auc!.difference).toMatchObject({ estimate: 0, lo: 0, hi: 0, verdict: 'no evidence' })
  })

  it('resamples patients when given, and says so', () => {
    const targets = [0, 0, 1, 1]
    const a = pred([0, 1, 2, 3], targets, [0.1, 0.2, 0.8, 0.9])
    const r = comparePredictions(a, a, [10, 10, 20, 20], { replicates: 50, seed: 1, level: 0.95 })
    expect(r.unit).toBe('patient')
    expect(r.nUnits).toBe(2)
  })
})

describe('results.compare on the synthetic study', () => {
  let root: string
  let fx: FixtureStudy
  const call = (method: keyof typeof resultsApi, input: unknown) => fx.service.dispatch(method, input, { signal: new AbortController().signal, requestId: 't' })
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'xlab-compare-'))
    fx = await buildFixtureStudy(root, { seeds: [0] })
  })
  afterAll(async () => {
    await fx?.service.close()
    rmSync(root, { recursive: true, force: true })
  })

  it('compares runs of one task and explains a pair of two tasks', async () => {
    const rows = resultsApi['results.table'].output.parse(await call('results.table', { studyId: fx.studyId }))
    const binary = rows.filter((r) => r.target === 'binary' && r.state === 'done')
    const three = rows.find((r) => r.target === '3class' && r.state === 'done')!
    const out = resultsApi['results.compare'].output.parse(await call('results.compare', { runIds: [binary[0]!.runId, binary[1]!.runId, three.runId] }))
    expect(out.runs.map((r) => r.runId)).toEqual([binary[0]!.runId, binary[1]!.runId, three.runId])
    const [same, other] = out.comparisons
    expect(same!.problem).toBeNull()
    expect(same!.result!.unit).toBe('patient')
    const m = same!.result!.mcnemar
    expect(m.bothRight + m.aOnly + m.bOnly + m.bothWrong).toBe(same!.result!.nImages)
    const d = same!.result!.metrics.roc_auc!
    expect(d.difference.estimate!).toBeCloseTo(d.b! - d.a!, 12)
    expect(d.difference.lo!).toBeLessThanOrEqual(d.difference.hi!)
    expect(other!.result).toBeNull()
    expect(other!.problem).toMatch(/different classes/)
    await expect(call('results.compare', { runIds: [binary[0]!.runId, binary[0]!.runId] })).rejects.toThrow(/picked twice/)
    await expect(call('results.compare', { runIds: [binary[0]!.runId, 'r-nope'] })).rejects.toThrow(/no run "r-nope"/)
  })
})
