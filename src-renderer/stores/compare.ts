// Compare: finished downstream runs of every study (with the study that planned each), the runs
// picked, and their job specs for the table of settings that differ.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { errorMessage } from '../api/client.ts'
import { useLab } from '../api/index.ts'
import type { ResultRow } from '../api/shapes.ts'

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

  async function load() {
    try {
      const [rs, runs] = await Promise.all([api.call('results.table', {}), api.call('runs.list', {})])
      rows.value = rs
      studyOf.value = Object.fromEntries(runs.map((r) => [r.id, r.studyId]))
      error.value = null
    } catch (e) {
      error.value = errorMessage(e)
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

  return { rows, studyOf, picked, specs, error, load, loadSpec }
})
