// Datasets: the list, imports in flight (with progress from events), demo generation, thumbnails.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { errorMessage, type CallInput, type CallOutput, type EventPayload } from '../api/client.ts'
import { useLab } from '../api/index.ts'

export type DatasetInfo = CallOutput<'datasets.get'>
export type ImportReport = CallOutput<'datasets.report'>
export type ImportProgress = EventPayload<'onImportProgress'>
export type Thumbnail = CallOutput<'datasets.thumbnails'>[number]
export type ImportInput = CallInput<'datasets.import'>

export const useDatasetsStore = defineStore('datasets', () => {
  const api = useLab()
  /** Every dataset the lab knows. */
  const items = ref<DatasetInfo[]>([])
  /** Last load error, shown above the list. */
  const error = ref<string | null>(null)
  /** True while the list loads. */
  const loading = ref(false)
  /** Import progress by dataset id (cleared when the import ends). */
  const progress = ref<Record<string, ImportProgress>>({})
  /** True while demo datasets are being generated. */
  const generating = ref(false)
  /** Error of the last demo generation or import start. */
  const actionError = ref<string | null>(null)

  /** Import reports of ready datasets (label distribution), by id. */
  const reports = ref<Record<string, ImportReport>>({})

  /** Datasets that finished importing. */
  const ready = computed(() => items.value.filter((d) => d.status === 'ready'))

  async function load() {
    loading.value = true
    try {
      items.value = await api.call('datasets.list', {})
      error.value = null
      for (const d of items.value) if (d.status === 'ready' && !reports.value[d.id]) void loadReport(d.id)
    } catch (e) {
      error.value = errorMessage(e)
    } finally {
      loading.value = false
    }
  }

  async function loadReport(id: string) {
    try {
      // Await first, then spread: spreading before the await would drop reports that arrived meanwhile.
      const r = await api.call('datasets.report', { id })
      reports.value = { ...reports.value, [id]: r }
    } catch {
      // A dataset without a stored report still lists; its label column stays empty.
    }
  }

  /** Creates the four demo datasets ('small' scale by default: seconds, not minutes). */
  async function generateDemo(scale: 'small' | 'default' = 'small') {
    generating.value = true
    actionError.value = null
    try {
      await api.call('datasets.generateDemo', { scale })
      await load()
    } catch (e) {
      actionError.value = errorMessage(e)
    } finally {
      generating.value = false
    }
  }

  /** Starts an import; returns the new dataset id (progress arrives as events). */
  async function startImport(input: ImportInput): Promise<string | undefined> {
    actionError.value = null
    try {
      const r = await api.call('datasets.import', input)
      await load()
      return r.id
    } catch (e) {
      actionError.value = errorMessage(e)
      return undefined
    }
  }

  async function cancelImport(id: string) {
    await api.call('datasets.cancelImport', { id }).catch((e) => (actionError.value = errorMessage(e)))
  }

  async function remove(id: string) {
    try {
      await api.call('datasets.remove', { id })
      await load()
    } catch (e) {
      actionError.value = errorMessage(e)
    }
  }

  /** The import report (skipped files and counts). */
  function report(id: string): Promise<ImportReport> {
    return api.call('datasets.report', { id })
  }

  /** A few thumbnails per label, as data URLs. */
  function thumbnails(id: string, perLabel: number, label?: string): Promise<Thumbnail[]> {
    return api.call('datasets.thumbnails', label ? { id, perLabel, label } : { id, perLabel })
  }

  api.on('onImportProgress', (p) => {
    progress.value = { ...progress.value, [p.datasetId]: p }
  })
  api.on('onDatasetsChanged', () => {
    void load().then(() => {
      const live = new Set(items.value.filter((d) => d.status === 'importing').map((d) => d.id))
      progress.value = Object.fromEntries(Object.entries(progress.value).filter(([id]) => live.has(id)))
    })
  })

  return { items, reports, error, loading, progress, generating, actionError, ready, load, generateDemo, startImport, cancelImport, remove, report, thumbnails }
})
