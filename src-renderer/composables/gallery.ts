// Words and numbers of the gallery views: class names of an item, the page range, the order and
// filter choices, and a loader that cancels the request a newer one overtakes.
import { ref, type Ref } from 'vue'
import { errorMessage } from '../api/client.ts'
import { formatMetric } from './format.ts'

/** The order choices, in the words the select shows. */
export const GALLERY_ORDERS = [
  { value: 'most-confident', label: 'most confident first' },
  { value: 'least-confident', label: 'least confident first' },
  { value: 'cache', label: 'dataset order' },
] as const
/** The filter choices. */
export const GALLERY_FILTERS = [
  { value: 'all', label: 'all test images' },
  { value: 'errors', label: 'errors only' },
  { value: 'correct', label: 'correct only' },
] as const

/** "41–88 of 123" (or "none" when nothing passes the filter). */
export function pageRange(offset: number, shown: number, total: number): string {
  return total === 0 ? 'none' : `${offset + 1}–${offset + shown} of ${total}`
}

/** "3 of 10 wrong (30.0%)". */
export function errorShare(errors: number, images: number): string {
  return `${errors} of ${images} wrong${images ? ` (${((100 * errors) / images).toFixed(1)}%)` : ''}`
}

/** A probability as shown beside a prediction. */
export const formatProbability = (p: number): string => formatMetric(p)

/** The image's name in words: its id, else its cache row. */
export const imageName = (item: { imageId: string | null; index: number }): string => item.imageId ?? `cache row ${item.index}`


/**
 * Runs `fetch` for the latest request only: an earlier one still in flight is cancelled, and its
 * answer (or error) is dropped, so a quick change of filter never shows an older page.
 */
export function useLatest<T>(): { data: Ref<T | null>; error: Ref<string | null>; loading: Ref<boolean>; run: (fetch: (signal: AbortSignal) => Promise<T>) => Promise<void> } {
  const data = ref<T | null>(null) as Ref<T | null>
  const error = ref<string | null>(null)
  const loading = ref(false)
  let current: AbortController | null = null
  async function run(fetch: (signal: AbortSignal) => Promise<T>) {
    current?.abort()
    const mine = new AbortController()
    current = mine
    loading.value = true
    try {
      const out = await fetch(mine.signal)
      if (current !== mine) return
      data.value = out
      error.value = null
    } catch (e) {
      if (current !== mine) return
      data.value = null
      error.value = errorMessage(e)
    } finally {
      if (current === mine) loading.value = false
    }
  }
  return { data, error, loading, run }
}
