// Datasets: the list, imports in flight (with progress from events), demo generation, thumbnails.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { errorMessage } from '../api/client.ts'
import { useLab } from '../api/index.ts'
import type { DatasetInfo, ImportProgress, Thumbnail } from '../api/shapes.ts'

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

  /** Datasets that finished importing. */
  const ready = computed(() => items.value.filter((d) => d.status === 'ready'))

  async function load() {
    loading.value = true
    try {
      items.value = await api.callAs<DatasetInfo[]>('datasets.list', {})
      error.value = null
    } catch (e) {
      error.value = errorMessage(e)
    } finally {
      loading.value = false
    }
  }

  /** Creates the four demo datasets (small unless a size is given). */
  async function generateDemo(size?: number) {
    generating.value = true
    actionError.value = null
    try {
      await api.callAs<unknown>('datasets.generateDemo', size ? { size } : {})
      await load()
    } catch (e) {
      actionError.value = errorMessage(e)
    } finally {
      generating.value = false
    }
  }

  /** Starts an import; returns the new dataset id (progress arrives as events). */
  async function startImport(input: Record<string, unknown>): Promise<string | undefined> {
    actionError.value = null
    try {
      const r = await api.callAs<{ id?: string; datasetId?: string }>('datasets.import', input)
      await load()
      return r.id ?? r.datasetId
    } catch (e) {
      actionError.value = errorMessage(e)
      return undefined
    }
  }

  async function cancelImport(id: string) {
    await api.callAs('datasets.cancelImport', { id }).catch((e) => (actionError.value = errorMessage(e)))
  }

  async function remove(id: string) {
    try {
      await api.callAs('datasets.remove', { id })
      await load()
    } catch (e) {
      actionError.value = errorMessage(e)
    }
  }

  /** The import report (skipped files and counts). */
  function report(id: string): Promise<Record<string, unknown>> {
    return api.callAs<Record<string, unknown>>('datasets.report', { id })
  }

  /** A few thumbnails per label, as data URLs. */
  async function thumbnails(id: string, perLabel: number, label?: string): Promise<Thumbnail[]> {
    const r = await api.callAs<Thumbnail[] | { items?: Thumbnail[]; thumbnails?: Thumbnail[] }>('datasets.thumbnails', label ? { id, perLabel, label } : { id, perLabel })
    return Array.isArray(r) ? r : (r.items ?? r.thumbnails ?? [])
  }

  api.on('onImportProgress', (p) => {
    const ev = p as unknown as ImportProgress
    progress.value = { ...progress.value, [ev.datasetId]: ev }
  })
  api.on('onDatasetsChanged', () => {
    void load().then(() => {
      const live = new Set(items.value.filter((d) => d.status === 'importing').map((d) => d.id))
      progress.value = Object.fromEntries(Object.entries(progress.value).filter(([id]) => live.has(id)))
    })
  })

  return { items, error, loading, progress, generating, actionError, ready, load, generateDemo, startImport, cancelImport, remove, report, thumbnails }
})
