// A study's remaining time (issue 23): its queued runs, priced from the throughput measured on its
// device, scheduled over its slots behind its running runs, each running run counted for what its
// own measured rate says is left (the engine's eta_s: remaining steps at this process's pace).
import type { Db } from '../store/db.ts'
import * as store from '../store/runs.ts'
import { estimateWork, runSeconds, runWork, scheduleSeconds } from './estimate.ts'
import { rateBook, splitSizesOf, workerJobs } from './throughput.ts'

/** The ETA of a study (see `studies.eta`). */
export interface StudyEta {
  measured: boolean
  basis: string
  etaS: number | null
  slots: number
  running: { runId: string; remainingS: number | null }[]
}

export function studyEta(db: Db, studyId: string, device: string, imageSize: number, slots: number, now = Date.now()): StudyEta {
  const runs = store.listRuns(db, { studyId })
  const book = rateBook(db, device, imageSize)
  const sizes = splitSizesOf(db)
  const running = runs.filter((r) => r.state === 'running').map((r) => {
    const reported = typeof r.progress?.etaS === 'number' ? (r.progress.etaS as number) : null
    let remainingS = reported
    if (remainingS === null) {
      // Before its first progress: its estimate less the time it has run (a worker starting up).
      const s = runSeconds(runWork(r.spec, sizes, imageSize), book)
      const elapsed = r.startedAt ? (now - Date.parse(r.startedAt)) / 1000 : 0
      remainingS = s === null ? null : Math.max(0, s - elapsed)
    }
    return { runId: r.id, reported, remainingS }
  })
  const queued = runs.filter((r) => ['queued', 'interrupted'].includes(r.state))
  const e = estimateWork(queued.map((r) => ({ id: r.id, stage: r.stage, spec: r.spec, deps: store.dependenciesOf(db, r.id) })), book, slots, sizes, imageSize, [], false, workerJobs())
  const out = running.map((r) => ({ runId: r.runId, remainingS: r.reported }))
  if (!e.measured || running.some((r) => r.remainingS === null)) return { measured: e.measured, basis: e.basis, etaS: null, slots, running: out }
  const features = new Set<string>()
  const jobs = queued.map((r) => ({ id: r.id, seconds: runSeconds(runWork(r.spec, sizes, imageSize, features), book) ?? 0, deps: store.dependenciesOf(db, r.id) }))
  const jobsPerWorker = workerJobs()
  const etaS = scheduleSeconds(jobs, slots, running.map((r) => ({ id: r.runId, remainingS: r.remainingS! })), book.rates ? { every: jobsPerWorker, seconds: book.rates.startupS } : undefined)
  return { measured: true, basis: e.basis, etaS: Math.round(etaS), slots, running: out }
}
