// The results table: one row per downstream run with the last test metrics its worker reported and
// the data it came from (a run of a dataset's old content stays listed, marked stale).
import type { ResultsRow } from '../api/results.ts'
import type { Db } from '../store/db.ts'
import { allRuns, lastMetrics, studyRuns } from '../store/results.ts'
import { runFactorsOf } from '../store/runs.ts'
import { currentProvenance } from '../study/plan-service.ts'
import { labelFractionOf } from './baselines.ts'
import { provenanceLookup } from './run-provenance.ts'

const NAMES = ['loss', 'accuracy', 'f1_weighted', 'balanced_accuracy', 'roc_auc'] as const

/** Rows for a study (by id) or, without one, for every downstream run. */
export function resultsTable(db: Db, studyId?: string): ResultsRow[] {
  const runs = studyId ? studyRuns(db, studyId, 'downstream') : allRuns(db, 'downstream')
  const provenance = provenanceLookup(db, currentProvenance(db))
  return runs.map((r) => {
    const m = lastMetrics(db, r.id, 'test')
    return {
      runId: r.id,
      name: r.name,
      ...runFactorsOf(r),
      labelFraction: labelFractionOf(r),
      state: r.state,
      metrics: Object.fromEntries(NAMES.map((n) => [n, m[n] ?? null])) as ResultsRow['metrics'],
      provenance: provenance(r.id),
    }
  })
}
