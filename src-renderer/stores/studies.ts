// Studies: presets, the builder's draft config, live plan (run count + estimate), create/start.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { errorMessage, type CallOutput } from '../api/client.ts'
import { useLab } from '../api/index.ts'

export type Study = CallOutput<'studies.list'> extends (infer S)[] ? S : never
export type Plan = CallOutput<'studies.plan'>
export type Preset = CallOutput<'studies.presets'> extends (infer P)[] ? P : never

export const useStudiesStore = defineStore('studies', () => {
  const api = useLab()
  /** Every study. */
  const items = ref<Study[]>([])
  /** Built-in configs. */
  const presets = ref<Preset[]>([])
  /** Plan of the current draft (null until planned). */
  const plan = ref<Plan | null>(null)
  /** Why the draft cannot be planned (shown under the builder). */
  const planError = ref<string | null>(null)
  /** Load / action error. */
  const error = ref<string | null>(null)
  /** True while a plan request runs. */
  const planning = ref(false)
  let planAbort: AbortController | undefined

  async function load() {
    try {
      items.value = await api.call('studies.list', {})
      error.value = null
    } catch (e) {
      error.value = errorMessage(e)
    }
  }

  async function loadPresets() {
    try {
      presets.value = await api.call('studies.presets', {})
    } catch (e) {
      error.value = errorMessage(e)
    }
  }

  /** Plans a config; an older plan request still running is cancelled. */
  async function planDraft(config: unknown) {
    planAbort?.abort()
    const controller = (planAbort = new AbortController())
    planning.value = true
    try {
      plan.value = await api.call('studies.plan', { config }, { signal: controller.signal })
      planError.value = null
    } catch (e) {
      if (controller.signal.aborted) return
      plan.value = null
      planError.value = errorMessage(e)
    } finally {
      if (planAbort === controller) planning.value = false
    }
  }

  /** True while the device's throughput is being measured for the estimate. */
  const measuring = ref(false)
  /** Measures the throughput of the device a config runs on (for the estimate), then plans it again. */
  async function measure(config: unknown) {
    measuring.value = true
    try {
      await api.call('studies.measure', { config })
      await planDraft(config)
    } catch (e) {
      planError.value = errorMessage(e)
    } finally {
      measuring.value = false
    }
  }

  /** Creates the study and starts it; returns its id or undefined (error set). */
  async function createAndStart(name: string, config: unknown): Promise<string | undefined> {
    try {
      const s = await api.call('studies.create', { name, config })
      await api.call('studies.start', { id: s.id })
      await load()
      return s.id
    } catch (e) {
      error.value = errorMessage(e)
      return undefined
    }
  }

  /** pause | resume | cancel a study. */
  async function control(id: string, action: 'pause' | 'resume' | 'cancel' | 'start') {
    try {
      await api.call(`studies.${action}`, { id })
      await load()
    } catch (e) {
      error.value = errorMessage(e)
    }
  }

  /** What the last export or import did (a sentence), or null. */
  const transferNote = ref<string | null>(null)

  /** Writes a study to one file (`xlab study export`); the sentence lands in transferNote, a refusal in error. */
  async function exportStudy(id: string, file: string, weights = false) {
    try {
      const r = await api.call('studies.export', { id, file, weights })
      transferNote.value = `Exported to ${r.file}: ${r.runs} run(s), ${r.files} file(s), ${(r.bytes / 1e6).toFixed(1)} MB.`
      error.value = null
    } catch (e) {
      error.value = errorMessage(e)
    }
  }

  /** Imports a study export file (`xlab study import`) under its own name or `name`. */
  async function importStudy(file: string, name?: string) {
    try {
      const r = await api.call('studies.import', { file, ...(name ? { name } : {}) })
      transferNote.value = [`Imported study ${r.name}: ${r.created} run(s) added, ${r.reused} already here.`, ...r.datasetNotes.map((n) => `Note: ${n}.`)].join(' ')
      error.value = null
      await load()
    } catch (e) {
      error.value = errorMessage(e)
    }
  }

  api.on('onStudyState', () => void load())

  return { items, presets, plan, planError, error, planning, measuring, transferNote, load, loadPresets, planDraft, measure, createAndStart, control, exportStudy, importStudy }
})
