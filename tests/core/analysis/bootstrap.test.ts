// Bootstrap intervals: coverage on simulated data, patient-level resampling, and paired differences.
import { describe, expect, it } from 'vitest'
import { fusionComparisons } from '../../../src-core/analysis/h2.ts'
import type { LoadedRun } from '../../../src-core/analysis/collect.ts'
import { bootstrapInterval, bootstrapPValue, clustersOf, holmAdjust, pairedDifference, resamples } from '../../../src-core/analysis/stats/bootstrap.ts'
import { computeMetric, type Predictions } from '../../../src-core/analysis/stats/metrics.ts'
import { gaussian as normalDraw, mulberry32 as seededRandom } from '../../../src-core/util/rng.ts'
import type { ResultRun } from '../../../src-core/store/results.ts'

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length

describe('bootstrap confidence intervals', () => {
  it('cover the true accuracy about 95% of the time on simulated test sets', () => {
    // 300 simulated test sets of 150 images, each image correct with probability 0.8.
    const rand = seededRandom(7)
    const trials = 300
    let covered = 0
    for (let t = 0; t < trials; t++) {
      const correct = Array.from({ length: 150 }, () => (rand() < 0.8 ? 1 : 0))
      const ci = bootstrapInterval(correct.length, clustersOf(correct.length, null), (rows) => mean(rows.map((i) => correct[i]!)), { replicates: 400, seed: t, level: 0.95 })
      if (ci.lo <= 0.8 && 0.8 <= ci.hi) covered++
    }
    // Binomial sd of the coverage over 300 trials is ~1.3 points: 95% +- 4 points is a wide margin,
    // while a broken interval (e.g. 68% or 100% coverage) fails.
    expect(covered / trials).toBeGreaterThan(0.91)
    expect(covered / trials).toBeLessThan(0.99)
  })

  it('with patient clusters, covers the true mean where image-level resampling is too narrow', () => {
    // Each patient has 4 images sharing a strong patient effect: images are not independent.
    const rand = seededRandom(11)
    const trials = 200
    let coveredPatient = 0
    let coveredImage = 0
    for (let t = 0; t < trials; t++) {
      const values: number[] = []
      const patients: number[] = []
      for (let p = 0; p < 40; p++) {
        const effect = normalDraw(rand)
        for (let k = 0; k < 4; k++) {
          values.push(effect + 0.3 * normalDraw(rand))
          patients.push(p)
        }
      }
      const stat = (rows: readonly number[]) => mean(rows.map((i) => values[i]!))
      const opts = { replicates: 300, seed: t, level: 0.95 }
      const byPatient = bootstrapInterval(values.length, clustersOf(values.length, patients), stat, opts)
      const byImage = bootstrapInterval(values.length, clustersOf(values.length, null), stat, opts)
      if (byPatient.lo <= 0 && 0 <= byPatient.hi) coveredPatient++
      if (byImage.lo <= 0 && 0 <= byImage.hi) coveredImage++
    }
    expect(coveredPatient / trials).toBeGreaterThan(0.9)
    expect(coveredImage / trials).toBeLessThan(0.8)
  })

  it('keeps all images of a patient together in every resample', () => {
    const patients = [5, 5, 5, 9, 9, 2, 7, 7, 7, 7]
    const clusters = clustersOf(patients.length, patients)
    expect(clusters.map((c) => c.length).sort()).toEqual([1, 2, 3, 4])
    for (const rows of resamples(clusters, { replicates: 200, seed: 3, level: 0.95 })) {
      const counts = new Map<number, number>()
      for (const i of rows) counts.set(i, (counts.get(i) ?? 0) + 1)
      // every image of a patient appears as often as every other image of that patient
      for (const c of clusters) expect(new Set(c.map((i) => counts.get(i) ?? 0)).size).toBe(1)
    }
  })

  it('refuses patient ids that do not match the images', () => {
    expect(() => clustersOf(3, [1, 2])).toThrow(/2 patient ids for 3 test images/)
  })

  it('is reproducible from its seed', () => {
    const x = Array.from({ length: 50 }, (_, i) => (i * 37) % 11)
    const stat = (rows: readonly number[]) => mean(rows.map((i) => x[i]!))
    const a = bootstrapInterval(50, clustersOf(50, null), stat, { replicates: 200, seed: 1, level: 0.95 })
    const b = bootstrapInterval(50, clustersOf(50, null), stat, { replicates: 200, seed: 1, level: 0.95 })
    expect(a).toEqual(b)
  })
})

function simulatedPredictions(seed: number, n: number, strength: number): Predictions {
  const rand = seededRandom(seed)
  const targets = Array.from({ length: n }, (_, i) => i % 2)
  const probs = targets.map((t) => {
    const p1 = 1 / (1 + Math.exp(-(strength * (t === 1 ? 1 : -1) + normalDraw(rand))))
    return [1 - p1, p1]
  })
  return { indices: targets.map((_, i) => i), targets, probs, classNames: ['No Finding', 'Finding'] }
}

function run(id: string, encoders: string[], pred: Predictions, fusion = false, valMetrics: Record<string, number> | null = null): LoadedRun {
  const r: ResultRun = {
    id, studyId: 's', specHash: id, attempts: 1, createdAt: '', startedAt: null, progress: null,
    name: id, stage: 'downstream', state: 'done', pretext: fusion ? null : encoders[0]!.split('/')[0]!, pretrainDataset: fusion ? null : encoders[0]!.split('/')[1]!,
    seed: 0, target: 'binary', protocol: 'linear', fusionMode: fusion ? 'linear' : null, encoders, runDir: '/nonexistent', spec: { kind: 'downstream', seed: 0, params: {} }, summary: valMetrics ? { best: { epoch: 1, value: 0, metrics: valMetrics } } : null, reason: null, finishedAt: null,
  }
  return { run: r, pred, loss: null }
}

describe('paired comparisons (H2)', () => {
  const n = 200
  const clusters = clustersOf(n, Array.from({ length: n }, (_, i) => Math.floor(i / 2)))
  const opts = { replicates: 500, seed: 5, level: 0.95 }

  it('a fusion that copies its best member gives "no evidence" with a zero difference', () => {
    const strong = simulatedPredictions(1, n, 1.5)
    const weak = simulatedPredictions(2, n, 0.3)
    const runs = [run('rot', ['rotation/mammo'], strong), run('inp', ['inpainting/mammo'], weak), run('fus', ['rotation/mammo', 'inpainting/mammo'], { ...strong }, true)]
    const out = fusionComparisons(runs, clusters, opts, [])
    expect(out).toHaveLength(4)
    for (const c of out) {
      expect(c.difference.verdict).toBe('no evidence')
      expect(c.difference.estimate).toBe(0)
      expect(c.perSeed[0]!.bestMember).toBe('rotation/mammo')
    }
  })

  it('picks the best member on validation, not on the test images that judge the comparison', () => {
    const strong = simulatedPredictions(1, n, 1.5)
    const weak = simulatedPredictions(2, n, 0.3)
    const val = (auc: number) => ({ accuracy: auc, f1_weighted: auc, balanced_accuracy: auc, roc_auc: auc })
    // The weak member looked better on validation, so it is the member the fusion must beat.
    const runs = [run('rot', ['rotation/mammo'], strong, false, val(0.6)), run('inp', ['inpainting/mammo'], weak, false, val(0.7)), run('fus', ['rotation/mammo', 'inpainting/mammo'], { ...strong }, true)]
    const auc = fusionComparisons(runs, clusters, opts, []).find((c) => c.metric === 'roc_auc')!
    expect(auc.perSeed[0]).toMatchObject({ bestMember: 'inpainting/mammo', selectedBy: 'validation' })
    expect(auc.difference.verdict).toBe('better')
    // One member without a validation value: the pick falls back to the test set (and says so).
    runs[1] = run('inp', ['inpainting/mammo'], weak)
    const fallback = fusionComparisons(runs, clusters, opts, []).find((c) => c.metric === 'roc_auc')!
    expect(fallback.perSeed[0]).toMatchObject({ bestMember: 'rotation/mammo', selectedBy: 'test' })
    expect(fallback.difference.verdict).toBe('no evidence')
  })

  it('adds bootstrap p-values and Holm-corrected verdicts: a copy has p = 1, a clear gain survives', () => {
    const strong = simulatedPredictions(1, n, 2.5)
    const weak = simulatedPredictions(2, n, 0.3)
    const runs = [
      run('rot', ['rotation/mammo'], weak),
      run('inp', ['inpainting/mammo'], weak),
      run('str', ['structure/mammo'], simulatedPredictions(9, n, 0.2)),
      run('f1', ['rotation/mammo', 'inpainting/mammo'], { ...weak }, true),
      run('f2', ['rotation/mammo', 'structure/mammo'], strong, true),
    ]
    const auc = fusionComparisons(runs, clusters, opts, []).filter((c) => c.metric === 'roc_auc')
    const copy = auc.find((c) => c.encoders.includes('inpainting/mammo'))!
    const gain = auc.find((c) => c.encoders.includes('structure/mammo'))!
    expect(copy.difference.p).toBe(1)
    expect(copy.holm).toEqual({ p: 1, verdict: 'no evidence' })
    expect(gain.difference.verdict).toBe('better')
    expect(gain.holm.verdict).toBe('better')
    // Two comparisons in the family: the smaller p is doubled, the larger one kept (monotone).
    expect(gain.holm.p).toBeCloseTo(Math.min(1, 2 * gain.difference.p!), 12)
  })

  it('detects a clearly better and a clearly worse model', () => {
    const good = simulatedPredictions(3, n, 2.5)
    const bad = simulatedPredictions(4, n, 0.2)
    const auc = (p: Predictions) => (rows: readonly number[]) => computeMetric(p, 'roc_auc', rows)
    expect(pairedDifference(n, clusters, auc(good), auc(bad), opts).verdict).toBe('better')
    expect(pairedDifference(n, clusters, auc(bad), auc(good), opts).verdict).toBe('worse')
  })
})

describe('p-values and multiple comparisons', () => {
  it('bootstrap p-value: twice the smaller tail with the +1 correction', () => {
    expect(bootstrapPValue([-1, 1, 2, 3])).toBeCloseTo(3 / 5, 12)
    expect(bootstrapPValue(Array.from({ length: 99 }, (_, i) => i + 1))).toBeCloseTo(1 / 100, 12)
    expect(bootstrapPValue([0, 0, 0])).toBe(1)
    expect(bootstrapPValue([NaN])).toBeNaN()
  })

  it('Holm adjustment matches the hand-computed step-down values and keeps NaN out of the family', () => {
    // sorted 0.005 x4 = 0.02, 0.01 x3 = 0.03, 0.03 x2 = 0.06, 0.04 x1 = 0.04 -> monotone 0.06
    const adj = holmAdjust([0.01, 0.04, 0.03, 0.005])
    ;[0.03, 0.06, 0.06, 0.02].forEach((v, i) => expect(adj[i]).toBeCloseTo(v, 12))
    const withNaN = holmAdjust([0.2, NaN, 0.6])
    expect(withNaN[0]).toBeCloseTo(0.4, 12)
    expect(withNaN[1]).toBeNaN()
    expect(withNaN[2]).toBeCloseTo(0.6, 12)
  })
})
