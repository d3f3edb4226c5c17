// Handlers of the results domain: the results table, one run's details, the study analysis and the
// static report (written under <data>/reports/<study id>/).
import { join } from 'node:path'
import { ApiError, type Handlers } from '../api/contract.ts'
import type { AnalysisProgress, resultsApi, StudyAnalysis } from '../api/results.ts'
import { studyFingerprint } from '../analysis/collect.ts'
import { analyseOffLoop, AnalysisCancelled, readCachedAnalysis, writeCachedAnalysis } from '../analysis/off-loop.ts'
import { DEFAULT_BOOTSTRAP, type BootstrapOptions } from '../analysis/stats/bootstrap.ts'
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

/** The cache folder of every dataset a study names (the worker has no resolver of its own). */
export async function studyDatasetDirs(ctx: LabContext, config: Record<string, unknown>): Promise<Record<string, string | null>> {
  const resolve = await datasetDirResolver(ctx)
  const names = [config.downstreamDataset, ...(Array.isArray(config.pretrainDatasets) ? config.pretrainDatasets : [])].filter((x): x is string => typeof x === 'string')
  return Object.fromEntries(names.map((n) => [n, resolve(n)]))
}

/**
 * A study's analysis: the one kept on disk for this fingerprint and bootstrap, else computed in a
 * worker thread (per-run statistics reused from the store) and kept. `signal` stops the worker.
 */
export async function keptOrComputedAnalysis(
  ctx: LabContext,
  studyId: string,
  bootstrap: BootstrapOptions,
  opts: { signal?: AbortSignal; onProgress?: (p: { phase: 'runs' | 'study'; done: number; total: number }) => void; fingerprint?: string } = {},
): Promise<StudyAnalysis> {
  const study = mustStudy(ctx, studyId)
  const fingerprint = opts.fingerprint ?? studyFingerprint(ctx.db, study.id) ?? ''
  const kept = readCachedAnalysis(ctx.dataRoot, study.id, fingerprint, bootstrap)
  if (kept) return kept
  const input = { dbFile: ctx.paths.db, studyId: study.id, bootstrap, datasetDirs: await studyDatasetDirs(ctx, study.config) }
  const analysis = await analyseOffLoop(input, { signal: opts.signal, onProgress: opts.onProgress, log: (m) => ctx.log('results', m) })
  try {
    writeCachedAnalysis(ctx.dataRoot, study.id, fingerprint, bootstrap, analysis)
  } catch (e) {
    // Kept only to be quicker next time: a full or read-only disk must not lose this answer.
    ctx.log('results', `the analysis of ${study.name} was not kept on disk (${(e as Error).message}); it is computed again after a restart.`)
  }
  return analysis
}

export const resultsDomain: DomainFactory = (ctx) => {
  // The analysis of a paper-sized study is seconds to minutes of work: it runs in a worker thread
  // (analysis/off-loop.ts) so every other call is answered meanwhile, and is kept in memory, on
  // disk (keyed by the study's fingerprint) and per run in the store, so it is computed once.
  const memory = new Map<string, { fingerprint: string; analysis: StudyAnalysis }>()
  const jobs = new Map<string, { fingerprint: string; promise: Promise<StudyAnalysis>; controller: AbortController; waiters: number }>()
  const progress = (studyId: string, p: Omit<AnalysisProgress, 'studyId'>) => ctx.events.emit('onAnalysisProgress', { studyId, ...p })
  const startJob = (studyId: string, fingerprint: string) => {
    const controller = new AbortController()
    const job = { fingerprint, controller, waiters: 0, promise: null as unknown as Promise<StudyAnalysis> }
    job.promise = keptOrComputedAnalysis(ctx, studyId, DEFAULT_BOOTSTRAP, { signal: controller.signal, onProgress: (p) => progress(studyId, p), fingerprint })
      .then((analysis) => {
        memory.set(studyId, { fingerprint, analysis })
        progress(studyId, { phase: 'done', done: analysis.runs.length, total: analysis.runs.length })
        return analysis
      })
      .catch((e: Error) => {
        if (e instanceof AnalysisCancelled) progress(studyId, { phase: 'cancelled', done: 0, total: 0, message: 'The analysis was cancelled; open Results again to compute it.' })
        else progress(studyId, { phase: 'failed', done: 0, total: 0, message: e.message })
        throw e
      })
      .finally(() => {
        if (jobs.get(studyId) === job) jobs.delete(studyId)
      })
    job.promise.catch(() => {}) // each waiter gets the error; none is left unhandled
    jobs.set(studyId, job)
    return job
  }
  const analysisOf = async (studyId: string, signal?: AbortSignal): Promise<StudyAnalysis> => {
    const fingerprint = studyFingerprint(ctx.db, studyId) ?? ''
    const hit = memory.get(studyId)
    if (hit && hit.fingerprint === fingerprint) return hit.analysis
    const kept = readCachedAnalysis(ctx.dataRoot, studyId, fingerprint, DEFAULT_BOOTSTRAP)
    if (kept) {
      memory.set(studyId, { fingerprint, analysis: kept })
      return kept
    }
    let job = jobs.get(studyId)
    if (job && job.fingerprint !== fingerprint) {
      job.controller.abort() // a run changed meanwhile: that analysis is already out of date
      job = undefined
    }
    if (job?.controller.signal.aborted) job = undefined // stopping: a new caller gets a job of its own
    job ??= startJob(studyId, fingerprint)
    const j = job
    j.waiters++
    // Every caller waits on the same job; the job is stopped when the last of them gives up.
    return new Promise<StudyAnalysis>((resolve, reject) => {
      const onAbort = () => {
        // The last caller gave up: stop the worker, and let the next caller (the view asking again at
        // once) start a job of its own rather than join this one's cancellation.
        if (--j.waiters === 0) {
          if (jobs.get(studyId) === j) jobs.delete(studyId)
          j.controller.abort()
        }
        reject(new ApiError('CANCELLED', 'The analysis was cancelled.'))
      }
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      j.promise.then(
        (a) => {
          signal?.removeEventListener('abort', onAbort)
          j.waiters--
          resolve(a)
        },
        (e: Error) => {
          signal?.removeEventListener('abort', onAbort)
          j.waiters--
          reject(e instanceof AnalysisCancelled ? new ApiError('CANCELLED', e.message) : e)
        },
      )
    })
  }
  const handlers: Handlers<typeof resultsApi> = {
    'results.table': async ({ studyId }) => resultsTable(ctx.db, studyId ? mustStudy(ctx, studyId).id : undefined),
    'results.run': async ({ runId }) => {
      const run = findRun(ctx.db, runId)
      if (!run) throw new ApiError('NOT_FOUND', `There is no run "${runId}". Pick one from the results table.`)
      if (run.stage !== 'downstream') throw new ApiError('BAD_REQUEST', `${run.name} is a ${run.stage} run; results exist for downstream runs only.`)
      return runDetail(ctx.db, run.id)
    },
    'results.analysis': async ({ studyId }, call) => {
      return analysisOf(mustStudy(ctx, studyId).id, call.signal)
    },
    'results.compare': async ({ runIds }) => {
      if (new Set(runIds).size !== runIds.length) throw new ApiError('BAD_REQUEST', 'The same run is picked twice; pick two or more different runs.')
      for (const id of runIds) if (!findRun(ctx.db, id)) throw new ApiError('NOT_FOUND', `There is no run "${id}". Pick runs from the list of finished runs.`)
      return compareRuns(ctx.db, runIds)
    },
    'results.report': async ({ studyId }, call) => {
      const study = mustStudy(ctx, studyId)
      const analysis = await analysisOf(study.id, call.signal)
      const r = writeStudyReport(ctx.db, study.id, join(ctx.paths.reports, study.id), { resolveDataset: await datasetDirResolver(ctx), analysis })
      ctx.log('results', `report of ${study.name} written to ${r.dir}`)
      return { dir: r.dir, html: r.html }
    },
  }
  // Stopping the service stops every analysis (a worker thread must not keep the process alive).
  const stop = () => {
    for (const j of jobs.values()) j.controller.abort()
  }
  return { handlers, stop }
}
