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
    for (const c of strong) expect(c.difference.verdict).toBe('better')
  })

  it('H1: ANOVA with two seeds separates the interaction; correlations follow the built-in structure', () => {
    const t = analysis.h1.anova.find((x) => x.target === '3class' && x.protocol === 'linear' && x.metric === 'roc_auc')!
    expect(t.seeds).toEqual([0, 1])
    expect(t.interactionSeparated).toBe(true)
    const eta = (s: string) => t.rows.find((r) => r.source === s)!.etaSq!
    expect(eta('pretext')).toBeGreaterThan(eta('dataset'))
    const fr = analysis.h1.correlations.find((c) => c.target === '3class' && c.protocol === 'linear' && c.metric === 'roc_auc' && c.variable === 'frechet')!
    expect(fr.n).toBe(9)
    expect(fr.rho!).toBeLessThan(0)
    const rot = analysis.h1.correlations.find((c) => c.target === '3class' && c.protocol === 'linear' && c.metric === 'roc_auc' && c.variable === 'rot90')!
    expect(rot.rho!).toBeLessThan(-0.5)
    expect(analysis.h1.similarity.map((s) => s.dataset)).toEqual(['demo-brainct', 'demo-mammo', 'demo-natural'])
    expect(analysis.summary.join(' ')).toMatch(/H2: of \d+ fusion comparisons/)
    // the fixture's pretext effects are larger than its dataset effects
    expect(analysis.summary.join(' ')).toMatch(/H1 overall: .* in 2 of 2 target x protocol settings.*appears to matter more than domain similarity/)
    expect(analysis.caveats.join(' ')).toMatch(/procedurally generated/)
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
    expect(writes.join('')).toMatch(/H2: of \d+ fusion comparisons/)
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
