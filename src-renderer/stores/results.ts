// Results: the study's runs table, one run's confusion matrix / ROC / curves, the analysis and
// the report.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { errorMessage } from '../api/client.ts'
import { useLab } from '../api/index.ts'
import type { AnalysisProgressView, ResultRow, RunResult, StudyAnalysisView, StudyReport } from '../api/shapes.ts'

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
  /** The analysis's progress for the study shown (onAnalysisProgress), null when none is reported. */
  const progress = ref<AnalysisProgressView | null>(null)
  /** True while the results table is loading (so loading never reads as "no results"). */
  const loading = ref(false)
  let analysisCtl: AbortController | null = null

  api.on('onAnalysisProgress', (p) => {
    if (p.studyId === studyId.value) progress.value = p
  })

  async function load(id: string | null) {
    if (id !== studyId.value) {
      analysis.value = null
      analysisCtl?.abort()
      progress.value = null
    }
    studyId.value = id
    loading.value = true
    try {
      rows.value = await api.call('results.table', id ? { studyId: id } : {})
      error.value = null
    } catch (e) {
      error.value = errorMessage(e)
    } finally {
      loading.value = false
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

  /** Asks for the study's analysis; the table stays usable meanwhile, and cancelAnalysis stops it. */
  async function loadAnalysis(id: string) {
    analysisCtl?.abort()
    const ctl = (analysisCtl = new AbortController())
    analysisLoading.value = true
    try {
      const a = await api.call('results.analysis', { studyId: id }, { signal: ctl.signal })
      // A slower answer for a study no longer shown must not replace the current one.
      if (studyId.value !== id || ctl.signal.aborted) return
      analysis.value = a
      analysisError.value = null
    } catch (e) {
      // Superseded by a newer request (another study, or this one asked again): that one answers.
      if (studyId.value !== id || analysisCtl !== ctl) return
      analysis.value = null
      analysisError.value = ctl.signal.aborted ? 'The analysis was cancelled. The results table is complete; Analyse again computes the intervals and verdicts.' : errorMessage(e)
    } finally {
      if (analysisCtl === ctl) {
        analysisLoading.value = false
        analysisCtl = null
      }
    }
  }

  /** Cancels the analysis in progress (the service stops its work through the request's signal). */
  function cancelAnalysis() {
    analysisCtl?.abort()
  }

  function report(id: string): Promise<StudyReport> {
    return api.call('results.report', { studyId: id })
  }

  return { rows, studyId, runs, analysis, analysisError, analysisLoading, error, runErrors, progress, loading, load, loadRun, loadAnalysis, cancelAnalysis, report }
})
