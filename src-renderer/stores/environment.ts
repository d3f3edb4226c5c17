// The engine environment: status and last verification, doctor's report, set-up / repair with
// progress (first-run screen and Environment view).
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { errorMessage, type CallOutput, type EventPayload } from '../api/client.ts'
import { useLab } from '../api/index.ts'

export type EnvironmentStatus = CallOutput<'environment.status'>
export type DoctorReport = CallOutput<'environment.doctor'>
export type EnvironmentProgress = EventPayload<'onEnvironmentProgress'>

/** The set-up phases in order (the first-run screen's steps). */
export const SETUP_STEPS: { phase: EnvironmentProgress['phase']; label: string }[] = [
  { phase: 'detect', label: 'Detect the GPU' },
  { phase: 'venv', label: 'Create the Python environment' },
  { phase: 'download', label: 'Download PyTorch and the engine\'s packages' },
  { phase: 'install', label: 'Install them' },
  { phase: 'verify', label: 'Check the device with a test convolution' },
]

export const useEnvironmentStore = defineStore('environment', () => {
  const api = useLab()
  /** What the service reports about the environment (null until loaded). */
  const status = ref<EnvironmentStatus | null>(null)
  /** The last doctor report (null until one ran). */
  const report = ref<DoctorReport | null>(null)
  /** Progress lines of the running (or last) set-up. */
  const progress = ref<EnvironmentProgress[]>([])
  /** True while a set-up or repair runs from this window. */
  const settingUp = ref(false)
  /** True while doctor runs. */
  const checking = ref(false)
  /** The last error sentence. */
  const error = ref<string | null>(null)

  /** The first-run screen shows until the managed environment exists. */
  const needsSetup = computed(() => status.value?.needsSetup === true)
  /** The phase the set-up is in. */
  const phase = computed(() => progress.value.at(-1)?.phase ?? null)
  /** Bytes fetched or unpacked so far. */
  const doneBytes = computed(() => progress.value.reduce((m, p) => Math.max(m, p.doneBytes ?? 0), 0))

  api.on('onEnvironmentProgress', (p) => {
    progress.value = [...progress.value.slice(-199), p]
  })

  async function load() {
    try {
      status.value = await api.call('environment.status', {})
      error.value = null
    } catch (e) {
      error.value = errorMessage(e)
    }
  }

  /** Runs doctor (detect + verify) and refreshes the status. */
  async function check() {
    checking.value = true
    try {
      report.value = await api.call('environment.doctor', {})
      await load()
    } catch (e) {
      error.value = errorMessage(e)
    } finally {
      checking.value = false
    }
  }

  /** Creates the environment, or rebuilds it with repair. */
  async function setup(repair = false) {
    settingUp.value = true
    progress.value = []
    error.value = null
    try {
      status.value = (await api.call('environment.setup', { repair })).status
    } catch (e) {
      error.value = errorMessage(e)
    } finally {
      settingUp.value = false
    }
  }

  return { status, report, progress, settingUp, checking, error, needsSetup, phase, doneBytes, load, check, setup }
})
