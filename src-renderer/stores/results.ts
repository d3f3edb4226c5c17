// Results: the study's runs table, one run's confusion matrix / ROC / curves, the analysis and
// the report.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { errorMessage } from '../api/client.ts'
import { useLab } from '../api/index.ts'
import type { ResultRow, RunResult, StudyAnalysisView, StudyReport } from '../api/shapes.ts'

export const useResultsStore = defineStore('results', () => {
  const api = useLab()
  /** One row per downstream run of the chosen study. */
  const rows = ref<ResultRow[]>([])
  /** The study shown. */
  const studyId = ref<string | null>(null)
  /** Loaded run details by run id. */
  const runs = ref<Record<string, RunResult>>({})
  /** Analysis of the study (CIs, hypotheses, summary). */
  const analysis = ref<StudyAnalysisView | null>(null)
  /** Why the analysis could not be computed (shown in its place). */
  const analysisError = ref<string | null>(null)
  /** Load error for the table, shown above it. */
  const error = ref<string | null>(null)
  /** True while the analysis (bootstrap intervals) is being computed. */
  const analysisLoading = ref(false)
  /** Errors per run detail. */
  const runErrors = ref<Record<string, string>>({})
  /** The analysis's progress while it is computed off the service's event loop: a line for the user. */
  const analysisProgress = ref<string | null>(null)

  api.on('onAnalysisProgress', (p) => {
    if (p.studyId !== studyId.value) return
    analysisProgress.value = p.phase === 'runs' ? `runs ${p.done} of ${p.total}` : p.phase === 'study' ? 'comparisons and verdicts' : null
  })

  async function load(id: string | null) {
    if (id !== studyId.value) analysis.value = null
    studyId.value = id
    try {
      rows.value = await api.call('results.table', id ? { studyId: id } : {})
      error.value = null
    } catch (e) {
      error.value = errorMessage(e)
    }
  }

  async function loadRun(runId: string): Promise<RunResult | undefined> {
    try {
      const r = await api.call('results.run', { runId })
      runs.value = { ...runs.value, [runId]: r }
      return r
    } catch (e) {
      runErrors.value = { ...runErrors.value, [runId]: errorMessage(e) }
      return undefined
    }
  }

  async function loadAnalysis(id: string) {
    analysisLoading.value = true
    analysisProgress.value = null
    try {
      const a = await api.call('results.analysis', { studyId: id })
      // A slower answer for a study no longer shown must not replace the current one.
      if (studyId.value !== id) return
      analysis.value = a
      analysisError.value = null
    } catch (e) {
      if (studyId.value !== id) return
      analysis.value = null
      analysisError.value = errorMessage(e)
    } finally {
      analysisLoading.value = false
    }
  }

  function report(id: string): Promise<StudyReport> {
    return api.call('results.report', { studyId: id })
  }

  return { rows, studyId, runs, analysis, analysisError, analysisLoading, analysisProgress, error, runErrors, load, loadRun, loadAnalysis, report }
})
