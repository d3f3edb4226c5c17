// Issue 21: the analysis is computed once and kept. A restart serves the analysis kept on disk
// without computing anything (no worker, no progress), a new finished run computes only the
// per-run statistics it changes (its own, and the seed-resampling of the cell it joins) while every
// other run's are read back from the store, and the numbers equal a full analysis from scratch. A
// run's detail reads its kept statistics.
// Cancelling the call stops the worker and says so.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AnalysisProgress, RunResult, StudyAnalysis } from '../../../src-core/api/results.ts'
import { analyzeStudy } from '../../../src-core/analysis/analyze.ts'
import { collectStudy } from '../../../src-core/analysis/collect.ts'
import { vectorCounters } from '../../../src-core/analysis/stats/resampled.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import * as runsStore from '../../../src-core/store/runs.ts'
import { differences } from './deep-diff.ts'
import { buildFixtureStudy } from './fixture-study.ts'

let root: string
let service: LabService
let held: runsStore.RunRecord
let studyId: string

const call = (s: LabService, method: string, input: unknown, signal = new AbortController().signal) => s.dispatch(method, input, { signal, requestId: 't' })
function recordProgress(s: LabService): AnalysisProgress[] {
  const seen: AnalysisProgress[] = []
  s.ctx.events.onAny((event, payload) => {
    if (event === 'onAnalysisProgress') seen.push(payload as AnalysisProgress)
  })
  return seen
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'xlab-kept-'))
  const fx = await buildFixtureStudy(root, { seeds: [0, 1] })
  service = fx.service
  studyId = fx.studyId
  // One run is held back: it finishes later, after a restart.
  held = runsStore.listRuns(service.ctx.db, { studyId }).find((r) => r.stage === 'downstream' && r.seed === 1 && r.target === 'binary' && r.protocol === 'linear' && r.encoders?.length === 1)!
  runsStore.setRunState(service.ctx.db, held.id, 'queued')
}, 120_000)

afterAll(async () => {
  await service?.close()
  rmSync(root, { recursive: true, force: true })
})

describe('the analysis is kept', () => {
  let first: StudyAnalysis

  it('is computed in the worker with progress, every run computed once', async () => {
    const seen = recordProgress(service)
    first = (await call(service, 'results.analysis', { studyId })) as StudyAnalysis
    expect(seen.some((p) => p.phase === 'runs' && p.done === p.total && p.total > 10)).toBe(true)
    expect(seen.at(-1)!.phase).toBe('done')
    expect(first.perRunCache!.reused).toBe(0)
    expect(first.perRunCache!.computed).toBeGreaterThan(first.runs.length)
    expect(first.runs.some((r) => r.runId === held.id)).toBe(false)
  }, 120_000)

  it('a restart serves the kept analysis without computing it', async () => {
    await service.close()
    service = await LabService.open({ dataRoot: root, allowAllPaths: true, startQueue: false })
    const seen = recordProgress(service)
    const again = (await call(service, 'results.analysis', { studyId })) as StudyAnalysis
    expect(again.generatedAt).toBe(first.generatedAt)
    expect(differences(again, first)).toEqual([])
    expect(seen).toEqual([])
    // A run's detail reads the statistics the analysis kept: the same intervals, nothing computed.
    const shown = first.runs[0]!
    const before = { ...vectorCounters }
    const detail = (await call(service, 'results.run', { runId: shown.runId })) as RunResult
    expect(vectorCounters).toEqual({ computed: before.computed, stored: before.stored + 1 })
    expect(detail.recomputed.roc_auc).toEqual(shown.metrics.roc_auc)
    expect(detail.recomputed.accuracy).toEqual(shown.metrics.accuracy)
  }, 60_000)

  it('a new finished run computes only its own statistics and those of the cell it joins', async () => {
    runsStore.setRunState(service.ctx.db, held.id, 'done', null, held.summary)
    const seen = recordProgress(service)
    const next = (await call(service, 'results.analysis', { studyId })) as StudyAnalysis
    expect(next.runs.some((r) => r.runId === held.id)).toBe(true)
    // The held run on the patient and the 2-seed resampling, and its cell mate (alone before) on the
    // 2-seed one; every statistic of the first analysis is read back.
    expect(next.perRunCache).toEqual({ computed: 3, reused: first.perRunCache!.computed })
    expect(seen.at(-1)!.phase).toBe('done')
    // Stored statistics give the numbers a full analysis from scratch gives.
    const scratch = analyzeStudy(collectStudy(service.ctx.db, studyId))
    const { perRunCache: _, ...rest } = next
    expect(differences(rest, scratch)).toEqual([])
  }, 120_000)

  it('cancelling the call stops the analysis and says so', async () => {
    rmSync(join(root, 'analysis-cache'), { recursive: true, force: true })
    runsStore.setRunState(service.ctx.db, held.id, 'queued')
    const seen = recordProgress(service)
    const controller = new AbortController()
    const pending = call(service, 'results.analysis', { studyId }, controller.signal)
    setTimeout(() => controller.abort(), 50)
    await expect(pending).rejects.toThrow(/cancelled/)
    await new Promise((r) => setTimeout(r, 200))
    expect(seen.at(-1)).toMatchObject({ phase: 'cancelled' })
  }, 60_000)

  it('a call that gives up and is asked again at once (the view switching back) gets the analysis', async () => {
    rmSync(join(root, 'analysis-cache'), { recursive: true, force: true })
    runsStore.setRunState(service.ctx.db, held.id, 'cancelled') // a run set the earlier tests have not analysed
    const controller = new AbortController()
    const first = call(service, 'results.analysis', { studyId }, controller.signal)
    await new Promise((r) => setTimeout(r, 50))
    controller.abort()
    const again = call(service, 'results.analysis', { studyId })
    await expect(first).rejects.toThrow(/cancelled/)
    const analysis = (await again) as StudyAnalysis
    expect(analysis.runs.length).toBeGreaterThan(0)
  }, 60_000)
})
