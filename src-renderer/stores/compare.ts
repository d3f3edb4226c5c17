// Compare: finished downstream runs of every study (with the study that planned each), the runs
// picked, and their job specs for the table of settings that differ.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { errorMessage } from '../api/client.ts'
import { useLab } from '../api/index.ts'
import type { ResultRow, RunsComparisonView } from '../api/shapes.ts'

export const useCompareStore = defineStore('compare', () => {
  const api = useLab()
  /** Downstream runs of all studies. */
  const rows = ref<ResultRow[]>([])
  /** Run id -> id of the study that planned it. */
  const studyOf = ref<Record<string, string>>({})
  /** Run ids picked, in the order picked. */
  const picked = ref<string[]>([])
  /** Run id -> job spec (with path placeholders). */
  const specs = ref<Record<string, unknown>>({})
  /** Load error. */
  const error = ref<string | null>(null)
  /** True until the first list of runs arrived (so loading never reads as "nothing to compare"). */
  const loading = ref(false)
  /** The paired comparison of the picked runs (each against the first), or null. */
  const comparison = ref<RunsComparisonView | null>(null)
  /** Why the paired comparison failed. */
  const comparisonError = ref<string | null>(null)
  /** True while the comparison is computed. */
  const comparing = ref(false)
  let comparisonCtl: AbortController | null = null

  async function load() {
    loading.value = true
    try {
      const [rs, runs] = await Promise.all([api.call('results.table', {}), api.call('runs.list', {})])
      rows.value = rs
      studyOf.value = Object.fromEntries(runs.map((r) => [r.id, r.studyId]))
      error.value = null
    } catch (e) {
      error.value = errorMessage(e)
    } finally {
      loading.value = false
    }
  }

  /** Compares the picked runs (paired bootstrap and McNemar, each against the first); a newer pick cancels an older request. */
  async function loadComparison() {
    comparisonCtl?.abort()
    const ids = [...picked.value]
    if (ids.length < 2) {
      comparison.value = null
      return
    }
    const ctl = (comparisonCtl = new AbortController())
    comparing.value = true
    try {
      const r = await api.call('results.compare', { runIds: ids }, { signal: ctl.signal })
      if (ctl.signal.aborted) return
      comparison.value = r
      comparisonError.value = null
    } catch (e) {
      if (ctl.signal.aborted) return
      comparison.value = null
      comparisonError.value = errorMessage(e)
    } finally {
      if (comparisonCtl === ctl) comparing.value = false
    }
  }

  async function loadSpec(id: string) {
    try {
      const r = await api.call('runs.get', { id })
      specs.value = { ...specs.value, [id]: r.spec }
    } catch (e) {
      error.value = errorMessage(e)
    }
  }

  return { rows, studyOf, picked, specs, error, loading, comparison, comparisonError, comparing, load, loadSpec, loadComparison }
})
