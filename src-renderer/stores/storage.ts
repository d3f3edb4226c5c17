// Storage: what the run folders hold per category (storage.usage) and reclaiming it (storage.prune).
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { errorMessage, type CallOutput } from '../api/client.ts'
import { useLab } from '../api/index.ts'

export type StorageUsage = CallOutput<'storage.usage'>
export type StorageCategory = StorageUsage['categories'][number]

export const useStorageStore = defineStore('storage', () => {
  const api = useLab()
  /** The last usage read, or null before the first. */
  const usage = ref<StorageUsage | null>(null)
  /** Age in days from which failed/cancelled runs' checkpoints count as reclaimable. */
  const olderThanDays = ref(7)
  /** A read or prune is in flight. */
  const busy = ref(false)
  /** Bytes the last prune freed, or null. */
  const freed = ref<number | null>(null)
  /** Error of the last call. */
  const error = ref<string | null>(null)

  async function load() {
    busy.value = true
    try {
      usage.value = await api.call('storage.usage', { olderThanDays: olderThanDays.value })
      error.value = null
    } catch (e) {
      error.value = errorMessage(e)
    } finally {
      busy.value = false
    }
  }

  /** Deletes what the given categories hold, then shows the usage after. */
  async function prune(categories: StorageCategory['id'][]) {
    busy.value = true
    try {
      const r = await api.call('storage.prune', { olderThanDays: olderThanDays.value, categories })
      usage.value = r.usage
      freed.value = r.bytes
      error.value = null
    } catch (e) {
      error.value = errorMessage(e)
    } finally {
      busy.value = false
    }
  }

  // Another window (or the CLI through the same service) pruned: show the new state.
  api.on('onStorageChanged', () => void load())

  return { usage, olderThanDays, busy, freed, error, load, prune }
})
