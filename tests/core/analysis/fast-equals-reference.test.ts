// Issue 21: the fast bootstrap (shared resamples as image weights, per-run statistic vectors) gives
// the same analysis as the row-list implementation it replaced (kept under reference/), for the
// same seed: every interval, p-value, verdict and summary line, on the synthetic demo-sized study
// with one and with three seeds (the patient bootstrap, the hierarchical bootstrap and the paired
// test across seeds).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { analyzeStudy } from '../../../src-core/analysis/analyze.ts'
import { collectStudy } from '../../../src-core/analysis/collect.ts'
import { metricsWithClassAuc } from '../../../src-core/analysis/cells.ts'
import { meanFindingAuc } from '../../../src-core/analysis/multilabel.ts'
import { clustersOf, resamples } from '../../../src-core/analysis/stats/bootstrap.ts'
import { statEstimate, statValues, testSetOf, vectorsOf } from '../../../src-core/analysis/stats/resampled.ts'
import { mulberry32 } from '../../../src-core/util/rng.ts'
import { analyzeStudy as referenceAnalyze } from './reference/analyze.ts'
import { differences } from './deep-diff.ts'
import { buildFixtureStudy } from './fixture-study.ts'

const roots: string[] = []
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })))

describe('the fast analysis equals the reference implementation', () => {
  for (const seeds of [[0], [0, 1, 2]]) {
    it(`on the demo-sized study with ${seeds.length} seed(s)`, async () => {
      const root = mkdtempSync(join(tmpdir(), 'xlab-fast-eq-'))
      roots.push(root)
      const fx = await buildFixtureStudy(root, { seeds, full: true })
      try {
        const opts = { replicates: 300, seed: 11, level: 0.95 }
        const fast = analyzeStudy(collectStudy(fx.service.ctx.db, fx.studyId), opts)
        const ref = referenceAnalyze(collectStudy(fx.service.ctx.db, fx.studyId), opts)
        expect(fast.runs.length).toBeGreaterThan(10)
        expect(fast.h2.length).toBeGreaterThan(0)
        expect(differences(fast, ref)).toEqual([])
      } finally {
        await fx.service.close()
      }
    }, 120_000)
  }
})

describe('statistic vectors equal the row-list statistics on each resample', () => {
  const rand = mulberry32(3)
  const n = 90
  // Scores rounded to 2 decimals: many ties, as in small or saturated runs.
  const round = (x: number) => Math.round(x * 100) / 100
  const patients = Array.from({ length: n }, (_, i) => Math.floor(i / 3))
  const clusters = clustersOf(n, patients)
  const opts = { replicates: 60, seed: 5, level: 0.95 }

  it('single-label (3 classes): every metric and per-class AUC', () => {
    const targets = Array.from({ length: n }, () => Math.floor(rand() * 3))
    const probs = targets.map((t) => {
      const raw = [0, 1, 2].map((c) => round(rand() + (c === t ? 0.4 : 0)))
      const s = raw.reduce((a, b) => a + b, 0) || 1
      return raw.map((x) => round(x / s))
    })
    const pred = { indices: targets.map((_, i) => i), targets, probs, classNames: ['a', 'b', 'c'] }
    const ts = testSetOf(n, clusters, opts)
    const v = vectorsOf(pred, ts, 1)
    let b = 0
    for (const rows of resamples(clusters, opts)) {
      const want = metricsWithClassAuc(pred, rows)
      for (const name of v.names) expect(statValues(v, name)[b]).toBe(want[name])
      b++
    }
  })

  it('binary, scores of the two classes ranking the images exactly the other way round (one pass)', () => {
    const targets = Array.from({ length: n }, () => (rand() < 0.4 ? 1 : 0))
    const probs = targets.map((t) => {
      const p1 = round(Math.min(1, rand() * 0.8 + 0.3 * t))
      return [round(1 - p1), p1]
    })
    probs[0] = [0.5, 0.5] // a tie between the classes: argmax takes class 0
    const pred = { indices: targets.map((_, i) => i), targets, probs, classNames: ['No Finding', 'Finding'] }
    const ts = testSetOf(n, clusters, opts)
    const v = vectorsOf(pred, ts, 1)
    expect(statEstimate(v, 'accuracy')).toBe(metricsWithClassAuc(pred).accuracy)
    let b = 0
    for (const rows of resamples(clusters, opts)) {
      const want = metricsWithClassAuc(pred, rows)
      for (const name of v.names) expect(statValues(v, name)[b]).toBe(want[name])
      b++
    }
  })

  it('multi-label: the mean over findings of the defined AUCs', () => {
    const targets = Array.from({ length: n }, () => Array.from({ length: 4 }, (_, k) => (rand() < 0.1 * (k + 1) ? 1 : 0)))
    const probs = targets.map((row) => row.map((y) => round(rand() * 0.7 + 0.3 * y)))
    const pred = { indices: targets.map((_, i) => i), targets, probs, classNames: ['f0', 'f1', 'f2', 'f3'] }
    const ts = testSetOf(n, clusters, opts)
    const v = vectorsOf(pred, ts, 1)
    expect(statEstimate(v, 'mean_auc')).toBe(meanFindingAuc(pred))
    let b = 0
    for (const rows of resamples(clusters, opts)) expect(statValues(v, 'mean_auc')[b++]).toBe(meanFindingAuc(pred, rows))
  })
})
