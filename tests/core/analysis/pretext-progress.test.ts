// Transfer against pretext progress (issue 24, item 5): a study planned with encoder snapshots at 12
// and 24 of 48 pretext steps and their probes, whose runs are recorded done with predictions and the
// pretext summaries the engine writes, gives one progress row per cell and target: the snapshots, then
// the extracted encoder's own linear probe, each with its ROC-AUC interval and n, the pretext
// validation accuracy there and the solved flag; the snapshot probes stay out of every other table.
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StudyAnalysis } from '../../../src-core/api/results.ts'
import { analyzeStudy } from '../../../src-core/analysis/analyze.ts'
import { collectStudy } from '../../../src-core/analysis/collect.ts'
import { analysisCsvs } from '../../../src-core/analysis/report/csv.ts'
import { progressSection } from '../../../src-core/analysis/report/progress.ts'
import { runInterval } from '../../../src-core/analysis/cells.ts'
import type { LabService } from '../../../src-core/service/lab-service.ts'
import * as runsStore from '../../../src-core/store/runs.ts'
import { snapshotOf } from '../../../src-core/study/snapshots.ts'
import { tmp } from '../datasets/helpers.ts'
import { buildFixtureStudy } from './fixture-study.ts'

const BOOT = { replicates: 200, seed: 7, level: 0.95 }

describe('downstream transfer against pretext steps', () => {
  let root: string
  let service: LabService
  let studyId: string
  let a: StudyAnalysis
  let data: ReturnType<typeof collectStudy>

  beforeAll(async () => {
    root = tmp('xlab-progress-')
    const f = await buildFixtureStudy(root, { seeds: [0, 1], snapshots: true })
    service = f.service
    studyId = f.studyId
    data = collectStudy(service.ctx.db, studyId)
    a = analyzeStudy(data, BOOT)
  }, 120_000)
  afterAll(() => {
    service.close()
    rmSync(root, { recursive: true, force: true })
  })

  it('keeps the snapshot probes apart from the study matrix', () => {
    const all = runsStore.listRuns(service.ctx.db, { studyId }).filter((r) => r.stage === 'downstream')
    const probes = all.filter((r) => snapshotOf(r.spec))
    // 9 cells x 2 snapshots x 2 targets, the first seed only
    expect(probes.length).toBe(36)
    expect(data.snapshotRuns.length).toBe(36)
    expect(a.runs.length).toBe(all.length - 36)
    expect(a.runs.some((r) => r.name.includes('@step')) || a.cells.some((c) => c.label.includes('@step'))).toBe(false)
  })

  it('gives each cell and target its snapshots then the extracted encoder, with interval, n, pretext accuracy and the solved flag', () => {
    const rows = a.h1.progress!
    expect(rows.length).toBe(18)
    expect(rows.every((r) => r.seed === 0)).toBe(true)
    const rot = rows.find((r) => r.pretext === 'rotation' && r.dataset === 'demo-mammo' && r.target === 'binary')!
    expect(rot.points.map((p) => [p.kind, p.step, p.fraction])).toEqual([['snapshot', 12, 0.25], ['snapshot', 24, 0.5], ['extracted', 48, 1]])
    expect(rot.points.map((p) => [p.valMetric, p.val, p.solved])).toEqual([['accuracy', 0.75, false], ['accuracy', 1, true], ['accuracy', 1, true]])
    expect(rot.solvedEarly).toEqual({ step: 24, accuracy: 1 })
    expect(rot.totalSteps).toBe(48)
    // each AUC is the run's own bootstrap interval on the shared test images
    const snap12 = data.snapshotRuns.find((l) => l.run.id === rot.points[0]!.runId)!
    const iv = runInterval(snap12.pred, [], BOOT)
    expect(rot.points[0]!.n).toBe(120)
    expect(rot.points[0]!.auc.estimate).toBeCloseTo(iv.roc_auc!.estimate, 12)
    for (const p of rot.points) expect(p.auc.lo! <= p.auc.estimate! && p.auc.estimate! <= p.auc.hi!).toBe(true)
    // the extracted point is the study's own linear probe of the cell, the same number as its run row
    const main = a.runs.find((r) => r.runId === rot.points[2]!.runId)!
    expect(main.name).toBe('binary-linear-rotation@demo-mammo-s0')
    expect(rot.points[2]!.auc.estimate).toBeCloseTo(main.metrics.roc_auc!.estimate!, 12)
    // the fixture's transfer falls with pretext steps: the trend says so from the intervals
    expect(rot.trend!.verdict).toBe('hurt')
    expect(rot.trend!.sentence).toMatch(/^ROC-AUC 0\.\d{3} at step 12 → 0\.\d{3} at step 48 \(-0\.\d{3}\): more pretext training hurt transfer\.$/)
    const inp = rows.find((r) => r.pretext === 'inpainting' && r.dataset === 'demo-natural' && r.target === '3class')!
    expect(inp.points.map((p) => [p.valMetric, p.solved])).toEqual([['loss', null], ['loss', null], ['loss', null]])
    expect(inp.solvedEarly).toBeNull()
    expect(a.caveats.some((c) => c.startsWith('More pretext training hurt linear transfer') && c.includes('rotation on demo-mammo (binary)') && c.includes('solved early'))).toBe(true)
  })

  it('shows the table and a chart per cell in the report, and writes pretext_progress.csv', () => {
    const html = progressSection(a)
    expect(html).toContain('<h3>Transfer against pretext progress</h3>')
    expect(html.match(/data-testid="progress-table"/g)!.length).toBe(18)
    expect(html.match(/<svg /g)!.length).toBe(18)
    expect(html).toContain('rotation on demo-mammo · binary · seed 0 <span class="muted small">(rotation@demo-mammo-s0; <span class="worse">solved early</span> at step 24 of 48 (validation accuracy 1.000))</span>')
    expect(html).toContain('<td class="l">step 48 (100%), extracted (best.pth)</td>')
    expect(html).toContain('<td>accuracy 0.750</td><td class="l">no</td>')
    const csv = analysisCsvs(a)['pretext_progress.csv']!.trim().split('\n')
    expect(csv[0]).toBe('target,pretext,dataset,seed,pretext_run,kind,step,fraction,roc_auc,roc_auc_lo,roc_auc_hi,n,pretext_val_metric,pretext_val,solved,run')
    expect(csv.length).toBe(1 + 18 * 3)
    expect(progressSection({ ...a, h1: { ...a.h1, progress: [] } })).toBe('')
  })
})
