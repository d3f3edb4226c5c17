// The cases behind the numbers: pages of one run's test images (error gallery) and of two runs'
// disagreements (pair view). The components keep their own filter and page; this store only calls
// the API; a component cancels its overtaken request through the signal.
import { defineStore } from 'pinia'
import { useLab } from '../api/index.ts'
import type { CallInput } from '../api/client.ts'
import type { GalleryPageView, GalleryPairView } from '../api/shapes.ts'

export const useGalleryStore = defineStore('gallery', () => {
  const api = useLab()
  /** One page of a run's test images. */
  function page(input: CallInput<'gallery.page'>, signal?: AbortSignal): Promise<GalleryPageView> {
    return api.call('gallery.page', input, { signal })
  }
  /** One page of the images one run gets right and the other wrong. */
  function pair(input: CallInput<'gallery.pair'>, signal?: AbortSignal): Promise<GalleryPairView> {
    return api.call('gallery.pair', input, { signal })
  }
  return { page, pair }
})
