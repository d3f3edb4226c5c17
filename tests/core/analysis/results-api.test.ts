// The results domain end to end on a synthetic finished study: table, run details, the analysis
// (H1 and H2 with known structure) and the report files, each output checked against its zod schema.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resultsApi, type StudyAnalysis } from '../../../src-core/api/results.ts'
import { buildFixtureStudy, type FixtureStudy } from './fixture-study.ts'

let root: string
let fx: FixtureStudy
const call = (method: keyof typeof resultsApi, input: unknown) => fx.service.dispatch(method, input, { signal: new AbortController().signal, requestId: 't' })

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'xlab-results-'))
  fx = await buildFixtureStudy(root, { seeds: [0, 1] })
})
afterAll(async () => {
  await fx?.service.close()
  rmSync(root, { recursive: true, force: true })
})

describe('results API on a synthetic study', () => {
  let analysis: StudyAnalysis

  it('results.table lists every downstream run with its reported test metrics', async () => {
    const rows = resultsApi['results.table'].output.parse(await call('results.table', { studyId: 'fixture-study' }))
    expect(rows).toHaveLength(fx.downstream)
    expect(rows[0]!.metrics.roc_auc).toBe(0.75)
    expect(rows[0]!.metrics.f1_weighted).toBeNull()
  })

  it('results.run gives the confusion matrix, ROC curves and training curves', async () => {
    const rows = resultsApi['results.table'].output.parse(await call('results.table', {}))
    const threeClass = rows.find((r) => r.target === '3class')!
    const r = resultsApi['results.run'].output.parse(await call('results.run', { runId: threeClass.runId }))
    expect(r.classNames).toHaveLength(3)
    expect(r.confusion!.flat().reduce((a, b) => a + b, 0)).toBe(120)
    expect(r.roc).toHaveLength(3)
    expect(r.curves.find((c) => c.split === 'val' && c.name === 'roc_auc')!.points).toHaveLength(3)
    expect(r.recomputed.roc_auc!.lo!).toBeLessThan(r.recomputed.roc_auc!.hi!)
    await expect(call('results.run', { runId: 'r-nope' })).rejects.toThrow(/no run "r-nope"/)
  })

  it('results.analysis resamples patients and summarises seeds', async () => {
    analysis = resultsApi['results.analysis'].output.parse(await call('results.analysis', { studyId: fx.studyId }))
    expect(analysis.bootstrap.unit).toBe('patient')
    expect(analysis.bootstrap.nImages).toBe(120)
    expect(analysis.bootstrap.nUnits).toBe(60)
    const cell = analysis.cells.find((c) => c.label === 'binary linear rotation/demo-mammo')!
    expect(cell.metrics.roc_auc!.perSeed.map((s) => s.seed)).toEqual([0, 1])
    expect(cell.metrics.roc_auc!.sd).not.toBeNull()
    expect(cell.metrics.roc_auc!.lo!).toBeLessThan(cell.metrics.roc_auc!.mean!)
  })

  it('H2: the copying fusion shows no evidence, the stronger fusion is better', () => {
    const auc = analysis.h2.filter((c) => c.metric === 'roc_auc')
    const copy = auc.filter((c) => c.encoders.join('+') === 'rotation/demo-mammo+inpainting/demo-mammo')
    const strong = auc.filter((c) => c.encoders.join('+') === 'rotation/demo-mammo+structure/demo-mammo')
    expect(copy.length).toBe(2)
    for (const c of copy) {
      expect(c.difference.verdict).toBe('no evidence')
      expect(c.difference.estimate).toBe(0)
    }
    for (const c of strong) {
      // Better on each seed's test patients. Alone, the seed mean of 2 seeds is a t test on 1 degree
      // of freedom, far too weak to call it; with the between-seed variance pooled over the 4 fusion
      // comparisons of the family (issue 24: 4 degrees of freedom) it is called better.
      for (const s of c.perSeed) expect(s.difference.verdict).toBe('better')
      expect(c.difference.estimate!).toBeGreaterThan(0.03)
      expect(c.difference.verdict).toBe('better')
    }
  })

  it('H1: ANOVA with two seeds separates the interaction; correlations follow the built-in structure', () => {
    const t = analysis.h1.anova.find((x) => x.target === '3class' && x.protocol === 'linear' && x.metric === 'roc_auc')!
    expect(t.seeds).toEqual([0, 1])
    expect(t.interactionSeparated).toBe(true)
    const eta = (s: string) => t.rows.find((r) => r.source === s)!.etaSq!
    expect(eta('pretext')).toBeGreaterThan(eta('dataset'))
    const fr = analysis.h1.correlations.find((c) => c.target === '3class' && c.protocol === 'linear' && c.metric === 'roc_auc' && c.variable === 'frechet')!
    // Similarity varies per pretraining dataset: 3 points, not 9 encoders, and no p below 1/3.
    expect(fr.n).toBe(3)
    expect(fr.unit).toBe('dataset')
    expect(fr.points.map((p) => p.label).sort()).toEqual(['demo-brainct', 'demo-mammo', 'demo-natural'])
    expect(fr.rho!).toBeLessThan(0)
    expect(fr.minP).toBeCloseTo(1 / 3)
    expect(fr.pHolm).toBeNull()
    const rot = analysis.h1.correlations.find((c) => c.target === '3class' && c.protocol === 'linear' && c.metric === 'roc_auc' && c.variable === 'rot90')!
    expect(rot.unit).toBe('encoder')
    expect(rot.rho!).toBeLessThan(-0.5)
    expect(rot.pHolm!).toBeGreaterThanOrEqual(rot.p!)
    expect(analysis.h1.similarity.map((s) => s.dataset)).toEqual(['demo-brainct', 'demo-mammo', 'demo-natural'])
    // The noise floor (frechet 15) puts demo-mammo (12.5) within it.
    expect(analysis.h1.similarity.find((s) => s.dataset === 'demo-mammo')!.aboveFloor.frechet).toBe(false)
    expect(analysis.h1.invariance.at(-1)).toMatchObject({ encoder: 'random-init', reference: true })
    expect(t.pretextTest!.df2).toBe(4)
    expect(analysis.summary.join(' ')).toMatch(/H2 \(fusion vs its best member, \d+ comparisons, Holm\)/)
    // the fixture's pretext effects are large: the task verdict is claimed, similarity cannot be tested
    expect(analysis.verdicts.filter((v) => v.rule === 'h1-task').map((v) => v.outcome)).toEqual(['claimed', 'claimed'])
    expect(analysis.verdicts.filter((v) => v.rule === 'h1-similarity').every((v) => v.outcome === 'not testable')).toBe(true)
    expect(analysis.summary.join(' ')).toMatch(/H1 overall: the task side matters more than similarity/)
    // The config says preset demo and the datasets are called demo-*, but their metadata does not say they were generated.
    expect(analysis.caveats.join(' ')).not.toMatch(/procedurally generated/)
    expect(analysis.method.rules.map((r) => r.rule)).toEqual(['h1-task', 'h1-similarity', 'h1-invariance', 'h1-overall', 'h2-fusion', 'beats-scratch', 'beats-random-init'])
  })

  it('reports counts per class and split, validation selection, per-class AUC and provenance', () => {
    const test3 = analysis.sampleSizes.find((s) => s.split === 'test' && s.target === '3class')!
    // Test patients 100..159, two images each: Pneumonia where p % 3 == 1 (20 patients); No Finding
    // where p % 3 == 0 and p % 5 >= 2 (12 patients); every other patient has another finding (28).
    expect(test3.classes.map((c) => c.images)).toEqual([24, 40, 56])
    expect(test3.classes.map((c) => c.patients)).toEqual([12, 20, 28])
    expect(analysis.sampleSizes.map((s) => s.split)).toEqual(['train', 'val', 'test', 'train', 'val', 'test'])
    const any = analysis.selection.find((s) => s.target === 'binary' && s.protocol === 'any')!
    expect(any.chosenFrom).toBe(11)
    // validation follows strength: the stronger fusion (rotation + structure) wins
    expect(any.label).toBe('binary fusion-linear rotation/demo-mammo + structure/demo-mammo')
    const cell = analysis.cells.find((c) => c.label === 'binary linear rotation/demo-mammo')!
    expect(Object.keys(cell.perClassAuc)).toEqual(['No Finding', 'Finding'])
    expect(cell.interval).toBe('seeds+patients')
    expect(analysis.beatsScratch.map((c) => c.target).sort()).toEqual(['3class', 'binary'])
    expect(analysis.runs[0]!.provenance.engine).toEqual(['0.2.0'])
    expect(analysis.runs[0]!.provenance.datasets).toHaveProperty('demo-chest')
  })

  it('results.report writes a static page and the CSV tables', async () => {
    const r = resultsApi['results.report'].output.parse(await call('results.report', { studyId: fx.studyId }))
    expect(r.dir).toBe(join(root, 'reports', fx.studyId))
    expect(r.html).not.toMatch(/<script/i)
    expect(r.html).toMatch(/<svg/)
    for (const f of ['index.html', 'runs.csv', 'cells.csv', 'fusion_vs_best_member.csv', 'anova.csv', 'correlations.csv', 'similarity.csv', 'invariance.csv', 'analysis.json']) expect(existsSync(join(r.dir, f))).toBe(true)
    const runsCsv = readFileSync(join(r.dir, 'runs.csv'), 'utf8').trim().split('\n')
    expect(runsCsv).toHaveLength(fx.downstream + 1)
    await expect(call('results.report', { studyId: 'no-such-study' })).rejects.toThrow(/no study "no-such-study"/)
  })
})

describe('xlab study report', () => {
  it('writes the report where --out says and prints the summary', async () => {
    const { runReportCommand } = await import('../../../src-core/analysis/report-cli.ts')
    const out = join(root, 'cli-report')
    const writes: string[] = []
    const orig = process.stdout.write.bind(process.stdout)
    process.stdout.write = ((chunk: string) => (writes.push(String(chunk)), true)) as typeof process.stdout.write
    try {
      const code = await runReportCommand({ positional: ['fixture-study'], flags: { out, data: root, replicates: '100' } })
      expect(code).toBe(0)
    } finally {
      process.stdout.write = orig
    }
    expect(existsSync(join(out, 'index.html'))).toBe(true)
    expect(writes.join('')).toMatch(/report of fixture-study: .*index\.html/)
    expect(writes.join('')).toMatch(/H2 \(fusion vs its best member, \d+ comparisons, Holm\)/)
    await expect(runReportCommand({ positional: ['fixture-study'], flags: { data: root, replicates: '3' } })).rejects.toThrow(/--replicates must be/)
    await expect(runReportCommand({ positional: ['nope'], flags: { data: root } })).rejects.toThrow(/no study "nope"/)
  })
})

describe('analysis reuse', () => {
  it('returns the kept analysis until a run of the study changes, then recomputes', async () => {
    const a1 = resultsApi['results.analysis'].output.parse(await call('results.analysis', { studyId: fx.studyId }))
    const a2 = resultsApi['results.analysis'].output.parse(await call('results.analysis', { studyId: fx.studyId }))
    expect(a2.generatedAt).toBe(a1.generatedAt)
    const { setRunState } = await import('../../../src-core/store/runs.ts')
    const victim = a1.runs[0]!
    setRunState(fx.service.ctx.db, victim.runId, 'failed', 'out of memory')
    const a3 = resultsApi['results.analysis'].output.parse(await call('results.analysis', { studyId: fx.studyId }))
    expect(a3.runs).toHaveLength(a1.runs.length - 1)
    expect(a3.warnings.join(' ')).toContain(`${victim.name} failed (out of memory)`)
  })
})
