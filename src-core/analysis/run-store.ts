// The per-run analysis results kept in the store (issue 21): the analysis asks for a run's
// statistic vectors on a resampling, this reads them from SQLite when they were computed for the
// same analysis version, bootstrap, test set and finish of the run, and stores freshly computed ones.
import type { Db } from '../store/db.ts'
import { getRunVectors, putRunVectors } from '../store/analysis-results.ts'
import type { ResultRun } from '../store/results.ts'
import type { MultiPredictions, StatVectors, TestSet, VectorStore } from './stats/resampled.ts'
import type { Predictions } from './stats/metrics.ts'

/**
 * Version of what a run's stored statistics mean. Raise it when a metric's definition, the
 * resampling or the vector layout changes: older rows are then ignored and computed again.
 */
export const ANALYSIS_VERSION = 1

/** The store key of a run's vectors on one stream of a test set. */
export function vectorKey(ts: TestSet, nSeeds: number): string {
  return `v${ANALYSIS_VERSION}|B${ts.opts.replicates}|seed${ts.opts.seed}|t${ts.fingerprint()}|k${nSeeds}`
}

/** A VectorStore on the lab's database for the prediction sets of `runs` (others are not kept); a failed write is told to `onKeepFailed`. */
export function dbVectorStore(db: Db, runs: readonly { run: ResultRun; pred: Predictions | MultiPredictions }[], onKeepFailed?: (message: string) => void): VectorStore {
  const runOf = new Map<Predictions | MultiPredictions, ResultRun>(runs.map((l) => [l.pred, l.run]))
  return {
    get(pred, ts, nSeeds): StatVectors | null {
      const run = runOf.get(pred)
      if (!run) return null
      const v = getRunVectors(db, run.id, vectorKey(ts, nSeeds), run.finishedAt)
      if (!v || v.values.length !== v.names.length * ts.opts.replicates) return null
      return { ...v, replicates: ts.opts.replicates }
    },
    put(pred, ts, nSeeds, v): void {
      const run = runOf.get(pred)
      if (!run) return
      try {
        putRunVectors(db, run.id, vectorKey(ts, nSeeds), run.finishedAt, v)
      } catch (e) {
        // Keeping is an optimisation: a busy or read-only database must not fail the analysis.
        onKeepFailed?.(`${run.name}: its statistics were not kept (${(e as Error).message}); they are computed again next time.`)
      }
    },
  }
}
