// The Calibration tab: every run of the analysis with its ECE and Brier score (from its summary), its
// encoder and protocol written exactly (random-init is not scratch; `linear@10%`), sortable.
import type { StudyAnalysisView } from '../api/shapes.ts'
import { formatMetric } from './format.ts'
import type { Column } from './runs-table.ts'

/** One run's calibration. */
export interface CalibrationRow {
  runId: string
  name: string
  seed: number
  labelFraction: number
  ece: number | null
  brier: number | null
  kind: string | null
  rocAuc: number | null
}

/** Rows of the runs that recorded a calibration. */
export function calibrationRows(a: StudyAnalysisView): CalibrationRow[] {
  return a.runs
    .filter((r) => r.extras.calibration)
    .map((r) => ({ runId: r.runId, name: r.name, seed: r.seed, labelFraction: r.labelFraction, ece: r.extras.calibration!.ece, brier: r.extras.calibration!.brier, kind: r.extras.calibration!.kind, rocAuc: r.metrics.roc_auc?.estimate ?? null }))
}

const num = (v: string | number | null) => formatMetric(typeof v === 'number' ? v : null)

/** Columns of the calibration table. */
export const calibrationColumns: Column<CalibrationRow>[] = [
  { key: 'name', label: 'Run', value: (r) => r.name },
  { key: 'seed', label: 'Seed', value: (r) => r.seed },
  { key: 'labels', label: 'Labels used', value: (r) => r.labelFraction, format: (v) => `${Number((Number(v) * 100).toPrecision(3))}%` },
  { key: 'ece', label: 'ECE (lower is better)', value: (r) => r.ece, format: num },
  { key: 'brier', label: 'Brier (lower is better)', value: (r) => r.brier, format: num },
  { key: 'kind', label: 'Confidence scored', value: (r) => r.kind ?? '—' },
  { key: 'roc_auc', label: 'ROC-AUC', value: (r) => r.rocAuc, format: num },
]
