// Results: the study's runs table, one run's confusion matrix / ROC / curves, the analysis and
// the report. Normalises results.run into what the charts draw.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { errorMessage } from '../api/client.ts'
import { useLab } from '../api/index.ts'
import type { ResultRow, RocCurve, RunResult, StudyReport } from '../api/shapes.ts'

export const useResultsStore = defineStore('results', () => {
  const api = useLab()
  /** One row per downstream run of the chosen study. */
  const rows = ref<ResultRow[]>([])
  /** The study shown. */
  const studyId = ref<string | null>(null)
  /** Loaded run details by run id. */
  const runs = ref<Record<string, RunResult>>({})
  /** Analysis of the study (CIs, hypotheses, summary). */
  const analysis = ref<Record<string, unknown> | null>(null)
  /** Load error for the table, shown above it. */
  const error = ref<string | null>(null)
  /** Errors per run detail. */
  const runErrors = ref<Record<string, string>>({})

  async function load(id: string | null) {
    studyId.value = id
    try {
      rows.value = await api.callAs<ResultRow[]>('results.table', id ? { studyId: id } : {})
      error.value = null
    } catch (e) {
      error.value = errorMessage(e)
    }
  }

  async function loadRun(runId: string): Promise<RunResult | undefined> {
    try {
      const raw = await api.callAs<Record<string, unknown>>('results.run', { runId })
      const r = normaliseRunResult(runId, raw)
      runs.value = { ...runs.value, [runId]: r }
      return r
    } catch (e) {
      runErrors.value = { ...runErrors.value, [runId]: errorMessage(e) }
      return undefined
    }
  }

  async function loadAnalysis(id: string) {
    try {
      analysis.value = await api.callAs<Record<string, unknown>>('results.analysis', { studyId: id })
    } catch (e) {
      analysis.value = { error: errorMessage(e) }
    }
  }

  function report(id: string): Promise<StudyReport> {
    return api.callAs<StudyReport>('results.report', { studyId: id })
  }

  return { rows, studyId, runs, analysis, error, runErrors, load, loadRun, loadAnalysis, report }
})

/** Accepts the field spellings the analysis API may use (confusion / confusionMatrix, roc points or arrays). */
export function normaliseRunResult(runId: string, raw: Record<string, unknown>): RunResult {
  const classNames = (raw.classNames ?? raw.class_names ?? []) as string[]
  const cm = (raw.confusion ?? raw.confusionMatrix ?? raw.confusion_matrix ?? []) as number[][] | { matrix: number[][] }
  const confusion = Array.isArray(cm) ? cm : cm.matrix
  const rocRaw = (raw.roc ?? raw.rocCurves ?? []) as Record<string, unknown>[] | Record<string, Record<string, unknown>>
  const rocList: Record<string, unknown>[] = Array.isArray(rocRaw) ? rocRaw : Object.entries(rocRaw).map(([className, v]) => ({ className, ...v }))
  const roc: RocCurve[] = rocList.map((c, i) => {
    const points = c.points as { fpr: number; tpr: number }[] | undefined
    return {
      className: String(c.className ?? c.class ?? c.label ?? classNames[i] ?? i),
      fpr: points ? points.map((p) => p.fpr) : ((c.fpr ?? []) as number[]),
      tpr: points ? points.map((p) => p.tpr) : ((c.tpr ?? []) as number[]),
      auc: Number(c.auc),
    }
  })
  return { runId, classNames, confusion, roc, curves: raw.curves as RunResult['curves'], testMetrics: (raw.testMetrics ?? raw.test_metrics ?? raw.metrics) as Record<string, number> | undefined }
}
