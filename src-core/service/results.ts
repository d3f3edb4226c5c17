// Handlers of the results domain: the results table, one run's details, the study analysis and the
// static report (written under <data>/reports/<study id>/).
import { join } from 'node:path'
import { ApiError, type Handlers } from '../api/contract.ts'
import type { resultsApi, StudyAnalysis } from '../api/results.ts'
import { analyzeStudy } from '../analysis/analyze.ts'
import { collectStudy, studyFingerprint } from '../analysis/collect.ts'
import { compareRuns } from '../analysis/compare-runs.ts'
import { writeStudyReport } from '../analysis/report/write-report.ts'
import { resultsTable } from '../analysis/results-table.ts'
import { runDetail } from '../analysis/run-detail.ts'
import { makeDatasetResolver } from '../runner/dataset-lookup.ts'
import { findRun, findStudy } from '../store/results.ts'
import type { DomainFactory, LabContext } from './context.ts'

function mustStudy(ctx: LabContext, key: string) {
  const s = findStudy(ctx.db, key)
  if (!s) throw new ApiError('NOT_FOUND', `There is no study "${key}". Pick one from the studies list.`)
  return s
}

/** A dataset-name -> cache-folder lookup for the analysis (store first, then meta.json scan). */
export async function datasetDirResolver(ctx: LabContext): Promise<(name: string) => string | null> {
  const resolve = await makeDatasetResolver(ctx.db, ctx.paths.datasets)
  return (name) => resolve(name)?.dir ?? null
}

export const resultsDomain: DomainFactory = (ctx) => {
  // The bootstrap of a full study takes seconds of this process's single thread; the Results and
  // Compare views ask for the same analysis repeatedly, so it is kept until a run of the study changes.
  const cache = new Map<string, { fingerprint: string; analysis: StudyAnalysis }>()
  const analysisOf = async (studyId: string): Promise<StudyAnalysis> => {
    const fingerprint = studyFingerprint(ctx.db, studyId) ?? ''
    const hit = cache.get(studyId)
    if (hit && hit.fingerprint === fingerprint) return hit.analysis
    const analysis = analyzeStudy(collectStudy(ctx.db, studyId, { resolveDataset: await datasetDirResolver(ctx) }))
    cache.set(studyId, { fingerprint, analysis })
    return analysis
  }
  const handlers: Handlers<typeof resultsApi> = {
    'results.table': async ({ studyId }) => resultsTable(ctx.db, studyId ? mustStudy(ctx, studyId).id : undefined),
    'results.run': async ({ runId }) => {
      const run = findRun(ctx.db, runId)
      if (!run) throw new ApiError('NOT_FOUND', `There is no run "${runId}". Pick one from the results table.`)
      if (run.stage !== 'downstream') throw new ApiError('BAD_REQUEST', `${run.name} is a ${run.stage} run; results exist for downstream runs only.`)
      return runDetail(ctx.db, run.id)
    },
    'results.analysis': async ({ studyId }) => {
      return analysisOf(mustStudy(ctx, studyId).id)
    },
    'results.compare': async ({ runIds }) => {
      if (new Set(runIds).size !== runIds.length) throw new ApiError('BAD_REQUEST', 'The same run is picked twice; pick two or more different runs.')
      for (const id of runIds) if (!findRun(ctx.db, id)) throw new ApiError('NOT_FOUND', `There is no run "${id}". Pick runs from the list of finished runs.`)
      return compareRuns(ctx.db, runIds)
    },
    'results.report': async ({ studyId }) => {
      const study = mustStudy(ctx, studyId)
      const r = writeStudyReport(ctx.db, study.id, join(ctx.paths.reports, study.id), { resolveDataset: await datasetDirResolver(ctx), analysis: await analysisOf(study.id) })
      ctx.log('results', `report of ${study.name} written to ${r.dir}`)
      return { dir: r.dir, html: r.html }
    },
  }
  return { handlers }
}
