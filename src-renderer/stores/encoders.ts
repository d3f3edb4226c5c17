// Reference encoders the user imported (a torchvision resnet18 state_dict each, `xlab encoders
// import FILE --name NAME`): the builder offers them beside the pretext encoders.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { errorMessage } from '../api/client.ts'
import { useLab } from '../api/index.ts'
import type { CallOutput } from '../api/client.ts'

/** One imported reference encoder. */
export type ReferenceEncoder = CallOutput<'encoders.list'>[number]

export const useEncodersStore = defineStore('encoders', () => {
  const api = useLab()
  /** Imported reference encoders, by name. */
  const items = ref<ReferenceEncoder[]>([])
  /** Why the list could not be loaded. */
  const error = ref<string | null>(null)
  async function load() {
    try {
      items.value = await api.call('encoders.list', {})
      error.value = null
    } catch (e) {
      error.value = errorMessage(e)
    }
  }
  return { items, error, load }
})
