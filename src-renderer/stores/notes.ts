// Notes and tags on studies and runs: all loaded once (the lists search them), saved one at a time.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { errorMessage, type CallOutput } from '../api/client.ts'
import { useLab } from '../api/index.ts'

export type Annotation = CallOutput<'notes.list'>[number]
export type AnnotationKind = Annotation['kind']

const keyOf = (kind: AnnotationKind, id: string) => `${kind}:${id}`

export const useNotesStore = defineStore('notes', () => {
  const api = useLab()
  /** `${kind}:${id}` -> annotation. */
  const byKey = ref<Record<string, Annotation>>({})
  /** Error of the last load or save. */
  const error = ref<string | null>(null)

  async function load() {
    try {
      const list = await api.call('notes.list', {})
      byKey.value = Object.fromEntries(list.map((a) => [keyOf(a.kind, a.targetId), a]))
      error.value = null
    } catch (e) {
      error.value = errorMessage(e)
    }
  }

  /** The annotation of a study or run, if any. */
  const of = (kind: AnnotationKind, id: string): Annotation | undefined => byKey.value[keyOf(kind, id)]

  /** Searchable text (note and tags) of a study or run. */
  const text = (kind: AnnotationKind, id: string): string => {
    const a = of(kind, id)
    return a ? `${a.note} ${a.tags.map((t) => `#${t} ${t}`).join(' ')}` : ''
  }

  /** Saves a note and tags; true when saved. */
  async function save(kind: AnnotationKind, id: string, note: string, tags: string[]): Promise<boolean> {
    try {
      const a = await api.call('notes.set', { kind, id, note, tags })
      const { [keyOf(kind, id)]: _, ...rest } = byKey.value
      byKey.value = a ? { ...rest, [keyOf(kind, a.targetId)]: a } : rest
      error.value = null
      return true
    } catch (e) {
      error.value = errorMessage(e)
      return false
    }
  }

  api.on('onNotesChanged', () => void load())

  return { byKey, error, load, of, text, save }
})
